"""`speedyspeech-synth`: text -> 16-bit PCM WAV with an exported model directory, without TensorFlow.

    speedyspeech-synth --model-dir DIR --text "Hello world." --out hello.wav
    echo "Text from stdin." | speedyspeech-synth --model-dir DIR --out hello.wav --json
    speedyspeech-synth --model-dir DIR --text "Streaming." --out - | aplay -f S16_LE -r 22050 -c 1
    speedyspeech-synth --model-dir DIR --mel MEL.npy --out copy.wav      # copy synthesis: vocoder only
    speedyspeech-synth --model-dir DIR --phonemes "HH AH0 L OW1 | W ER1 L D" --out hello.wav
    speedyspeech-synth --model-dir DIR --text '<speak>Wait <break time="300ms"/> now.</speak>' --out w.wav \
        --lexicon my.lex --sentence-silence 0.3 --timestamps w.json

Exit codes: 0 done; 2 bad input (empty or unpronounceable text, bad speed/threads, a model directory whose
config.json does not match its files, an interpreter that is not installed), with a one-line message on stderr
and no output file written; 130 interrupted.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from ..cli import positive_int
from .interpreters import RUNTIME_CHOICES

PROG = "speedyspeech-synth"
USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line (no usage block) and exit code 2, like every other bad input
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Synthesise speech from text with an exported SpeedySpeech + vocoder (MelGAN or HiFi-GAN) model "
                    "directory (speedyspeech-tf export) on the CPU, with a TFLite interpreter and no TensorFlow; "
                    "or vocode a log-mel spectrogram (--mel, copy synthesis).",
        epilog="Example: speedyspeech-synth --model-dir model --text 'Hello world.' --out - | "
               "aplay -f S16_LE -r 22050 -c 1")
    p.add_argument("--model-dir", default=None, metavar="DIR",
                   help="exported model directory (student.tflite, vocoder.tflite, config.json); default: the "
                        "bundled voice (voices/slt, or $SPEEDYSPEECH_VOICE)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--text", metavar="TEXT",
                        help="text to speak (default: read standard input); an SSML document when it starts with "
                             "<speak> (break, prosody rate, phoneme, sub, say-as; see README.md)")
    source.add_argument("--phonemes", metavar="PHONEMES",
                        help="say these ARPAbet symbols of the model's table instead of text: spaces between "
                             "symbols, '|' between words, e.g. \"HH AH0 L OW1 | W ER1 L D\"")
    source.add_argument("--mel", metavar="MEL.npy",
                        help="vocode this log-mel instead of synthesising text: a .npy of shape [frames, n_mels] "
                             "(80 for LJ Speech), natural log of the magnitude mel clipped at 1e-5, the reference's "
                             "features (speedyspeech_tf.audio.log_mel)")
    p.add_argument("--out", required=True, metavar="OUT.wav",
                   help="output 16-bit PCM WAV file, or '-' to stream raw 16-bit little-endian mono PCM to "
                        "stdout window by window (sample rate from the model, 22050 Hz for LJ Speech)")
    p.add_argument("--threads", type=positive_int, default=1, metavar="N", help="interpreter threads (default 1)")
    p.add_argument("--speed", type=_number, default=1.0, metavar="S",
                   help="speaking rate: 1.0 as trained, 2.0 twice as fast (default 1.0)")
    p.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto",
                   help="TFLite interpreter: auto tries ai-edge-litert, then tflite-runtime, then tensorflow "
                        "(default auto)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object with timings (audio_seconds, synthesis_seconds, rtf, "
                        "first_audio_seconds, student_seconds, vocoder_seconds, threads, quantization, runtime, "
                        "...) on stdout, or on stderr with --out -")
    p.add_argument("--lexicon", metavar="FILE",
                   help="user lexicon overriding the dictionary: 'WORD PHONEMES' per line, e.g. "
                        "'tomato T AH0 M AA1 T OW2' ('#' comments)")
    p.add_argument("--sentence-silence", type=_seconds, default=0.0, metavar="SECONDS",
                   help="silence between sentences (default 0)")
    p.add_argument("--comma-silence", type=_seconds, default=0.0, metavar="SECONDS",
                   help="silence after each comma (default 0: commas are spoken as the model says them)")
    p.add_argument("--timestamps", metavar="FILE.json",
                   help="write the start and end of every word and phoneme (seconds) as JSON: {\"words\": "
                        "[{\"text\", \"start\", \"end\", \"phonemes\": [{\"symbol\", \"start\", \"end\"}]}]}")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _seconds(value: str) -> float:
    v = _number(value)
    if not 0.0 <= v <= 60.0:
        raise argparse.ArgumentTypeError(f"expected seconds in [0, 60], got {value!r}")
    return v


def _progress_bar(total_hint: str, quiet: bool):
    """A tqdm bar over the text's chunks on stderr (tqdm ships with nltk, a front-end dependency; without it,
    no bar). Shown only on a terminal."""
    if quiet:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=None, desc=total_hint, unit="chunk", file=sys.stderr, disable=None, leave=False)


@contextlib.contextmanager
def _native_stderr_silenced():
    """Silence what the interpreter's C++ code prints on file descriptor 2 while the models load ("INFO: Created
    TensorFlow Lite XNNPACK delegate for CPU.", which no environment variable turns off), so that stderr holds
    only our own messages. Python exceptions are unaffected (they are printed after the block)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (embedded interpreters, some test runners)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_mel(path: str, n_mels: int):
    """A log-mel [frames, n_mels] float32 from a .npy file; ValueError naming the file when it is not one."""
    import numpy as np

    if not os.path.isfile(path):
        raise FileNotFoundError(f"--mel {path}: no such file")
    try:
        mel = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"--mel {path}: not a .npy array ({str(e).strip().splitlines()[0] if str(e) else e})") \
            from None
    if mel.ndim == 3 and mel.shape[0] == 1:
        mel = mel[0]
    if mel.ndim != 2 or mel.shape[1] != n_mels or mel.shape[0] < 1 or mel.dtype.kind not in "fiu":
        hint = " (it looks transposed: save it as [frames, n_mels])" if mel.ndim == 2 and mel.shape[0] == n_mels \
            else ""
        raise ValueError(f"--mel {path}: expected a numeric array [frames, {n_mels}], got {mel.dtype} "
                         f"{list(mel.shape)}{hint}")
    mel = mel.astype(np.float32)
    if not np.all(np.isfinite(mel)):
        raise ValueError(f"--mel {path}: holds NaN or infinite values")
    return mel


def synthesize_to(args) -> int:
    from .synthesizer import Synthesizer
    from .wav import AtomicWavWriter, float_to_pcm16

    to_stdout = args.out == "-"
    text = None
    if args.mel is None and args.phonemes is None:
        text = args.text if args.text is not None else sys.stdin.read()
    speak = text is not None or args.phonemes is not None
    if args.mel is not None and (args.timestamps or args.lexicon):
        raise ValueError("--timestamps and --lexicon need text or --phonemes, not --mel")
    if args.timestamps:
        ts_dir = os.path.dirname(os.path.abspath(args.timestamps))
        if not os.path.isdir(ts_dir) or os.path.isdir(args.timestamps):
            raise FileNotFoundError(f"--timestamps {args.timestamps}: not a file path in an existing directory")
    if not to_stdout:
        out_dir = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(out_dir):
            raise FileNotFoundError(f"--out {args.out}: the directory {out_dir} does not exist")
        if os.path.isdir(args.out):
            raise IsADirectoryError(f"--out {args.out}: is a directory, expected a .wav file path")
    if text is not None and not text.strip():
        raise ValueError("empty text: nothing to synthesise" + ("" if args.text is not None else " (stdin was empty)"))
    with _native_stderr_silenced():
        synth = Synthesizer(args.model_dir, threads=args.threads, runtime=args.runtime, warm_up=speak,
                            lexicon=args.lexicon)
    if args.timestamps and not synth.models.has_durations:
        synth.timestamps()  # the one-line error: exported before timestamps existed
    bar = _progress_bar("synthesising" if speak else "vocoding", args.quiet)

    def progress(done, total):
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    if speak:  # everything is checked before any output
        chunks = synth.stream(text, args.speed, progress=progress, phonemes=args.phonemes,
                              sentence_silence=args.sentence_silence, comma_silence=args.comma_silence)

        def stats_of():
            stats = synth.last_stats.as_dict()
            if synth.models.has_durations:
                stats["words"] = synth.timestamps()["words"]
            return stats
    else:
        chunks, stats_of = _vocode_mel(synth, load_mel(args.mel, synth.config.audio.n_mels), progress)
    try:
        if to_stdout:
            out = sys.stdout.buffer
            try:
                for audio in chunks:
                    out.write(float_to_pcm16(audio))
                    out.flush()
            except BrokenPipeError:  # the player went away: stop quietly
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return 1
        else:
            with AtomicWavWriter(args.out, synth.sample_rate) as writer:
                for audio in chunks:
                    writer.write(audio)
    finally:
        if bar is not None:
            bar.close()
    if args.timestamps:
        from ..config import write_atomic

        write_atomic(args.timestamps, (json.dumps(synth.timestamps(), indent=1) + "\n").encode("utf-8"))
    if args.json:
        stats = stats_of()
        stats.update(model_dir=os.path.abspath(synth.model_dir), out=args.out)
        print(json.dumps(stats, sort_keys=True), file=sys.stderr if to_stdout else sys.stdout, flush=True)
    return 0


def _vocode_mel(synth, mel, progress):
    """Copy synthesis through the exported vocoder: (audio chunks iterator, () -> stats dict)."""
    import math
    import time

    models = synth.models
    with _native_stderr_silenced():
        models.warm_up()
    stats = {"runtime": synth.runtime, "threads": synth.threads, "quantization": synth.quantization,
             "vocoder": synth.config.vocoder, "sample_rate": synth.sample_rate, "frames": int(mel.shape[0]),
             "audio_samples": 0, "vocoder_calls": 0, "vocoder_seconds": 0.0, "synthesis_seconds": 0.0,
             "first_audio_seconds": None, "rtf": None, "complete": False}
    n_windows = len(list(range(0, mel.shape[0], synth.config.W)))

    def run():
        start = time.perf_counter()
        v0, c0 = models.vocoder_seconds, models.vocoder_calls
        own, resumed = 0.0, start
        for i, audio in enumerate(synth.iter_vocode(mel), 1):
            now = time.perf_counter()
            own += now - resumed
            if stats["first_audio_seconds"] is None:
                stats["first_audio_seconds"] = round(now - start, 6)
            stats["audio_samples"] += int(audio.size)
            progress(min(i, n_windows), n_windows)
            yield audio
            resumed = time.perf_counter()
        own += time.perf_counter() - resumed
        seconds = stats["audio_samples"] / synth.sample_rate
        stats.update(vocoder_seconds=round(models.vocoder_seconds - v0, 6), vocoder_calls=models.vocoder_calls - c0,
                     synthesis_seconds=round(own, 6), audio_seconds=round(seconds, 6),
                     rtf=round(own / seconds, 6) if seconds > 0 and math.isfinite(own) else None, complete=True)

    return run(), lambda: dict(stats)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2, one line already printed)
        return int(e.code or 0)
    try:
        return synthesize_to(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
