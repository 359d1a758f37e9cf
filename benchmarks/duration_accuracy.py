"""Duration accuracy of the teacher against the Festival voice's own phone timings (BENCHMARKS.md, "Teacher").

    python benchmarks/duration_accuracy.py --corpus DEMO_CORPUS --work WORK_DIR --minutes 25

DEMO_CORPUS is made by `speedyspeech-tf make-demo-corpus DIR --sentences N --voice festival` (it keeps the
voice's phone timings in DIR/phone_timings). The script

1. preprocesses the corpus into WORK_DIR/cache (skipped when it exists);
2. times full-configuration (paper) teacher training steps on this CPU at --speed-batch (the reference's 64)
   and at the training batch (--speed-steps steps after two warm-up steps; real batches from the cache);
3. trains a teacher for --minutes (train_teacher; WORK_DIR/run, resumable: rerunning continues it);
4. extracts durations of every item (extract_durations_to_file, as `speedyspeech-tf extract-durations`), with
   the reference's rule (a frame moves at most one phoneme ahead of the previous frame's) and, as a diagnostic
   of the attention itself, with any forward jump allowed (`--window` = the longest item's phoneme count), and with
   `--method viterbi` (the most likely monotonic path, durations.monotonic_alignment_search);
5. compares them with the timings: our phonemes (spaces, punctuation left out) are aligned with the voice's
   non-silent phones by an edit-distance alignment over stressless ARPAbet names (Festival's radio phones mapped
   with demo_corpus.FESTIVAL_TO_ARPABET); for every exact match the phone's start and end are compared, in
   frames: ours is the number of frames before the boundary, the voice's the number of frames whose centre
   (t * 256 / 22050 s) lies before its time. The start of each utterance's first phone is left out (our symbol
   table has no silence symbol: the first phoneme absorbs the leading silence by construction). A baseline
   spreads each item's frames evenly over its symbols.

It prints a Markdown table and writes its section of BENCHMARKS.md (benchmarks/report.py; --no-append: not).
Rerunning with the same WORK_DIR resumes the training for another --minutes. Every training run is recorded in
WORK_DIR/train_log.json when it starts and again when it ends, also when it is interrupted (Ctrl-C: its time and
"interrupted"); a run killed outright stays "running" with no time, and the section says its time is unknown.
Epochs are counted from the run's history.jsonl, so they include every run.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "benchmarks"))  # report.py


def ensure_cache(corpus: str, cache: str) -> None:
    from speedyspeech_tf.data import load_cache, preprocess

    try:
        load_cache(cache)
        return
    except (FileNotFoundError, ValueError):
        pass
    preprocess(corpus, cache, workers=1)


def time_steps(cache_dir: str, config: str, batch: int, steps: int) -> dict:
    """Seconds per full training step (augmentation, forward, backward, update) on real batches."""
    import tensorflow as tf

    from speedyspeech_tf.data import teacher_dataset
    from speedyspeech_tf.training.teacher import build_trainer, resolve_config

    cfg = resolve_config(config)
    trainer = build_trainer(cfg, steps_per_epoch=100)
    step = tf.function(trainer.train_step, reduce_retracing=True)
    it = iter(teacher_dataset(cache_dir, batch, "train", seed=0, masks=False).repeat())
    batches = [next(it) for _ in range(steps + 2)]
    for b in batches[:2]:
        step(b)["loss"].numpy()
    frames = 0
    start = time.perf_counter()
    for b in batches[2:]:
        out = step(b)
        frames += int(tf.reduce_sum(b["mel_lengths"]))
    out["loss"].numpy()
    seconds = time.perf_counter() - start
    padded = float(np.mean([int(tf.shape(b["mel"])[1]) for b in batches[2:]]))
    return {"config": config, "batch": batch, "steps": steps, "seconds_per_step": seconds / steps,
            "steps_per_second": steps / seconds, "frames_per_second": frames / seconds, "mean_padded_frames": padded}




def compare(corpus: str, cache_dir: str, durations: dict, others: dict | None = None) -> dict:
    """Boundary errors of `durations` and of `others` ({name: durations}) against the voice's timings."""
    from speedyspeech_tf.config import SYMBOLS
    from speedyspeech_tf.data import load_cache, split_items
    from speedyspeech_tf.demo_corpus import load_phone_timings
    from speedyspeech_tf.durations import boundary_errors, uniform_durations

    cache = load_cache(cache_dir)
    fps = cache.audio.sample_rate / cache.audio.hop_length
    valid_ids = {i["id"] for i in split_items(cache.items, "valid")}
    others = others or {}
    rows = {"all": [], "valid": []}
    base = {"all": [], "valid": []}
    extra = {name: {"all": [], "valid": []} for name in others}
    matched = ours = ref = total_frames = 0
    for item in cache.items:
        if item["id"] not in durations:
            continue
        total_frames += int(item["frames"])
        phones = load_phone_timings(corpus, item["id"])
        symbols = [SYMBOLS[i] for i in item["phonemes"]]
        r = boundary_errors(symbols, durations[item["id"]], phones, fps)
        b = boundary_errors(symbols, uniform_durations(len(symbols), item["frames"]), phones, fps)
        matched, ours, ref = matched + r["matched"], ours + r["ours"], ref + r["reference"]
        extra_errors = {name: boundary_errors(symbols, d[item["id"]], phones, fps)["errors"]
                        for name, d in others.items()}
        for split in ("all", "valid") if item["id"] in valid_ids else ("all",):
            rows[split].append(r["errors"])
            base[split].append(b["errors"])
            for name, e in extra_errors.items():
                extra[name][split].append(e)

    def stats(chunks):
        e = np.concatenate(chunks) if chunks else np.zeros(0)
        return {"boundaries": int(e.size), "mae": float(e.mean()) if e.size else float("nan"),
                "median": float(np.median(e)) if e.size else float("nan"),
                "within2": float(np.mean(e <= 2)) if e.size else float("nan"),
                "within1": float(np.mean(e <= 1)) if e.size else float("nan"),
                "p90": float(np.percentile(e, 90)) if e.size else float("nan")}

    return {"teacher": {k: stats(v) for k, v in rows.items()}, "uniform": {k: stats(v) for k, v in base.items()},
            "others": {name: {k: stats(v) for k, v in e.items()} for name, e in extra.items()},
            "items": {k: len(v) for k, v in rows.items()}, "matched_phones": matched, "our_phonemes": ours,
            "total_frames": total_frames,
            "voice_phones": ref, "frame_ms": 1000.0 / fps}


def table(result: dict) -> str:
    c = result["comparison"]
    ms = c["frame_ms"]
    lines = ["| durations | items | boundaries | mean abs. error (frames) | (ms) | median | 90th pct. | within 1 frame "
             "| within 2 frames |", "|---|---|---|---|---|---|---|---|---|"]
    named = [(c["teacher"], "teacher, reference rule (window 1)")]
    named += [(v, name) for name, v in c.get("others", {}).items()]
    named.append((c["uniform"], "uniform baseline"))
    for who, name in named:
        for split in ("all", "valid"):
            s = who[split]
            label = f"{name}, {'all items' if split == 'all' else 'held-out (valid split)'}"
            lines.append(f"| {label} | {c['items'][split]} | {s['boundaries']} | {s['mae']:.2f} | {s['mae'] * ms:.0f} "
                         f"| {s['median']:.0f} | {s['p90']:.0f} | {100 * s['within1']:.1f} % | "
                         f"{100 * s['within2']:.1f} % |")
    if not result["speed"]:
        return "\n".join(lines)
    lines.append("")
    lines.append("| teacher training step, full (paper) configuration | batch | s/step | steps/s | mel frames/s | "
                 "mean padded frames |")
    lines.append("|---|---|---|---|---|---|")
    for s in result["speed"]:
        lines.append(f"| {s['config']} | {s['batch']} | {s['seconds_per_step']:.2f} | {s['steps_per_second']:.2f} | "
                     f"{s['frames_per_second']:.0f} | {s['mean_padded_frames']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, help="demo corpus with phone timings (make-demo-corpus, Festival)")
    p.add_argument("--work", required=True, help="work folder: cache/, run/, durations.npz, result.json")
    p.add_argument("--minutes", type=float, default=25.0,
                   help="training time budget (default %(default)s; 0: no training, extract and report the run)")
    p.add_argument("--config", default="paper", help="teacher config: paper | tiny | JSON (default paper)")
    p.add_argument("--batch-size", type=int, default=16, help="training batch (default %(default)s)")
    p.add_argument("--warmup-epochs", type=int, default=5,
                   help="learning-rate warm-up in data epochs (reference 30; default %(default)s for a short run)")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="steps per epoch (default: one data pass)")
    p.add_argument("--speed-batches", default="64,16",
                   help="batches to time full-config steps at (default 64,16; '' to skip)")
    p.add_argument("--speed-steps", type=int, default=5, help="timed steps per batch size (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-append", action="store_true", help="do not append to BENCHMARKS.md")
    args = p.parse_args(argv)

    import dataclasses

    from speedyspeech_tf.data import load_cache
    from speedyspeech_tf.training.teacher import extract_durations_to_file, resolve_config, train_teacher

    from report import Machine, write_section

    machine = Machine.start(threads="TensorFlow default (all cores)")
    os.makedirs(args.work, exist_ok=True)
    cache = os.path.join(args.work, "cache")
    ensure_cache(args.corpus, cache)

    speed = []
    speed_path = os.path.join(args.work, "speed.json")
    for b in [int(x) for x in args.speed_batches.split(",") if x.strip()]:
        s = time_steps(cache, "paper", b, args.speed_steps)
        print(f"full config, batch {b}: {s['seconds_per_step']:.2f} s/step ({s['steps_per_second']:.2f} steps/s)",
              flush=True)
        speed.append(s)
    if speed:
        with open(speed_path, "w") as f:
            json.dump(speed, f, indent=2)
    elif os.path.exists(speed_path):  # skipped this time: report the last measurement
        with open(speed_path) as f:
            speed = json.load(f)

    cfg = dataclasses.replace(resolve_config(args.config), batch_size=args.batch_size,
                              warmup_epochs=args.warmup_epochs)
    log_path = os.path.join(args.work, "train_log.json")
    train_log = []
    if os.path.exists(log_path):
        with open(log_path) as f:
            train_log = json.load(f)
    cmd = "python benchmarks/duration_accuracy.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    run_dir = os.path.join(args.work, "run")
    from speedyspeech_tf.config import write_atomic
    from speedyspeech_tf.training.common import read_history

    def save_log():
        write_atomic(log_path, json.dumps(train_log, indent=2))

    if args.minutes > 0:
        t0 = time.time()
        entry = {"command": cmd, "started": datetime.datetime.now().isoformat(timespec="seconds"),
                 "status": "running", "minutes": None, "steps": None,
                 "epochs_before": len(read_history(run_dir)) if os.path.isdir(run_dir) else 0}
        train_log.append(entry)
        save_log()  # a run killed outright stays "running": its time is then reported as unknown
        try:
            run = train_teacher(cache, run_dir, config=cfg, steps_per_epoch=args.steps_per_epoch, epochs=100000,
                                minutes=args.minutes, seed=args.seed, progress=False, plot_items=2)
            entry["status"] = "completed"
            entry["steps"] = int(run["trainer"].optimizer.iterations.numpy()) if run["trainer"] is not None else None
        except KeyboardInterrupt:
            entry["status"] = "interrupted"
            raise
        finally:
            entry["minutes"] = (time.time() - t0) / 60.0
            entry["epochs_after"] = len(read_history(run_dir))
            save_log()
    if not train_log:
        raise SystemExit(f"{run_dir}: no training recorded in {log_path}; run with --minutes > 0 first")

    history = read_history(run_dir)
    epochs = len(history)
    steps = train_log[-1].get("steps") if train_log[-1].get("status", "completed") == "completed" else None
    untimed = [r for r in train_log if r.get("minutes") is None]
    train_minutes = sum(r["minutes"] for r in train_log if r.get("minutes") is not None)

    ckpt = os.path.join(run_dir, "checkpoint")
    t0 = time.time()
    extracted = extract_durations_to_file(ckpt, cache, os.path.join(args.work, "durations.npz"), plots=4,
                                          progress=False)
    extract_seconds = time.time() - t0
    widest = max(len(i["phonemes"]) for i in load_cache(cache).items)
    any_jump = extract_durations_to_file(ckpt, cache, os.path.join(args.work, "durations_any_jump.npz"), plots=4,
                                         window=widest, progress=False)
    viterbi = extract_durations_to_file(ckpt, cache, os.path.join(args.work, "durations_viterbi.npz"), plots=4,
                                        method="viterbi", progress=False)
    comparison = compare(args.corpus, cache, extracted["durations"],
                         {"teacher, Viterbi (--method viterbi)": viterbi["durations"],
                          "teacher, any forward jump (diagnostic)": any_jump["durations"]})
    result = {"speed": speed, "comparison": comparison, "train_minutes": train_minutes, "train_log": train_log,
              "steps": steps, "epochs": epochs, "config": dataclasses.asdict(cfg), "extract_seconds": extract_seconds,
              "last_epoch": history[-1] if history else None,
              "unattended_share": extracted["phonemes_unattended"] / max(1, extracted["phonemes"]),
              "unattended_share_any_jump": any_jump["phonemes_unattended"] / max(1, any_jump["phonemes"])}
    with open(os.path.join(args.work, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
    text = table(result)
    print(text)

    if not args.no_append:
        last = result["last_epoch"] or {}

        def one_run(i, r):
            took = "time unknown: killed" if r.get("minutes") is None else f"{r['minutes']:.0f} min"
            return (f"`{r.get('command', cmd)}` ({r.get('status', 'completed')}, {took}"
                    f"{', resumed' if i else ''})")

        runs = "; then ".join(one_run(i, r) for i, r in enumerate(train_log))
        total = (f"{train_minutes:.0f} min in the timed runs ({len(untimed)} run(s) killed without recording "
                 "their time)" if untimed else f"{train_minutes:.0f} min in all")
        section = (
            f"Training: {runs}. Report: `{cmd}`. Corpus: `speedyspeech-tf make-demo-corpus CORPUS --sentences "
            f"{len(extracted['durations'])} --voice festival` (CMU ARCTIC SLT HTS voice), no GPU.\n\n"
            f"Teacher: {args.config} architecture, batch {args.batch_size}, learning-rate warm-up "
            f"{args.warmup_epochs} data epochs (reference: batch 64, 30), other settings as the reference; trained "
            f"{total} ({result['steps'] if result['steps'] is not None else 'n/a'} steps in the last run, "
            f"{result['epochs']} epochs of one data pass in the run's history; "
            f"last epoch: loss {last.get('loss', float('nan')):.4f}, l1 {last.get('l1', float('nan')):.4f}, val_l1 "
            f"{last.get('val_l1', float('nan')):.4f}). Phonemes never attended (given 1 frame): "
            f"{100 * result['unattended_share']:.1f} % with the reference rule, "
            f"{100 * result['unattended_share_any_jump']:.1f} % with any forward jump. Extraction of the "
            f"{len(extracted['durations'])} items ({comparison['total_frames']} frames, batch 16): "
            f"{extract_seconds:.0f} s. Of our "
            f"{comparison['our_phonemes']} phonemes, {comparison['matched_phones']} matched a voice phone of the "
            f"same name ({comparison['voice_phones']} non-silent voice phones). One frame = "
            f"{comparison['frame_ms']:.1f} ms.\n\n{text}\n")
        write_section("benchmarks/duration_accuracy.py", cmd, "Teacher: duration accuracy against Festival phone "
                      "timings", section, machine=machine,
                      weights=f"trained here ({args.config} teacher, {epochs} epochs)")
        print("wrote its section of BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
