"""Student training speed: steps per second of `model.fit` with the full (paper) student configuration.

Runs the real training step (speedyspeech_tf.training.student: teacher-forced forward pass, L1 + SSIM + duration
loss, gradient clipping across replicas, Adam) on synthetic batches shaped like LJ Speech batches: every item
has about --phonemes phoneme ids and --frames mel frames (the mean LJ Speech clip is 6.6 s = 566 frames, 89
symbols; bucketed batches are padded to their longest item, so the defaults are a little above the mean).
The first --warmup steps (graph tracing) are not timed. Prints a table and appends it to BENCHMARKS.md unless
--no-append.

    .venv/bin/python benchmarks/student_train_speed.py                       # batch 16, 32, 64
    .venv/bin/python benchmarks/student_train_speed.py --batch-sizes 8 --steps 3 --no-append
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
LJ_TRAIN_ITEMS = 13000  # the reference's training split (13,100 items minus 99 validation, minus 1)


def synthetic_batch(batch_size: int, phonemes: int, frames: int, n_mels: int, seed: int = 0) -> dict:
    """Items with 90-100 % of `phonemes` ids and durations summing to 90-100 % of `frames` (the longest item
    has exactly `frames`), padded like data.student_dataset pads."""
    import numpy as np

    rng = np.random.default_rng(seed)
    plen = rng.integers(int(0.9 * phonemes), phonemes + 1, batch_size).astype(np.int32)
    plen[0] = phonemes
    ph = np.zeros([batch_size, phonemes], np.int32)
    dur = np.zeros([batch_size, phonemes], np.int32)
    for b, n in enumerate(plen):
        ph[b, :n] = rng.integers(2, 78, n)
        total = frames if b == 0 else int(rng.integers(int(0.9 * frames), frames + 1))
        cuts = np.sort(rng.choice(np.arange(1, total), n - 1, replace=False))
        dur[b, :n] = np.diff(np.concatenate([[0], cuts, [total]]))
    mel_len = dur.sum(1).astype(np.int32)
    mel = rng.normal(size=[batch_size, frames, n_mels]).astype(np.float32)
    return {"phonemes": ph, "phoneme_lengths": plen, "durations": dur, "mel": mel, "mel_lengths": mel_len}


def measure(batch_size: int, steps: int, warmup: int, phonemes: int, frames: int) -> dict:
    import keras
    import tensorflow as tf

    from speedyspeech_tf.config import StudentConfig
    from speedyspeech_tf.training.student import build_trainer

    keras.utils.set_random_seed(0)
    cfg = StudentConfig(batch_size=batch_size)
    trainer = build_trainer(cfg)
    batch = synthetic_batch(batch_size, phonemes, frames, cfg.n_mels)
    ds = tf.data.Dataset.from_tensors(batch).repeat()
    times = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, b, logs=None):
            times.append(time.perf_counter())

    start = time.perf_counter()
    trainer.fit(ds, epochs=1, steps_per_epoch=warmup + steps, verbose=0, callbacks=[Clock()], shuffle=False)
    timed = times[warmup - 1:] if warmup > 0 else [start] + times
    seconds = (timed[-1] - timed[0]) / (len(timed) - 1)
    params = sum(int(v.numpy().size) for v in trainer.student.trainable_variables)
    return {"batch": batch_size, "steps": len(timed) - 1, "s_per_step": seconds, "steps_per_s": 1.0 / seconds,
            "frames_per_s": batch_size * frames / seconds, "warmup_s": (times[warmup - 1] - start) if warmup else 0.0,
            "params": params}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--steps", type=int, default=5, help="timed steps per batch size (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed first steps (tracing; default 2)")
    ap.add_argument("--phonemes", type=int, default=100, help="phonemes of the longest item (default 100)")
    ap.add_argument("--frames", type=int, default=600, help="mel frames of the longest item (default 600)")
    ap.add_argument("--no-append", action="store_true", help="print only, do not write BENCHMARKS.md")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.warmup < 1 or min(args.batch_sizes) < 1:
        ap.error("--steps, --warmup and batch sizes must be >= 1")

    import tensorflow as tf

    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from report import Machine, write_section

    machine = Machine.start(threads="TensorFlow default (all cores)")
    rows = []
    for b in args.batch_sizes:
        r = measure(b, args.steps, args.warmup, args.phonemes, args.frames)
        print(f"batch {b}: {r['s_per_step']:.2f} s/step ({r['steps_per_s']:.3f} steps/s) over {r['steps']} steps",
              flush=True)
        rows.append(r)

    cmd = "python benchmarks/student_train_speed.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--no-append")
    lines = [
        f"Full (paper) student, {rows[0]['params']:,} trainable parameters, float32, default strategy (one "
        f"replica), TensorFlow {tf.__version__}. Synthetic LJ-Speech-shaped "
        f"batches: longest item {args.phonemes} phonemes / {args.frames} frames (others 90-100 %), the real "
        f"train_step (L1 + SSIM + duration loss, clipping, Adam). {args.steps} timed steps after {args.warmup} "
        "untimed (tracing). Other processes on these cores (see the load average) slow the numbers down.",
        "",
        "| batch | s / step | steps / s | mel frames / s | first steps incl. tracing (s) | LJ Speech epoch (h) |",
        "|------:|---------:|----------:|---------------:|------------------------------:|--------------------:|",
    ]
    for r in rows:
        epoch_h = math.ceil(LJ_TRAIN_ITEMS / r["batch"]) * r["s_per_step"] / 3600
        lines.append(f"| {r['batch']} | {r['s_per_step']:.2f} | {r['steps_per_s']:.3f} | {r['frames_per_s']:,.0f} "
                     f"| {r['warmup_s']:.1f} | {epoch_h:.2f} |")
    lines += ["", f"LJ Speech epoch: {LJ_TRAIN_ITEMS:,} training items / batch steps at the measured speed (the "
                  "reference trains 100 such epochs)."]
    table = "\n".join(lines) + "\n"
    print()
    print(table)
    if not args.no_append:
        write_section("benchmarks/student_train_speed.py", cmd.strip(), "Student training speed", table,
                      machine=machine, weights="random (initialisation; speed does not depend on the values)")
        print("wrote its section of BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
