"""Durations for the student: the teacher (Viterbi) or the corpus's own phone timings? A short run of each.

Trains the teacher for --teacher-minutes on a Festival corpus, extracts its durations (Viterbi), takes the
corpus's phone-timing durations (`speedyspeech-tf timing-durations`), trains one student on each for the same
--student-steps (same seed, batch, precision), exports both with the same vocoder, and scores both on held-out
sentences with `speedyspeech-tf evaluate` (recogniser WER, DNSMOS), plus how far the teacher's phoneme boundaries
are from Festival's own. Writes its section of BENCHMARKS.md. Every step is a `speedyspeech-tf` command that
resumes when this script is rerun with the same --work.

    python benchmarks/durations_choice.py --work /tmp/durations-choice             # makes its corpora (hours)
    python benchmarks/durations_choice.py --corpus C --cache CACHE --held-out H ... # reuse existing ones
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
BIN = os.path.dirname(sys.executable)
TOOL = os.path.join(BIN, "speedyspeech-tf")


def run(argv: list[str], log: str) -> float:
    """Run a speedyspeech-tf command (output appended to `log`); its wall time in seconds."""
    start = time.time()
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(argv)}\n")
        f.flush()
        code = subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT)
    if code != 0:
        raise SystemExit(f"error: {' '.join(argv[:2])} failed with exit {code} (see {log})")
    return time.time() - start


def boundary_error(teacher_npz: str, timings_npz: str) -> dict:
    """Mean |difference| of phoneme end frames, teacher against the phone timings, over the items both have."""
    import numpy as np

    from speedyspeech_tf.data import load_durations

    a, b = load_durations(teacher_npz), load_durations(timings_npz)
    diffs = []
    for key in sorted(set(a) & set(b)):
        x, y = np.cumsum(a[key]), np.cumsum(b[key])
        if len(x) == len(y):
            diffs.append(np.abs(x - y))
    d = np.concatenate(diffs) if diffs else np.zeros(0)
    return {"items": len(diffs), "mean_frames": float(d.mean()) if d.size else float("nan"),
            "within_2": float((d <= 2).mean()) if d.size else float("nan")}


def subset_texts(held_out: str, n: int, out: str) -> str:
    """The first n rows of a held-out corpus's metadata.csv (its recordings stay where they are)."""
    with open(os.path.join(held_out, "metadata.csv"), encoding="utf-8") as f:
        rows = [line for line in f if line.strip()][:n]
    with open(out, "w", encoding="utf-8") as f:
        f.writelines(rows)
    return out


def scores(report_json: str) -> dict:
    with open(report_json, encoding="utf-8") as f:
        rep = json.load(f)
    return rep


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="/tmp/speedyspeech-durations-choice", help="run folders (default %(default)s)")
    p.add_argument("--corpus", help="Festival corpus with phone_timings/ (default: make --sentences in WORK)")
    p.add_argument("--cache", help="its preprocessed cache (default: preprocess it in WORK)")
    p.add_argument("--held-out", help="held-out Festival corpus (default: make one of seed 1000 in WORK)")
    p.add_argument("--sentences", type=int, default=1200, help="training sentences to make (default 1200)")
    p.add_argument("--eval-sentences", type=int, default=30, help="held-out sentences scored (default 30)")
    p.add_argument("--teacher-minutes", type=float, default=30.0, help="teacher training (default 30)")
    p.add_argument("--student-steps", type=int, default=600, help="steps of each student (default 600)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--precision", choices=("float32", "bfloat16"), default="bfloat16")
    p.add_argument("--no-append", action="store_true", help="print only; do not write BENCHMARKS.md")
    args = p.parse_args(argv)

    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from report import Machine, write_section

    machine = Machine.start(threads="TensorFlow default (all cores) for training; 1 for synthesis")
    os.makedirs(args.work, exist_ok=True)
    log = os.path.join(args.work, "log.txt")
    w = lambda *parts: os.path.join(args.work, *parts)  # noqa: E731
    corpus = args.corpus or w("corpus")
    if not args.corpus:
        run([TOOL, "make-demo-corpus", corpus, "--sentences", str(args.sentences), "--voice", "festival"], log)
    cache = args.cache or w("cache")
    if not args.cache:
        run([TOOL, "preprocess", corpus, cache], log)
    held = args.held_out or w("held_out")
    if not args.held_out:
        run([TOOL, "make-demo-corpus", held, "--sentences", str(args.eval_sentences), "--voice", "festival",
             "--seed", "1000"], log)
    texts = subset_texts(held, args.eval_sentences, w("held_out_texts.csv"))

    times = {}  # wall seconds of each step run; steps reused from an earlier invocation keep their earlier time
    previous = w("result.json")
    if os.path.exists(previous):
        with open(previous, encoding="utf-8") as f:
            times.update(json.load(f).get("times", {}))
    timings = w("durations_timings.npz")
    if not os.path.exists(timings):
        times["timing-durations"] = run([TOOL, "timing-durations", corpus, cache, timings], log)
    teacher = w("teacher")
    teacher_durations = w("durations_teacher.npz")
    if not os.path.exists(teacher_durations):  # a rerun reuses the extracted durations (--minutes would go on)
        times["teacher"] = run([TOOL, "train-teacher", cache, teacher, "--config", "paper", "--batch-size",
                                str(args.batch_size), "--steps-per-epoch", "100", "--epochs", "100000",
                                "--minutes", str(args.teacher_minutes), "--seed", "0", "--no-progress"], log)
        times["extract"] = run([TOOL, "extract-durations", os.path.join(teacher, "checkpoint"), cache,
                                teacher_durations, "--method", "viterbi", "--no-progress"], log)
    bounds = boundary_error(teacher_durations, timings)
    with open(os.path.join(teacher, "history.jsonl"), encoding="utf-8") as f:
        teacher_epochs = sum(1 for line in f if line.strip())

    results = {}
    epochs = max(1, args.student_steps // 100)
    for name, durations in (("timings", timings), ("teacher", teacher_durations)):
        student = w(f"student_{name}")
        history = os.path.join(student, "history.jsonl")
        done = sum(1 for line in open(history, encoding="utf-8") if line.strip()) if os.path.exists(history) else 0
        cmd = [TOOL, "train-student", cache, durations, student, "--config", "paper", "--batch-size",
               str(args.batch_size), "--steps-per-epoch", "100", "--epochs", str(epochs), "--seed", "0",
               "--pad-multiple", "16", "64", "--no-progress"]
        if args.precision == "bfloat16":
            cmd += ["--mixed-precision", "bfloat16"]
        if done < epochs:
            times[f"student ({name})"] = run(cmd, log)
        model = w(f"model_{name}")
        if not os.path.exists(os.path.join(model, "config.json")):
            run([TOOL, "export", "--student", os.path.join(student, "checkpoint"), "--vocoder", "hifigan-universal",
                 "--quantize", "dynamic", "--out", model, "--no-eval", "--quiet"], log)
        out = w(f"eval_{name}")
        if not os.path.exists(os.path.join(out, "report.json")):
            run([TOOL, "evaluate", "--model-dir", f"{name}={model}", "--texts", texts, "--out", out, "--no-f0",
                 "--quiet"], log)
        with open(os.path.join(student, "history.jsonl"), encoding="utf-8") as f:
            last = [json.loads(line) for line in f if line.strip()][-1]
        results[name] = {"report": scores(os.path.join(out, "report.json")), "val_mel_l1": last.get("val_mel_l1"),
                         "mel_l1": last.get("mel_l1")}

    def metric(name: str, key: str) -> dict:
        return results[name]["report"]["summary"][name][key]

    rows = []
    for name, r in results.items():
        wer, mos = metric(name, "wer"), metric(name, "dnsmos")
        rows.append(f"| {name} | {100 * wer['mean']:.1f} [{100 * wer['lo']:.1f}, {100 * wer['hi']:.1f}] | "
                    f"{mos['mean']:.2f} | {r['mel_l1']:.3f} | {r['val_mel_l1']:.3f} |")
    better = min(results, key=lambda k: metric(k, "wer")["mean"])
    body = "\n".join([
        f"Short run of each duration source on the same Festival SLT corpus (`{corpus}`, its cache `{cache}`): the "
        f"teacher trained {args.teacher_minutes:g} min (wall; {teacher_epochs * 100} steps at batch "
        f"{args.batch_size}; the paper trains it for days on a GPU) then Viterbi extraction, against the corpus's own phone "
        f"timings (`speedyspeech-tf timing-durations`). Each student: paper configuration, {epochs * 100} steps at "
        f"batch {args.batch_size}, seed 0, {args.precision}, the same batches; exported with HiFi-GAN universal "
        f"(dynamic) and scored by `speedyspeech-tf evaluate` on the first {args.eval_sentences} held-out sentences "
        f"of `{held}` (WER of the offline recogniser, %; DNSMOS).",
        "",
        "| durations | WER % [95 % interval] | DNSMOS | train mel L1 | validation mel L1 |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"The teacher's phoneme boundaries against Festival's timings: mean |difference| {bounds['mean_frames']:.2f} "
        f"frames, {100 * bounds['within_2']:.1f} % within 2 frames ({bounds['items']} items). Lower WER here: "
        f"**{better}**. Wall times (s, shared machine): "
        + ", ".join(f"{k} {v:.0f}" for k, v in times.items()) + ".",
    ]) + "\n"
    print(body)
    with open(w("result.json"), "w", encoding="utf-8") as f:
        json.dump({"results": results, "boundaries": bounds, "times": times}, f, indent=1, default=str)
    if not args.no_append:
        cmd = "python benchmarks/durations_choice.py " + " ".join(argv if argv is not None else sys.argv[1:])
        write_section("benchmarks/durations_choice.py", cmd.strip(), "Durations: teacher or phone timings",
                      body, machine=machine, weights="trained here (short runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
