"""Held-out quality of a student run against its training time (BENCHMARKS.md, "Voice learning curve").

    python benchmarks/learning_curve.py --run-dir RUNS/student --held-out HELD_OUT_CORPUS --cache CACHE \
        --work WORK [--every 3] [--sentences 30] [--follow]

While a `train-student` run goes on (--follow), every epoch's checkpoint is copied (WORK/epoch_NNNN); every
`--every`-th snapshot is exported (--quantize, default dynamic as the bundled voice) with the default HiFi-GAN vocoder, and scored on the first `--sentences`
held-out sentences through the TensorFlow-free runtime (word error rate of the offline recogniser, predicted
MOS), with the held-out recordings (the corpus voice) scored once beside it. Training hours come from the run's
history (the wall time of the epochs up to that one). Results accumulate in WORK/curve.jsonl (a rerun resumes),
RUN_DIR/learning_curve.md (the voice's model card includes it) and the script's section of BENCHMARKS.md.
Only the newest checkpoint of a run exists at any time, so --follow must run beside the training (with
--evaluate-after it only takes snapshots, leaving the CPU to the training; rerun without --follow to evaluate).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from report import Machine, command_line, write_section  # noqa: E402


def history(run_dir: str) -> list[dict]:
    path = os.path.join(run_dir, "history.jsonl")
    if not os.path.exists(path):
        return []
    rows = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass
    return rows


def snapshot(run_dir: str, dest: str) -> bool:
    """Copy RUN_DIR/checkpoint (config.json + model.weights.h5) when complete; False when it is not there."""
    src = os.path.join(run_dir, "checkpoint")
    files = ("config.json", "model.weights.h5")
    if not all(os.path.isfile(os.path.join(src, f)) for f in files):
        return False
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for f in files:
        shutil.copy2(os.path.join(src, f), os.path.join(tmp, f))
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return True


def evaluate_snapshot(ckpt: str, work: str, held_out: str, cache: str | None, sentences: int,
                      quantization: str = "dynamic") -> dict:
    from speedyspeech_tf.evaluation import report as R
    from speedyspeech_tf.evaluation.scoring import evaluate_model_dir, find_wavs, read_texts
    from speedyspeech_tf.exporting.pipeline import export_models
    from speedyspeech_tf.voice import DEFAULT_VOCODER

    model = ckpt + "_model"
    if not os.path.isfile(os.path.join(model, "config.json")):
        shutil.rmtree(model, ignore_errors=True)
        export_models(ckpt, DEFAULT_VOCODER, model, quantization=quantization, calibration_cache=cache,
                      progress=False, log=None, evaluate=False)
    texts = read_texts(os.path.join(held_out, "metadata.csv"))[:sentences]
    refs = find_wavs(held_out, [s.id for s in texts], "recording")
    rows = evaluate_model_dir(texts, model, refs, system="ours", threads=1)
    summary = R.summarize(rows)["ours"]
    return {k: summary[k]["mean"] for k in ("wer", "cer", "dnsmos", "mcd", "rtf") if k in summary}


def recording_scores(work: str, held_out: str, sentences: int) -> dict:
    path = os.path.join(work, "recording.json")
    if os.path.exists(path):
        return json.load(open(path, encoding="utf-8"))
    from speedyspeech_tf.evaluation import report as R
    from speedyspeech_tf.evaluation.scoring import evaluate_audio, find_wavs, read_texts

    texts = read_texts(os.path.join(held_out, "metadata.csv"))[:sentences]
    refs = find_wavs(held_out, [s.id for s in texts], "recording")
    summary = R.summarize(evaluate_audio(texts, refs, None, "recording"))["recording"]
    out = {k: summary[k]["mean"] for k in ("wer", "cer", "dnsmos") if k in summary}
    json.dump(out, open(path, "w", encoding="utf-8"))
    return out


def render(curve: list[dict], recording: dict, sentences: int) -> str:
    lines = [f"Held-out sentences: the first {sentences} of the held-out corpus; dynamic-range export, one thread. "
             "`recording` = the corpus voice's own audio of the same sentences.", "",
             "| epoch | steps | training hours | WER % | CER % | predicted MOS (DNSMOS) | MCD dB |",
             "|---|---|---|---|---|---|---|"]
    for r in curve:
        lines.append(f"| {r['epoch']} | {r['steps']} | {r['hours']:.2f} | {100 * r['wer']:.1f} | "
                     f"{100 * r.get('cer', float('nan')):.1f} | {r['dnsmos']:.2f} | {r.get('mcd', float('nan')):.2f} |")
    if recording:
        lines.append(f"| recording | | | {100 * recording['wer']:.1f} | {100 * recording.get('cer', 0):.1f} | "
                     f"{recording['dnsmos']:.2f} | 0 |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--held-out", required=True, help="held-out corpus (LJ layout)")
    p.add_argument("--cache", default=None, help="the training cache (int8 calibration)")
    p.add_argument("--work", required=True)
    p.add_argument("--every", type=int, default=3, help="evaluate every N-th epoch (default 3)")
    p.add_argument("--sentences", type=int, default=30)
    p.add_argument("--quantize", default="dynamic", help="export quantization (default dynamic: the bundled voice's)")
    p.add_argument("--follow", action="store_true", help="keep watching the run until --until-epoch")
    p.add_argument("--until-epoch", type=int, default=10_000)
    p.add_argument("--evaluate-after", action="store_true",
                   help="with --follow: only take snapshots now; a later run without --follow evaluates them")
    p.add_argument("--no-benchmarks-md", action="store_true")
    args = p.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    machine = Machine.start(threads=1)
    curve_path = os.path.join(args.work, "curve.jsonl")
    curve = [json.loads(x) for x in open(curve_path, encoding="utf-8")] if os.path.exists(curve_path) else []
    seen = {r["epoch"] for r in curve}
    recording = {} if args.follow and args.evaluate_after else recording_scores(args.work, args.held_out,
                                                                                  args.sentences)
    cfg_path = os.path.join(args.run_dir, "train_config.json")
    while True:
        hist = history(args.run_dir)
        latest = hist[-1]["epoch"] if hist else 0
        # 1. snapshot every new epoch (cheap; only the newest checkpoint of a run exists at any time)
        snap = os.path.join(args.work, f"epoch_{latest:04d}")
        if latest and not os.path.isdir(snap) and snapshot(args.run_dir, snap):
            # wall time from the run's start (train_config.json is written first) to the epoch's end: its
            # history row's time, or now for rows of older versions without one (the poll is every 30 s)
            row = dict(hist[-1])
            row.setdefault("time", time.time())
            row["start"] = os.path.getmtime(cfg_path)
            json.dump(row, open(os.path.join(snap, "history_row.json"), "w", encoding="utf-8"))
        # 2. evaluate every --every-th snapshot not yet on the curve, oldest first
        pending = sorted(int(d.split("_")[1]) for d in os.listdir(args.work)
                         if d.startswith("epoch_") and not d.endswith(("_model", ".tmp")) and "_" in d)
        pending = [e for e in pending if e % args.every == 0 and e not in seen]
        if pending and (not args.follow or not args.evaluate_after):
            e = pending[0]
            ckpt = os.path.join(args.work, f"epoch_{e:04d}")
            row = json.load(open(os.path.join(ckpt, "history_row.json"), encoding="utf-8"))
            steps_per_epoch = json.load(open(cfg_path, encoding="utf-8")).get("steps_per_epoch") or 0
            scores = evaluate_snapshot(ckpt, args.work, args.held_out, args.cache, args.sentences, args.quantize)
            point = {"epoch": e, "steps": e * int(steps_per_epoch), "hours": (row["time"] - row["start"]) / 3600.0,
                     **scores, "train_mel_l1": row.get("mel_l1"), "val_mel_l1": row.get("val_mel_l1")}
            curve.append(point)
            curve.sort(key=lambda r: r["epoch"])
            seen.add(e)
            with open(curve_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(point) + "\n")
            table = render(curve, recording, args.sentences)
            with open(os.path.join(args.run_dir, "learning_curve.md"), "w", encoding="utf-8") as f:
                f.write(table + "\n")
            print(table, flush=True)
            if not args.no_benchmarks_md:
                write_section("benchmarks/learning_curve.py", command_line(), "Voice learning curve (held out)",
                              table, machine=machine, weights="trained (the run being measured)")
            continue
        if not args.follow or latest >= args.until_epoch:
            if not pending:
                break
            continue
        time.sleep(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
