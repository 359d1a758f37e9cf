"""`speedyspeech-tf demo`: speak with the bundled voice, or (--train) the whole pipeline from nothing.

Quick form (default, under two minutes): a few sentences with the bundled voice (voices/slt) through the
TensorFlow-free TFLite runtime -> OUT/sentence_N.wav, OUT/mel.png, OUT/timestamps.json, OUT/report.md/json (RTF,
first audio, the voice's measured quality).

--train (about 15 minutes on 2 CPU cores; steps recorded in OUT/demo_state.json, so a rerun resumes):
  corpus -> preprocess -> teacher -> durations (Viterbi) -> student -> export (with the pretrained HiFi-GAN
  vocoder) -> synthesize -> report (with the offline recogniser's word error rate of what it said).
Fifteen minutes of CPU training shows the pipeline working end to end; its voice is far from the bundled one
(trained for hours), and the report says how far.
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
from .voice import DEFAULT_VOCODER, StepState, json_safe, loss_summary

DEFAULT_TEXT = "The quick brown fox jumps over the lazy dog, and the demo speaks this sentence on the CPU."
SPEAK_TEXTS = (
    "Hello! This voice runs on the CPU, with no network and no GPU.",
    "The student predicts every sound's duration, so it speaks in one pass, faster than real time.",
    "On the third of May, 2024, Doctor Smith paid $12.50 for two books at 8 a.m.",
)
STEPS = ("corpus", "preprocess", "teacher", "durations", "student", "export", "synthesize", "report")
# Share of the training budget each model gets (the rest of the demo takes ~3 minutes on 2 cores).
BUDGET_SHARES = {"teacher": 0.5, "student": 0.5}
OVERHEAD_MINUTES = 4.0


class DemoState(StepState):
    def __init__(self, out_dir: str, settings: dict):
        super().__init__(os.path.join(out_dir, "demo_state.json"), settings, ("sentences", "size", "seed", "voice"))


def run_demo(out_dir: str, *, minutes: float = 15.0, sentences: int = 200, size: str = "paper",
             quantization: str = "dynamic", text: str = DEFAULT_TEXT, seed: int = 0, voice: str | None = None,
             vocoder: str = DEFAULT_VOCODER,
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
        return state.run(name, fn, log, tag="demo")

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
        return loss_summary(paths["teacher"])

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
        return loss_summary(paths["student"])

    def export():
        from .exporting.pipeline import export_models

        if os.path.isdir(paths["model"]):
            shutil.rmtree(paths["model"])
        # the pretrained HiFi-GAN: what the student learnt is heard through a real vocoder (a MelGAN trained
        # for minutes on a CPU is not one)
        result = export_models(os.path.join(paths["student"], "checkpoint"), vocoder, paths["model"],
                               quantization=quantization, calibration_cache=paths["cache"], progress=progress,
                               log=log)
        report = getattr(result, "report", None) or {}
        return {"quantization": quantization, "files": sorted(os.listdir(paths["model"])),
                "report": json_safe(report) if isinstance(report, dict) else {}}

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
        return {"text": text, "sample_rate": sr, "samples": int(audio.size), **_recognised(text, audio, sr),
                "audio_seconds": round(audio.size / sr, 3), "rtf": stats.get("rtf"),
                "first_audio_seconds": stats.get("first_audio_seconds"),
                "student_seconds": stats.get("student_seconds"), "vocoder_seconds": stats.get("vocoder_seconds"),
                "frames": int(sum(m.shape[0] for m in mels))}

    step("corpus", corpus)
    step("preprocess", preprocess)
    step("teacher", teacher)
    step("durations", durations)
    step("student", student)
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
                 "(the paper trains for 32 GPU-hours; the bundled voice trained for hours on this kind of CPU: "
                 "`speedyspeech-tf demo` without --train speaks with it). The word error rate below is the offline "
                 "recogniser's on the demo sentence, as heard through the pretrained HiFi-GAN vocoder."),
    }
    save_json(report, os.path.join(out_dir, "report.json"))
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(format_report(report))
    state.mark("report", {"path": os.path.join(out_dir, "report.md")})
    log(format_summary(report))
    return report


def _recognised(text: str, audio, sr: int) -> dict:
    """What the offline recogniser hears, and the word error rate (empty when the eval extra is missing)."""
    try:
        from .evaluation import metrics
    except ImportError:
        return {}
    try:
        heard = metrics.recognise(audio, sr)
    except (ImportError, RuntimeError, OSError):
        return {}
    return {"recognised": heard, "wer": round(metrics.wer(text, heard), 4)}


def speak_demo(out_dir: str, *, model_dir: str | None = None, texts=SPEAK_TEXTS, threads: int = 1,
               log: Callable[[str], Any] = print) -> dict:
    """The quick demo: the bundled voice (or model_dir) says `texts` through the TFLite runtime."""
    import numpy as np

    from .plots import plot_mels
    from .runtime import Synthesizer
    from .runtime.wav import write_wav

    t_start = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    synth = Synthesizer(model_dir, threads=threads)
    voice_dir = synth.model_dir if hasattr(synth, "model_dir") else model_dir
    sentences, stamps = [], []
    for i, text in enumerate(texts, 1):
        audio, sr = synth.synthesize(text)
        stats = synth.last_stats.as_dict()
        path = os.path.join(out_dir, f"sentence_{i}.wav")
        write_wav(path, audio, sr)
        row = {"text": text, "wav": path, "audio_seconds": round(audio.size / sr, 3), "rtf": stats.get("rtf"),
               "first_audio_seconds": stats.get("first_audio_seconds")}
        if hasattr(synth, "timestamps"):
            try:
                stamps.append({"text": text, **synth.timestamps()})
            except (RuntimeError, ValueError):
                pass
        sentences.append(row)
        log(f"[demo] {path}: {row['audio_seconds']} s of audio, RTF {row['rtf']}, first audio after "
            f"{row['first_audio_seconds']} s — \"{text}\"")
    mels = [mel for ids in synth.text_chunks(texts[0]) for _, mel in synth.mels(ids)]
    plot_mels(os.path.join(out_dir, "mel.png"), [np.concatenate(mels, axis=0)], titles=[f"mel: {texts[0][:60]}"])
    if stamps:
        save_json({"sentences": stamps}, os.path.join(out_dir, "timestamps.json"))
    quality_path = os.path.join(str(voice_dir), "quality.json") if voice_dir else ""
    quality = load_json(quality_path) if quality_path and os.path.isfile(quality_path) else {}
    report = {"voice": str(voice_dir), "sentences": sentences, "quality": quality, "threads": threads,
              "wall_seconds": round(time.perf_counter() - t_start, 1)}
    save_json(report, os.path.join(out_dir, "report.json"))
    lines = ["# speedyspeech-tf demo", "", f"Voice: `{voice_dir}` (its MODEL_CARD.md says how it was made).", "",
             "| wav | seconds | RTF | first audio (s) | text |", "|---|---|---|---|---|"]
    lines += [f"| {os.path.basename(r['wav'])} | {r['audio_seconds']} | {r['rtf']} | {r['first_audio_seconds']} | "
              f"{r['text']} |" for r in sentences]
    if quality:
        lines += ["", "Measured quality of this voice on held-out sentences (from the voice's quality.json):", "",
                  "```", json.dumps(quality, indent=1), "```"]
    lines.append("")
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    log(f"[demo] done in {report['wall_seconds']} s: {out_dir}/ (sentence_*.wav, mel.png, "
        f"{'timestamps.json, ' if stamps else ''}report.md)")
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
    if syn.get("recognised") is not None:
        lines += ["", f"Offline recogniser (pocketsphinx) heard: \"{syn['recognised']}\" — word error rate "
                      f"{100 * syn['wer']:.0f} %."]
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
    if syn.get("wer") is not None:
        lines.append(f"  heard:   \"{syn['recognised']}\" (word error rate {100 * syn['wer']:.0f} %)")
    for run in ("teacher", "student"):
        ls = report["steps"].get(run, {})
        if ls.get("first") and ls.get("last"):
            k = next((k for k in ("loss", "g_loss") if k in ls["first"]), next(iter(ls["first"])))
            lines.append(f"  {run}: {k} {ls['first'][k]:.4f} -> {ls['last'][k]:.4f} over {ls['epochs']} epochs")
    return "\n".join(lines)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="speak with the bundled voice (default), or --train the whole pipeline offline (~15 min)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    p.add_argument("--train", action="store_true",
                   help="train a voice from nothing (corpus, teacher, durations, student) in --minutes")
    p.add_argument("--model-dir", default=None, help="quick form: an exported voice (default: the bundled one)")
    p.add_argument("--minutes", type=float, default=15.0, help="--train: total time budget (default 15)")
    p.add_argument("--sentences", type=int, default=200, help="--train: demo corpus size (default 200)")
    p.add_argument("--size", choices=("paper", "tiny"), default="paper",
                   help="--train: model configurations, the paper's or tiny ones for a quick check")
    p.add_argument("--quantize", choices=("float32", "dynamic", "float16", "int8"), default="dynamic",
                   help="--train: TFLite quantization (default dynamic)")
    p.add_argument("--text", default=None, help="the sentence to synthesise")
    p.add_argument("--voice", choices=("festival", "espeak"), default=None, help="--train: demo corpus voice")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps-per-epoch", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--max-epochs", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args) -> int:
    if not args.train:
        speak_demo(args.out, model_dir=args.model_dir, texts=(args.text,) if args.text else SPEAK_TEXTS)
        return 0
    run_demo(args.out, minutes=args.minutes, sentences=args.sentences, size=args.size, quantization=args.quantize,
             text=args.text or DEFAULT_TEXT, seed=args.seed, voice=args.voice, steps_per_epoch=args.steps_per_epoch,
             max_epochs=args.max_epochs)
    return 0
