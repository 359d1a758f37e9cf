"""A self-made demo corpus in the LJ Speech layout, spoken by Festival (or espeak-ng).

`speedyspeech-tf make-demo-corpus OUT_DIR --sentences N [--voice festival|espeak] [--seed S] [--workers W]`
writes

    OUT_DIR/metadata.csv               id|text|normalized text (no header; both texts are the same: the
                                       generated sentences already spell numbers out)
    OUT_DIR/wavs/<id>.wav              22,050 Hz, 16-bit PCM, mono
    OUT_DIR/phone_timings/<id>.json    Festival only: the voice's own phone segments (radio phone set, with
                                       `pau`) and their end times in seconds, as the synthesiser placed them
    OUT_DIR/corpus.json                summary: voice, sample rate, count, seed, whether timings exist, ...

The text comes from `speedyspeech_tf.sentences` (the project's own seeded sentence generator).

Voices: Festival with the CMU ARCTIC SLT HTS voice (`voice_cmu_us_slt_arctic_hts`, 32 kHz, resampled here
to 22,050 Hz with soxr), which can report its phone timings; espeak-ng (`-v en-us`, 22,050 Hz) is the fallback
when Festival or the voice is missing, and writes no timings. Festival runs as `--workers` long-lived
`festival --pipe` processes fed one sentence at a time (starting Festival per sentence would cost more than the
synthesis).

Every item is written atomically (temporary file + rename), so an interrupted run leaves only complete items;
a re-run with the same settings skips the items already written and valid, and re-running into a complete
corpus changes nothing. `metadata.csv` is written last.

Nothing here imports TensorFlow.
"""
from __future__ import annotations

import csv
import functools
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

from .config import PHONEMES, load_json, save_json
from .sentences import GENERATOR_VERSION, generate_sentences

# Program names (module attributes so that tests can point them at a missing program).
FESTIVAL_PROGRAM = "festival"
ESPEAK_PROGRAM = "espeak-ng"
FESTIVAL_VOICE = "cmu_us_slt_arctic_hts"
ESPEAK_VOICE = "en-us"
VOICES = ("festival", "espeak")

SAMPLE_RATE = 22050
FORMAT_NAME = "speedyspeech-tf demo corpus"
FORMAT_VERSION = 1
ID_PREFIX = "DEMO"
MAX_SENTENCES = 99_999  # ids have five digits
_ID_RE = re.compile(rf"^{ID_PREFIX}-(\d{{5}})$")

# Festival's radio phone set (festival/lib/radio_phones.scm) -> our stressless ARPAbet; None = silence.
# Festival's US English lexicon is CMUdict-based, so most names are the lower-case ARPAbet ones. The others:
# `ax` (schwa) is CMUdict's unstressed AH0, `axr` its ER0; the flap `dx` and the nasal flap `nx` have no
# symbol of their own in our set and map to the stop/nasal they come from; the syllabic `el`, `em`, `en` map to
# their consonant (CMUdict writes AH0 L, AH0 M, AH0 N: one Festival phone against two of ours); `hv` (voiced h)
# is HH.
FESTIVAL_TO_ARPABET: dict[str, str | None] = {
    "aa": "AA", "ae": "AE", "ah": "AH", "ao": "AO", "aw": "AW", "ax": "AH", "axr": "ER", "ay": "AY",
    "b": "B", "ch": "CH", "d": "D", "dh": "DH", "dx": "D", "eh": "EH", "el": "L", "em": "M", "en": "N",
    "er": "ER", "ey": "EY", "f": "F", "g": "G", "hh": "HH", "hv": "HH", "ih": "IH", "iy": "IY", "jh": "JH",
    "k": "K", "l": "L", "m": "M", "n": "N", "nx": "N", "ng": "NG", "ow": "OW", "oy": "OY", "p": "P",
    "r": "R", "s": "S", "sh": "SH", "t": "T", "th": "TH", "uh": "UH", "uw": "UW", "v": "V", "w": "W",
    "y": "Y", "z": "Z", "zh": "ZH",
    "pau": None, "h#": None, "brth": None,
}
STRESSLESS_ARPABET = tuple(sorted({p.rstrip("012") for p in PHONEMES}))
assert set(v for v in FESTIVAL_TO_ARPABET.values() if v) <= set(STRESSLESS_ARPABET)


class VoiceUnavailableError(FileNotFoundError):
    """The requested synthesiser (program or voice) is not installed. The message names what is missing."""


class SynthesisError(RuntimeError):
    """The synthesiser failed on an item. The message names the item and the log to look at."""


class FallbackWarning(UserWarning):
    """Festival is unavailable and espeak-ng speaks instead (no phone timings)."""


def utterance_id(index: int) -> str:
    """The id of the index-th utterance (1-based): 1 -> 'DEMO-00001'."""
    if not 1 <= index <= MAX_SENTENCES:
        raise ValueError(f"utterance index {index} is outside 1..{MAX_SENTENCES}")
    return f"{ID_PREFIX}-{index:05d}"


# --------------------------------------------------------------------------------------------------------
# Which voices are installed.

@functools.lru_cache(maxsize=None)
def _festival_problem(program: str) -> str | None:
    if shutil.which(program) is None:
        return f"{program} not found on PATH (apt-get install festival festvox-us-slt-hts)"
    try:
        out = subprocess.run([program, "--pipe"], input=_festival_voice_probe(), capture_output=True, text=True,
                             timeout=120).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return f"{program} does not run ({e})"
    if "READY" not in out:
        return f"{program} has no voice voice_{FESTIVAL_VOICE} (apt-get install festvox-us-slt-hts)"
    return None


def festival_problem() -> str | None:
    """None when Festival and its SLT voice work, else why not (naming the missing program or voice)."""
    return _festival_problem(FESTIVAL_PROGRAM)


def espeak_problem() -> str | None:
    """None when espeak-ng is installed, else why not."""
    if shutil.which(ESPEAK_PROGRAM) is None:
        return f"{ESPEAK_PROGRAM} not found on PATH (apt-get install espeak-ng)"
    return None


def _problem(voice: str) -> str | None:
    return festival_problem() if voice == "festival" else espeak_problem()


def resolve_voice(voice: str | None, preferred: str | None = None) -> str:
    """The voice to use: `voice` if given (error if it is not installed); otherwise `preferred` (the voice of
    an existing corpus) or Festival, falling back to espeak-ng with a FallbackWarning."""
    if voice is not None:
        if voice not in VOICES:
            raise ValueError(f"unknown voice {voice!r}; choose one of {', '.join(VOICES)}")
        problem = _problem(voice)
        if problem:
            raise VoiceUnavailableError(problem)
        return voice
    first = preferred if preferred in VOICES else "festival"
    problem = _problem(first)
    if problem is None:
        return first
    other = "espeak" if first == "festival" else "festival"
    other_problem = _problem(other)
    if other_problem:
        raise VoiceUnavailableError(f"no voice available: {problem}; {other_problem}")
    if other == "espeak":
        warnings.warn(f"{problem}; using {ESPEAK_PROGRAM} instead (no phone timings)", FallbackWarning,
                      stacklevel=3)
    return other


# --------------------------------------------------------------------------------------------------------
# Synthesis workers. Each turns (id, text) into OUT_DIR/wavs/<id>.wav (+ timings) atomically.

def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _festival_voice_probe() -> str:
    # In --pipe mode a failing expression prints an error and Festival reads on; unwind-protect turns the
    # failure into an answer we can wait for, and (fflush nil) pushes it through the pipe at once.
    return (f'(unwind-protect (begin (voice_{FESTIVAL_VOICE}) (format t "READY\\n")) (format t "NOVOICE\\n"))'
            "\n(fflush nil)\n")


class _Writer:
    """Resamples a synthesiser's wav to 22,050 Hz 16-bit and writes it (and the timings) atomically."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.source_rate: int | None = None

    def write(self, utt_id: str, text: str, raw_wav: Path, phones: list[dict] | None) -> None:
        import numpy as np
        import soundfile as sf

        samples, rate = sf.read(raw_wav, dtype="float32", always_2d=True)
        samples = samples.mean(axis=1)
        if samples.size == 0:
            raise SynthesisError(f"{utt_id}: the synthesiser wrote an empty wav for {text!r}")
        self.source_rate = rate
        if rate != SAMPLE_RATE:
            import soxr  # librosa's own resampler backend

            samples = soxr.resample(samples, rate, SAMPLE_RATE, quality="HQ")
        pcm = np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)
        wav = self.out_dir / "wavs" / f"{utt_id}.wav"
        tmp = wav.with_name(f".{utt_id}.wav.tmp")
        sf.write(tmp, pcm, SAMPLE_RATE, format="WAV", subtype="PCM_16")
        os.replace(tmp, wav)
        if phones is not None:
            header = {
                "id": utt_id, "text": text, "voice": f"festival:{FESTIVAL_VOICE}", "phone_set": "radio",
                "sample_rate": SAMPLE_RATE, "num_samples": int(pcm.size), "source_sample_rate": int(rate),
                "duration": round(pcm.size / SAMPLE_RATE, 6),
            }
            # One phone a line: readable, and a third of the size of indented JSON.
            body = json.dumps(header, indent=2, sort_keys=True)[:-2] + ',\n  "phones": [\n'
            body += ",\n".join("    " + json.dumps(p, sort_keys=True) for p in phones) + "\n  ]\n}\n"
            _write_text_atomic(self.out_dir / "phone_timings" / f"{utt_id}.json", body)


class _FestivalWorker:
    """One `festival --pipe` process, fed one sentence at a time."""

    def __init__(self, writer: _Writer, work_dir: Path, index: int, processes: list):
        self.writer = writer
        self.raw = work_dir / f"festival-{index}.wav"
        self.log_path = work_dir / f"festival-{index}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([FESTIVAL_PROGRAM, "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, bufsize=1)
        processes.append(self.proc)
        try:
            self._send(_festival_voice_probe())
            if self._readline() != "READY":
                raise VoiceUnavailableError(f"{FESTIVAL_PROGRAM} has no voice voice_{FESTIVAL_VOICE} "
                                            "(apt-get install festvox-us-slt-hts)")
        except BaseException:
            self.close()
            raise

    def _send(self, command: str) -> None:
        try:
            self.proc.stdin.write(command)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise SynthesisError(f"{FESTIVAL_PROGRAM} stopped ({e}); see {self.log_path}") from None

    def _readline(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            raise SynthesisError(f"{FESTIVAL_PROGRAM} stopped unexpectedly (exit code {self.proc.poll()}); "
                                 f"see {self.log_path}")
        return line.rstrip("\n")

    def synthesize(self, utt_id: str, text: str) -> None:
        raw = _scheme_string(str(self.raw))
        self._send(
            "(unwind-protect (begin"
            f" (set! ss_utt (utt.synth (Utterance Text {_scheme_string(text)})))"
            f" (utt.save.wave ss_utt {raw} 'riff)"
            ' (mapcar (lambda (s) (format t "SEG\\t%s\\t%f\\t%s\\n" (item.name s) (item.feat s "end")'
            ' (item.feat s "R:SylStructure.parent.parent.name"))) (utt.relation.items ss_utt \'Segment))'
            ' (format t "END\\n"))'
            ' (format t "FAIL\\n"))\n(fflush nil)\n')
        phones = []
        while True:
            line = self._readline()
            if line == "END":
                break
            if line == "FAIL":
                raise SynthesisError(f"{FESTIVAL_PROGRAM} failed on {utt_id} ({text!r}); see {self.log_path}")
            fields = line.split("\t")
            if len(fields) != 4 or fields[0] != "SEG":
                continue  # anything else Festival prints
            _, name, end, word = fields
            phones.append({"phone": name, "end": round(float(end), 6), "word": None if word == "0" else word})
        if not phones:
            raise SynthesisError(f"{FESTIVAL_PROGRAM} gave no phone segments for {utt_id} ({text!r})")
        self.writer.write(utt_id, text, self.raw, phones)

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            self.log.close()


class _EspeakWorker:
    def __init__(self, writer: _Writer, work_dir: Path, index: int, processes: list):
        self.writer = writer
        self.raw = work_dir / f"espeak-{index}.wav"

    def synthesize(self, utt_id: str, text: str) -> None:
        result = subprocess.run([ESPEAK_PROGRAM, "-v", ESPEAK_VOICE, "-w", str(self.raw), text],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise SynthesisError(f"{ESPEAK_PROGRAM} failed on {utt_id} ({text!r}): "
                                 f"{(result.stderr.strip() or 'exit code %d' % result.returncode).splitlines()[0]}")
        self.writer.write(utt_id, text, self.raw, None)

    def close(self) -> None:
        pass


def _synthesize_all(jobs: list[tuple[str, str]], voice: str, writer: _Writer, work_dir: Path, workers: int,
                    bar) -> None:
    """Run the jobs on `workers` threads, each driving one synthesiser; raise the first failure."""
    todo: queue.Queue = queue.Queue()
    for job in jobs:
        todo.put(job)
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    processes: list[subprocess.Popen] = []
    worker_class = _FestivalWorker if voice == "festival" else _EspeakWorker

    def run(index: int) -> None:
        worker = None
        try:
            worker = worker_class(writer, work_dir, index, processes)
            while not stop.is_set():
                try:
                    utt_id, text = todo.get_nowait()
                except queue.Empty:
                    break
                worker.synthesize(utt_id, text)
                events.put(("done", utt_id))
        except BaseException as e:  # handed to the main thread
            events.put(("error", e))
        finally:
            if worker is not None:
                worker.close()
            events.put(("exit", index))

    threads = [threading.Thread(target=run, args=(i,), daemon=True, name=f"demo-corpus-{i}")
               for i in range(workers)]
    for t in threads:
        t.start()
    error = None
    running = len(threads)
    try:
        while running:
            try:
                kind, value = events.get(timeout=0.5)
            except queue.Empty:
                continue
            if kind == "done":
                bar.update(1)
            elif kind == "error":
                if error is None:
                    error = value
                stop.set()
            else:
                running -= 1
    except BaseException:  # KeyboardInterrupt: stop our synthesisers, keep what is written
        stop.set()
        for proc in list(processes):
            if proc.poll() is None:
                proc.terminate()
        raise
    finally:
        for t in threads:
            t.join(timeout=10)
    if error is not None:
        raise error


# --------------------------------------------------------------------------------------------------------
# The corpus.

def _settings(voice: str, seed: int) -> dict:
    return {
        "voice": voice,
        "voice_name": FESTIVAL_VOICE if voice == "festival" else ESPEAK_VOICE,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "sample_rate": SAMPLE_RATE,
    }


def read_corpus_summary(corpus_dir: str | os.PathLike) -> dict:
    """The corpus.json of a demo corpus (ValueError if the folder holds something else)."""
    path = Path(corpus_dir) / "corpus.json"
    try:
        summary = load_json(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} not found: {corpus_dir} is not a demo corpus") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: unreadable ({e})") from None
    if not isinstance(summary, dict) or summary.get("format") != FORMAT_NAME:
        raise ValueError(f"{path} is not a {FORMAT_NAME} summary")
    return summary


def _read_metadata(path: Path) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return {row[0]: row[1] for row in csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE) if len(row) >= 2}
    except (OSError, UnicodeDecodeError):
        return {}


def _metadata_text(ids: list[str], texts: list[str]) -> str:
    return "".join(f"{i}|{t}|{t}\n" for i, t in zip(ids, texts))


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def _item_ok(out: Path, utt_id: str, text: str, timings: bool) -> bool:
    """Whether the item is written completely: a 22,050 Hz 16-bit mono wav, and (Festival) timings for the
    same text and the same number of samples (the timings are written after the wav)."""
    import soundfile as sf

    try:
        info = sf.info(out / "wavs" / f"{utt_id}.wav")
    except (RuntimeError, OSError, sf.LibsndfileError):
        return False
    if info.samplerate != SAMPLE_RATE or info.channels != 1 or info.subtype != "PCM_16" or info.frames <= 0:
        return False
    if not timings:
        return True
    try:
        data = load_json(out / "phone_timings" / f"{utt_id}.json")
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("text") == text and data.get("num_samples") == info.frames


def make_demo_corpus(out_dir: str | os.PathLike, n_sentences: int, voice: str | None = None, seed: int = 0,
                     workers: int | None = None, progress: bool = True) -> dict:
    """Write (or complete) a demo corpus of `n_sentences` generated sentences in `out_dir`.

    voice: "festival", "espeak", or None for Festival with espeak-ng as the fallback (a FallbackWarning).
    workers: synthesiser processes in parallel (default: the number of CPUs).
    Returns the corpus summary (the content of corpus.json) plus "written": how many items were synthesised
    by this call (0 when the corpus was already complete).
    Raises ValueError for bad arguments or an `out_dir` holding something else (another corpus, other
    settings), VoiceUnavailableError when no requested voice is installed, SynthesisError when a
    synthesiser fails.
    """
    if isinstance(n_sentences, bool) or not isinstance(n_sentences, int) or not 1 <= n_sentences <= MAX_SENTENCES:
        raise ValueError(f"number of sentences must be an integer in 1..{MAX_SENTENCES}, got {n_sentences!r}")
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a directory")

    existing = None
    if out.is_dir() and any(out.iterdir()):
        try:
            existing = read_corpus_summary(out)
        except (FileNotFoundError, ValueError):
            raise ValueError(f"{out} is not empty and is not a demo corpus (no valid corpus.json); "
                             "choose an empty or new directory") from None
    voice = resolve_voice(voice, preferred=existing.get("voice") if existing else None)
    settings = _settings(voice, seed)
    if existing is not None:
        diffs = [f"{k}: corpus has {existing.get(k)!r}, requested {v!r}" for k, v in settings.items()
                 if existing.get(k) != v]
        if diffs:
            raise ValueError(f"{out} holds a demo corpus made with other settings ({'; '.join(diffs)}); "
                             "use those settings or another directory")

    texts = generate_sentences(n_sentences, seed)
    ids = [utterance_id(i + 1) for i in range(n_sentences)]
    timings = voice == "festival"
    old_texts = _read_metadata(out / "metadata.csv")
    ok = [old_texts.get(i, t) == t and _item_ok(out, i, t, timings) for i, t in zip(ids, texts)]
    metadata = _metadata_text(ids, texts)

    def read_existing_metadata() -> str | None:
        try:
            return (out / "metadata.csv").read_text(encoding="utf-8")
        except OSError:
            return None

    if (existing is not None and existing.get("complete") and existing.get("count") == n_sentences and all(ok)
            and read_existing_metadata() == metadata):
        return dict(existing, written=0)  # already complete: a no-op

    (out / "wavs").mkdir(parents=True, exist_ok=True)
    if timings:
        (out / "phone_timings").mkdir(exist_ok=True)
    summary = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **settings,
               "voice_program": FESTIVAL_PROGRAM if timings else ESPEAK_PROGRAM,
               "source_sample_rate": existing.get("source_sample_rate") if existing else None,
               "count": n_sentences, "phone_timings": timings,
               "phone_set": "festival radio" if timings else None, "complete": False}
    save_json(summary, out / "corpus.json")
    if (out / "metadata.csv").exists():  # what it lists may be about to change: only written when complete
        (out / "metadata.csv").unlink()
    _remove_leftovers(out, keep=set(ids))

    jobs = [(i, t) for i, t, good in zip(ids, texts, ok) if not good]
    writer = _Writer(out)
    if jobs:
        from tqdm import tqdm

        work_dir = out / ".work"
        work_dir.mkdir(exist_ok=True)
        with tqdm(total=n_sentences, initial=n_sentences - len(jobs), desc="make-demo-corpus", unit="utt",
                  disable=not progress, file=sys.stderr) as bar:
            _synthesize_all(jobs, voice, writer, work_dir, min(workers, len(jobs)), bar)
        shutil.rmtree(work_dir, ignore_errors=True)

    import soundfile as sf

    total_samples = sum(sf.info(out / "wavs" / f"{i}.wav").frames for i in ids)
    _write_text_atomic(out / "metadata.csv", metadata)
    summary.update(complete=True, total_seconds=round(total_samples / SAMPLE_RATE, 3),
                   source_sample_rate=writer.source_rate or summary["source_sample_rate"])
    save_json(summary, out / "corpus.json")
    return dict(summary, written=len(jobs))


def _remove_leftovers(out: Path, keep: set[str]) -> None:
    """Remove temporary files of an interrupted run and the items of ids past the corpus's count."""
    for sub, suffix in (("wavs", ".wav"), ("phone_timings", ".json")):
        folder = out / sub
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            name = path.name
            if name.startswith(".") and name.endswith(".tmp"):
                path.unlink()
            elif name.endswith(suffix) and _ID_RE.match(name[: -len(suffix)]) and name[: -len(suffix)] not in keep:
                path.unlink()


# --------------------------------------------------------------------------------------------------------
# Reading the timings back.

def load_phone_timings(corpus_dir: str | os.PathLike, utt_id: str) -> list[tuple[str | None, float, float]]:
    """The voice's phones of one utterance as (stressless ARPAbet or None for silence, start s, end s).

    Raises FileNotFoundError naming the file (or saying the corpus has no timings: espeak-ng corpora),
    ValueError for an unknown phone name or times that go backwards.
    """
    path = Path(corpus_dir) / "phone_timings" / f"{utt_id}.json"
    if not path.exists():
        summary_path = Path(corpus_dir) / "corpus.json"
        if summary_path.exists():
            try:
                summary = load_json(summary_path)
            except (OSError, ValueError):
                summary = {}
            if isinstance(summary, dict) and summary.get("phone_timings") is False:
                raise FileNotFoundError(f"{corpus_dir} has no phone timings (made with "
                                        f"{summary.get('voice_program', summary.get('voice'))})")
        raise FileNotFoundError(f"{path} not found")
    try:
        data = load_json(path)
        phones = data["phones"]
        pairs = [(str(p["phone"]), float(p["end"])) for p in phones]
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a phone timing file ({e})") from None
    out = []
    start = 0.0
    for name, end in pairs:
        if name not in FESTIVAL_TO_ARPABET:
            raise ValueError(f"{path}: unknown Festival phone {name!r}")
        if end < start:
            raise ValueError(f"{path}: phone {name!r} ends at {end} s, before it starts ({start} s)")
        out.append((FESTIVAL_TO_ARPABET[name], start, end))
        start = end
    return out


# --------------------------------------------------------------------------------------------------------
# Command line.

def register(subparsers) -> None:
    p = subparsers.add_parser(
        "make-demo-corpus",
        help="synthesise a small LJ Speech-layout corpus of generated sentences (Festival or espeak-ng)",
        description=(
            "Write OUT_DIR/metadata.csv, OUT_DIR/wavs/<id>.wav (22,050 Hz, 16-bit, mono) and, with Festival, "
            "OUT_DIR/phone_timings/<id>.json (the voice's own phone end times), plus OUT_DIR/corpus.json. "
            "The sentences come from the project's seeded sentence generator. Re-running with the same "
            "settings resumes an interrupted run and leaves a complete corpus untouched."))
    p.add_argument("out_dir", metavar="OUT_DIR", help="output folder (new, empty, or a demo corpus to complete)")
    p.add_argument("--sentences", type=int, required=True, metavar="N", help="number of sentences")
    p.add_argument("--voice", choices=VOICES, default=None,
                   help="festival (CMU ARCTIC SLT HTS voice, with phone timings) or espeak (espeak-ng en-us, "
                        "no timings); default: festival, or espeak-ng when Festival or the voice is missing")
    p.add_argument("--seed", type=int, default=0, help="seed of the sentence generator (default 0)")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="synthesiser processes in parallel (default: number of CPUs)")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    from .cli import CLIError

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"make-demo-corpus: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", FallbackWarning)
        warnings.showwarning = show
        try:
            summary = make_demo_corpus(args.out_dir, args.sentences, voice=args.voice, seed=args.seed,
                                       workers=args.workers)
        except SynthesisError as e:
            raise CLIError(str(e)) from None
    state = "already complete" if summary["written"] == 0 else f"{summary['written']} synthesised"
    print(f"{args.out_dir}: {summary['count']} utterances ({state}), {summary['total_seconds']:.1f} s of audio "
          f"at {summary['sample_rate']} Hz, voice {summary['voice']}"
          f"{', with phone timings' if summary['phone_timings'] else ', no phone timings'}")
    return 0
