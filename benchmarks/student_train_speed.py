"""Student training speed: steps per second of `model.fit` with the full (paper) student configuration.

Runs the real training step (speedyspeech_tf.training.student: teacher-forced forward pass, L1 + SSIM + duration
loss, gradient clipping across replicas, Adam) on synthetic batches shaped like LJ Speech batches: every item
has about --phonemes phoneme ids and --frames mel frames (the mean LJ Speech clip is 6.6 s = 566 frames, 89
symbols; bucketed batches are padded to their longest item, so the defaults are a little above the mean).
Compares, in one run on the same batches, float32 against mixed_bfloat16 and batches of ever-new shapes against
batches padded to a few fixed shapes. The first --warmup steps (graph tracing) are not timed. Prints a table and
writes its section of BENCHMARKS.md unless --no-append.

    .venv/bin/python benchmarks/student_train_speed.py                       # batch 16, all variants
    .venv/bin/python benchmarks/student_train_speed.py --batch-size 4 --steps 2 --warmup 1 --no-append
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


VARIANTS = {  # name: (Keras policy, pad batches to multiples of (symbols, frames) or None)
    "float32": ("float32", None),
    "float32-padded": ("float32", (16, 64)),
    "bfloat16": ("bfloat16", None),
    "bfloat16-padded": ("bfloat16", (16, 64)),
}


def batch_sequence(count: int, batch_size: int, phonemes: int, frames: int, n_mels: int, seed: int) -> list[dict]:
    """Batches as the bucketed pipeline makes them: every batch has its own longest item, between 70 % and 130 %
    of `phonemes` / `frames`, so (nearly) every batch has a shape the step has not seen before."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        f = float(rng.uniform(0.7, 1.3))
        out.append(synthetic_batch(batch_size, max(8, int(phonemes * f)), max(64, int(frames * f)), n_mels,
                                   seed=seed * 1000 + i))
    return out


def pad_batch(batch: dict, multiple) -> dict:
    """data.student_dataset(pad_multiple=...) on one batch: symbols and frames up to the next multiples."""
    import numpy as np

    if not multiple:
        return batch
    (ms, mf), out = multiple, dict(batch)
    n, t = batch["phonemes"].shape[1], batch["mel"].shape[1]
    for key in ("phonemes", "durations"):
        out[key] = np.pad(batch[key], [[0, 0], [0, (-n) % ms]])
    out["mel"] = np.pad(batch["mel"], [[0, 0], [0, (-t) % mf], [0, 0]])
    out["batch_frames"] = np.full([len(batch["mel"])], t, np.int32)
    return out


def measure(variant: str, batches: list[dict], warmup: int) -> dict:
    """Trains a fresh student (same seed, same initial weights for every variant) on `batches` through tf.data
    with unknown batch dimensions, as `model.fit` sees the real pipeline (one trace), and times every step after
    the first `warmup`."""
    import keras
    import numpy as np
    import tensorflow as tf

    from speedyspeech_tf.config import StudentConfig
    from speedyspeech_tf.training.common import set_mixed_precision
    from speedyspeech_tf.training.student import build_trainer

    policy, multiple = VARIANTS[variant]
    batch_size = len(batches[0]["phonemes"])
    previous = keras.mixed_precision.global_policy()
    set_mixed_precision(False if policy == "float32" else policy)
    try:
        keras.utils.set_random_seed(0)
        cfg = StudentConfig(batch_size=batch_size)
        trainer = build_trainer(cfg, mixed_precision=False if policy == "float32" else policy)
        padded = [pad_batch(b, multiple) for b in batches]
        spec = {k: tf.TensorSpec([batch_size] + ([None, *v.shape[2:]] if v.ndim > 1 else []), tf.as_dtype(v.dtype))
                for k, v in padded[0].items()}
        ds = tf.data.Dataset.from_generator(lambda: iter(padded), output_signature=spec).prefetch(2)
        times, losses = [], []

        class Clock(keras.callbacks.Callback):
            def on_train_batch_end(self, b, logs=None):
                times.append(time.perf_counter())
                losses.append(float(logs["mel_l1"]))

        start = time.perf_counter()
        trainer.fit(ds, epochs=1, steps_per_epoch=len(padded), verbose=0, callbacks=[Clock()], shuffle=False)
        timed = times[warmup - 1:]
        seconds = (timed[-1] - timed[0]) / (len(timed) - 1)
        shapes = {(b["phonemes"].shape[1], b["mel"].shape[1]) for b in padded}
        frames = float(np.mean([b["mel"].shape[1] for b in batches]))
        params = sum(int(v.numpy().size) for v in trainer.student.trainable_variables)
        dtypes = sorted({v.dtype for v in trainer.student.trainable_variables})
    finally:
        keras.mixed_precision.set_global_policy(previous)
    return {"variant": variant, "batch": batch_size, "steps": len(timed) - 1, "s_per_step": seconds,
            "frames_per_s": batch_size * frames / seconds, "warmup_s": times[warmup - 1] - start,
            "shapes": len(shapes), "mel_l1": losses[-1], "params": params, "weight_dtypes": dtypes}


def pipeline_speed(cache_dir: str, batch_size: int, batches: int = 40) -> dict:
    """Batches per second that data.student_dataset (the real training pipeline, padded to (16, 64)) delivers
    from a preprocessed cache, with nothing consuming them: it must be far above the steps per second."""
    import tempfile

    import numpy as np

    from speedyspeech_tf import data

    cache = data.load_cache(cache_dir)
    durations = {}
    for item in cache.items:  # any valid durations cost the same to load: spread the frames evenly
        n, t = len(item["phonemes"]), int(item["frames"])
        d = np.full(n, t // n, np.int32)
        d[: t - int(d.sum())] += 1
        durations[item["id"]] = d
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "durations.npz")
        data.save_durations(path, durations)
        ds = data.student_dataset(cache, path, batch_size, "all", shuffle=True, seed=0, masks=False,
                                  pad_multiple=(16, 64)).repeat()
        it = iter(ds)
        next(it)
        start = time.perf_counter()
        for _ in range(batches):
            next(it)
        seconds = time.perf_counter() - start
    return {"batches_per_s": batches / seconds, "items": len(cache.items)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-size", type=int, default=16, help="batch size (default 16, the bundled voice's)")
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                    help="what to compare, in one run (default: all)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps per variant (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed first steps (tracing; default 3)")
    ap.add_argument("--phonemes", type=int, default=100, help="phonemes of a batch's longest item, on average "
                                                              "(default 100)")
    ap.add_argument("--frames", type=int, default=600, help="mel frames of a batch's longest item, on average "
                                                            "(default 600)")
    ap.add_argument("--cache", help="a preprocessed cache: also time the real input pipeline on it")
    ap.add_argument("--no-append", action="store_true", help="print only, do not write BENCHMARKS.md")
    args = ap.parse_args(argv)
    if args.steps < 2 or args.warmup < 1 or args.batch_size < 1:
        ap.error("--steps must be >= 2, --warmup and --batch-size >= 1")

    import tensorflow as tf

    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from report import Machine, cpu_flags, write_section

    machine = Machine.start(threads="TensorFlow default (all cores)")
    batches = batch_sequence(args.warmup + args.steps, args.batch_size, args.phonemes, args.frames, 80, seed=1)
    rows = []
    for v in args.variants:
        r = measure(v, batches, args.warmup)
        print(f"{v}: {r['s_per_step']:.2f} s/step over {r['steps']} steps, {r['shapes']} batch shapes, "
              f"mel L1 {r['mel_l1']:.4f}", flush=True)
        rows.append(r)

    pipe = pipeline_speed(args.cache, args.batch_size) if args.cache else None
    if pipe:
        print(f"input pipeline: {pipe['batches_per_s']:.1f} batches/s", flush=True)
    base = rows[0]["s_per_step"]
    bf16_units = [f for f in ("avx512_bf16", "amx_bf16", "amx_tile") if f in cpu_flags()]
    cmd = "python benchmarks/student_train_speed.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--no-append")
    lines = [
        f"Full (paper) student, {rows[0]['params']:,} trainable parameters, batch {args.batch_size}, default "
        f"strategy (one replica), TensorFlow {tf.__version__}; CPU bf16 units: "
        f"{', '.join(bf16_units) or 'none'}. The real train_step (L1 + SSIM + duration loss, clipping, Adam) on "
        f"{args.warmup + args.steps} synthetic LJ-Speech-shaped batches fed through tf.data with unknown batch "
        f"dimensions, as `model.fit` sees the bucketed pipeline: each batch's longest item has 70-130 % of "
        f"{args.phonemes} phonemes / {args.frames} frames (the mean LJ Speech clip: 89 symbols, 566 frames). "
        f"All variants start from the same weights and see the same batches, in one run; {args.steps} timed "
        f"steps after {args.warmup} untimed. \"padded\": batches padded further to multiples of 16 symbols and "
        "64 frames (`train-student --pad-multiple 16 64`), so shapes repeat and the step reuses its compiled "
        "kernels. \"bfloat16\": Keras's mixed_bfloat16 policy (`--mixed-precision bfloat16`; weights and "
        "checkpoints stay float32). mel L1 after the last step shows whether the variants learn alike: the masked "
        "losses ignore the extra padding, but BatchNorm's training statistics include the extra (zero) frames, "
        "so padded runs take slightly different steps. Other processes "
        "on these cores (see the load average) slow every variant down; compare the ratios.",
        "",
        "| variant | s / step | × float32 | mel frames / s | distinct batch shapes | first steps incl. tracing (s) "
        "| mel L1 after the last step | LJ Speech epoch (h) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        epoch_h = math.ceil(LJ_TRAIN_ITEMS / r["batch"]) * r["s_per_step"] / 3600
        lines.append(f"| {r['variant']} | {r['s_per_step']:.2f} | {base / r['s_per_step']:.2f} | "
                     f"{r['frames_per_s']:,.0f} | {r['shapes']} | {r['warmup_s']:.1f} | {r['mel_l1']:.4f} | "
                     f"{epoch_h:.2f} |")
    lines += ["", f"LJ Speech epoch: {LJ_TRAIN_ITEMS:,} training items / batch steps at the measured speed (the "
                  "reference trains 100 such epochs). Weights stay float32 in every variant: "
                  f"{', '.join(sorted({d for r in rows for d in r['weight_dtypes']}))}."]
    if pipe:
        fastest = min(r["s_per_step"] for r in rows)
        lines += ["", f"Input pipeline (`data.student_dataset`, batch {args.batch_size}, padded to (16, 64), "
                      f"shuffled, on the {pipe['items']} items of `{args.cache}` with nothing consuming it): "
                      f"{pipe['batches_per_s']:.1f} batches/s, {pipe['batches_per_s'] * fastest:.0f}× what the "
                      "fastest step above consumes (it prefetches while the step runs): the input pipeline is not "
                      "what limits training speed."]
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
