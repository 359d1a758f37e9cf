"""`speedyspeech-tf demo`: the whole system on a fresh machine, offline, in about 15 minutes on 2 CPU cores.

Steps (each recorded in OUT/demo_state.json when done, so a rerun resumes instead of starting over; an
interrupted training step resumes from its last backup):

  1. corpus      make a demo corpus with a Debian voice (speedyspeech_tf.demo_corpus)
  2. preprocess  features and phoneme ids into a cache (speedyspeech_tf.data)
  3. teacher     train the duration extractor for a bounded time
  4. durations   extract phoneme durations from its attention (+ attention plots)
  5. student     train the student for a bounded time
  6. vocoder     train MelGAN for a bounded time
  7. export      quantized TFLite student + vocoder with config.json
  8. synthesize  a sentence with the TensorFlow-free runtime → OUT/demo.wav (+ mel plot)
  9. report      OUT/report.md and OUT/report.json (losses, durations, RTF, artefacts)

Fifteen minutes of CPU training shows the pipeline working end to end; it does not make a natural voice (the
paper trains the teacher for 19 h and the student for 13 h on a GPU). The report says so.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import time
from typing import Any, Callable

from .config import load_json, save_json

DEFAULT_TEXT = "The quick brown fox jumps over the lazy dog, and the demo speaks this sentence on the CPU."
STEPS = ("corpus", "preprocess", "teacher", "durations", "student", "vocoder", "export", "synthesize", "report")
# Share of the training budget each model gets (the rest of the demo takes ~3 minutes on 2 cores).
BUDGET_SHARES = {"teacher": 0.35, "student": 0.3, "vocoder": 0.35}
OVERHEAD_MINUTES = 3.0


class DemoState:
    def __init__(self, out_dir: str, settings: dict):
        self.path = os.path.join(out_dir, "demo_state.json")
        self.state = load_json(self.path) if os.path.exists(self.path) else {"completed": {}, "settings": settings}
        old = self.state.get("settings", {})
        fixed = ("sentences", "size", "seed", "voice")
        changed = [k for k in fixed if k in old and old[k] != settings.get(k)]
        if changed:
            k = changed[0]
            raise ValueError(f"{out_dir} holds a demo made with {k}={old[k]!r} (now {settings.get(k)!r}); "
                             "use another --out or the same settings")
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


def _json_safe(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (str, int, float, bool)) for x in v):
            out[k] = list(v)
        elif isinstance(v, dict):
            out[k] = _json_safe(v)
    return out


def _loss_summary(run_dir: str) -> dict:
    from .training.common import read_history

    hist = read_history(run_dir)
    if not hist:
        return {}
    first, last = hist[0], hist[-1]
    keys = [k for k in first if k != "epoch" and not k.startswith("val_") and "learning_rate" not in k]
    return {"epochs": len(hist), "first": {k: first[k] for k in keys if k in first},
            "last": {k: last[k] for k in keys if k in last}}


def run_demo(out_dir: str, *, minutes: float = 15.0, sentences: int = 200, size: str = "paper",
             quantization: str = "int8", text: str = DEFAULT_TEXT, seed: int = 0, voice: str | None = None,
             steps_per_epoch: int | None = None, max_epochs: int | None = None, progress: bool = True,
             log: Callable[[str], Any] = print) -> dict:
    """Run (or resume) the demo into out_dir; returns the report as a dict."""
    if minutes <= 0:
        raise ValueError(f"--minutes must be positive, got {minutes}")
    if sentences < 2:
        raise ValueError(f"--sentences must be at least 2, got {sentences}")
    if size not in ("paper", "tiny"):
        raise ValueError(f"--size must be 'paper' or 'tiny', got {size!r}")
    os.makedirs(out_dir, exist_ok=True)
    out_dir = os.path.abspath(out_dir)
    state = DemoState(out_dir, {"sentences": sentences, "size": size, "seed": seed, "voice": voice})
    paths = {
        "corpus": os.path.join(out_dir, "corpus"),
        "cache": os.path.join(out_dir, "cache"),
        "teacher": os.path.join(out_dir, "runs", "teacher"),
        "student": os.path.join(out_dir, "runs", "student"),
        "vocoder": os.path.join(out_dir, "runs", "vocoder"),
        "durations": os.path.join(out_dir, "durations.npz"),
        "model": os.path.join(out_dir, "model"),
        "plots": os.path.join(out_dir, "plots"),
        "wav": os.path.join(out_dir, "demo.wav"),
    }
    os.makedirs(paths["plots"], exist_ok=True)
    train_minutes = max(minutes - OVERHEAD_MINUTES, 0.5)
    budget = {k: max(train_minutes * share, 0.25) for k, share in BUDGET_SHARES.items()}
    started = time.perf_counter()

    def step(name: str, fn: Callable[[], dict]) -> dict:
        if state.done(name):
            log(f"[demo] {name}: already done, skipped")
            return state.result(name)
        log(f"[demo] {name} ...")
        t0 = time.perf_counter()
        result = _json_safe(fn() or {})
        result["seconds"] = round(time.perf_counter() - t0, 1)
        state.mark(name, result)
        log(f"[demo] {name}: done in {result['seconds']} s")
        return result

    train_kwargs = dict(config=size, seed=seed, progress=progress, log=log)
    if steps_per_epoch is not None:
        train_kwargs["steps_per_epoch"] = steps_per_epoch
    if max_epochs is not None:
        train_kwargs["epochs"] = max_epochs

    def corpus():
        from .demo_corpus import make_demo_corpus

        info = make_demo_corpus(paths["corpus"], sentences, voice=voice, seed=seed, progress=progress)
        return {"voice": info.get("voice"), "items": info.get("count", sentences),
                "phone_timings": info.get("phone_timings")}

    def preprocess():
        from .data import preprocess as run_preprocess

        info = run_preprocess(paths["corpus"], paths["cache"], workers=min(2, os.cpu_count() or 1),
                              progress=progress, log=log)
        return {k: v for k, v in info.items() if isinstance(v, (int, float, str))}

    def teacher():
        from .training.teacher import train_teacher

        train_teacher(paths["cache"], paths["teacher"], minutes=budget["teacher"], **train_kwargs)
        return _loss_summary(paths["teacher"])

    def durations():
        from .training.teacher import extract_durations_to_file

        # Viterbi, not the reference's greedy rule: a teacher trained for minutes skips spaces and punctuation,
        # and the greedy rule then sticks behind them (BENCHMARKS.md, "Teacher: duration accuracy": mean boundary
        # error 5.9 frames with Viterbi, 50.9 with the greedy rule after ~50 CPU minutes).
        info = extract_durations_to_file(os.path.join(paths["teacher"], "checkpoint"), paths["cache"],
                                         paths["durations"], plots=2, plots_dir=paths["plots"], method="viterbi",
                                         progress=progress, log=log)
        info["method"] = "viterbi"
        return info

    def student():
        from .training.student import train_student

        train_student(paths["cache"], paths["durations"], paths["student"], minutes=budget["student"],
                      **train_kwargs)
        return _loss_summary(paths["student"])

    def vocoder():
        from .training.vocoder import train_vocoder

        kwargs = dict(train_kwargs)
        # A paper-size MelGAN step at the reference's batch 16 takes ~20-30 s on 2 CPU cores: batch 4 gives
        # the few minutes more updates, short epochs give backups and audio samples to look at, and the time
        # budget also stops inside an epoch (training.common.TimeBudget).
        kwargs.setdefault("steps_per_epoch", 10)
        kwargs.setdefault("batch_size", 4)
        kwargs.setdefault("epochs", 10_000)
        train_vocoder(paths["cache"], paths["vocoder"], minutes=budget["vocoder"], **kwargs)
        return _loss_summary(paths["vocoder"])

    def export():
        from .exporting.pipeline import export_models

        if os.path.isdir(paths["model"]):
            shutil.rmtree(paths["model"])
        result = export_models(os.path.join(paths["student"], "checkpoint"),
                               os.path.join(paths["vocoder"], "checkpoint"), paths["model"],
                               quantization=quantization, calibration_cache=paths["cache"], progress=progress,
                               log=log, student_int8="dynamic")  # int8: the fastest pair (BENCHMARKS.md "Runtime")
        report = getattr(result, "report", None) or {}
        return {"quantization": quantization, "files": sorted(os.listdir(paths["model"])),
                "report": _json_safe(report) if isinstance(report, dict) else {}}

    def synthesize():
        import numpy as np

        from .plots import plot_mels
        from .runtime.synthesizer import Synthesizer
        from .runtime.wav import write_wav

        synth = Synthesizer(paths["model"], threads=1)
        audio, sr = synth.synthesize(text)
        stats = synth.last_stats.as_dict()
        mels = [mel for ids in synth.text_chunks(text) for _, mel in synth.mels(ids)]
        write_wav(paths["wav"], audio, sr)
        plot_mels(os.path.join(paths["plots"], "synthesized_mel.png"), [np.concatenate(mels, axis=0)],
                  titles=[f"student mel: {text[:60]}"])
        return {"text": text, "sample_rate": sr, "samples": int(audio.size),
                "audio_seconds": round(audio.size / sr, 3), "rtf": stats.get("rtf"),
                "first_audio_seconds": stats.get("first_audio_seconds"),
                "student_seconds": stats.get("student_seconds"), "vocoder_seconds": stats.get("vocoder_seconds"),
                "frames": int(sum(m.shape[0] for m in mels))}

    step("corpus", corpus)
    step("preprocess", preprocess)
    step("teacher", teacher)
    step("durations", durations)
    step("student", student)
    step("vocoder", vocoder)
    step("export", export)
    step("synthesize", synthesize)

    # Gather the training plots a person wants to see next to the WAV.
    for run in ("teacher", "student"):
        pngs = sorted(glob.glob(os.path.join(paths[run], "plots", "*.png")), key=os.path.getmtime)
        if pngs:
            shutil.copy2(pngs[-1], os.path.join(paths["plots"], f"{run}_last_epoch.png"))

    report = {
        "out_dir": out_dir,
        "settings": state.state["settings"],
        "minutes_budget": minutes,
        "training_budget_minutes": {k: round(v, 2) for k, v in budget.items()},
        "steps": state.state["completed"],
        "artefacts": {
            "wav": paths["wav"],
            "plots": sorted(os.listdir(paths["plots"])),
            "model": sorted(os.listdir(paths["model"])) if os.path.isdir(paths["model"]) else [],
        },
        "wall_seconds_this_run": round(time.perf_counter() - started, 1),
        "note": ("A demo-length CPU training run shows the pipeline end to end; it does not make a natural voice "
                 "(the paper trains for 32 GPU-hours)."),
    }
    save_json(report, os.path.join(out_dir, "report.json"))
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(format_report(report))
    state.mark("report", {"path": os.path.join(out_dir, "report.md")})
    log(format_summary(report))
    return report


def format_report(report: dict) -> str:
    s = report["steps"]
    lines = ["# speedyspeech-tf demo report", "", report["note"], "",
             f"Settings: {json.dumps(report['settings'])}", "", "| step | seconds | result |", "|---|---|---|"]
    for name in STEPS[:-1]:
        r = s.get(name, {})
        brief = {k: v for k, v in r.items() if k not in ("seconds", "report")}
        lines.append(f"| {name} | {r.get('seconds', '-')} | `{json.dumps(brief)[:300]}` |")
    syn = s.get("synthesize", {})
    lines += ["", f"Audio: {syn.get('audio_seconds')} s at {syn.get('sample_rate')} Hz, RTF {syn.get('rtf')} "
                  f"(first audio after {syn.get('first_audio_seconds')} s), in `{report['artefacts']['wav']}`.",
              f"Plots: {', '.join(report['artefacts']['plots'])}.",
              f"Model files: {', '.join(report['artefacts']['model'])}.", ""]
    return "\n".join(lines)


def format_summary(report: dict) -> str:
    syn = report["steps"].get("synthesize", {})
    lines = ["", "Demo finished.",
             f"  wav:     {report['artefacts']['wav']} ({syn.get('audio_seconds')} s, RTF {syn.get('rtf')})",
             f"  plots:   {os.path.join(report['out_dir'], 'plots')}",
             f"  models:  {os.path.join(report['out_dir'], 'model')}",
             f"  report:  {os.path.join(report['out_dir'], 'report.md')}"]
    for run in ("teacher", "student", "vocoder"):
        ls = report["steps"].get(run, {})
        if ls.get("first") and ls.get("last"):
            k = next((k for k in ("loss", "g_loss") if k in ls["first"]), next(iter(ls["first"])))
            lines.append(f"  {run}: {k} {ls['first'][k]:.4f} -> {ls['last'][k]:.4f} over {ls['epochs']} epochs")
    return "\n".join(lines)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="make a demo corpus, train all models briefly, export TFLite and speak a sentence (offline)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    p.add_argument("--minutes", type=float, default=15.0, help="total time budget in minutes (default 15)")
    p.add_argument("--sentences", type=int, default=200, help="demo corpus size (default 200)")
    p.add_argument("--size", choices=("paper", "tiny"), default="paper",
                   help="model configurations: the paper's, or tiny ones for a quick check (default paper)")
    p.add_argument("--quantize", choices=("float32", "dynamic", "float16", "int8"), default="int8",
                   help="TFLite quantization (default int8: full-integer vocoder, dynamic-range student, the "
                        "fastest on a CPU)")
    p.add_argument("--text", default=DEFAULT_TEXT, help="the sentence to synthesise")
    p.add_argument("--voice", choices=("festival", "espeak"), default=None, help="demo corpus voice")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps-per-epoch", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--max-epochs", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args) -> int:
    run_demo(args.out, minutes=args.minutes, sentences=args.sentences, size=args.size, quantization=args.quantize,
             text=args.text, seed=args.seed, voice=args.voice, steps_per_epoch=args.steps_per_epoch,
             max_epochs=args.max_epochs)
    return 0
