"""Real-time factor of the full-size Keras MelGAN generator on this CPU (BENCHMARKS.md, "Keras MelGAN vocoder").

    python benchmarks/vocoder_rtf.py                          # 1 and 2 threads, 3 lengths, writes its section
    python benchmarks/vocoder_rtf.py --runs 3 --rounds 1 --frames 86 431 --no-append

What it does: for each thread count, a fresh subprocess (TensorFlow's thread pools are fixed once it starts) sets
tf.config.threading intra-op = inter-op = N, builds the paper-size generator (the authors' melgan_seed0.pth
imported when ../shared/reference has it: random weights, the real architecture; speed does not depend on the
values), folds its weight normalisation into plain Conv1D kernels (`fold_weight_norm`, as inference and export
use it) and runs it through one tf.function with a [1, None, 80] signature on real log-mel frames (LJ001-0001,
tiled for lengths beyond it), one warm-up call then --runs timed calls per length. The thread counts take turns,
--rounds times (a fresh process each time), so that a change in the machine's load hits all of them alike.
Reported per configuration over all its calls: the median and the fastest wall-clock time, the median process CPU
time, and the real-time factor = median wall seconds / seconds of audio produced (frames * 256 / 22050). The
weight-normalised generator (g * v / ||v|| recomputed in every call, as in training) is timed too.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
SAMPLE_RATE, HOP = 22050, 256


# ------------------------------------------------------------------------------------------------------- child

def child(threads: int, frames: list[int], runs: int) -> dict:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import numpy as np

    from speedyspeech_tf.config import MelGANConfig
    from speedyspeech_tf.models.melgan import build_melgan

    pth = os.path.join(SHARED, "reference", "melgan_seed0.pth")
    if os.path.exists(pth):
        from speedyspeech_tf.reference.melgan import import_melgan

        model, _ = import_melgan(pth, generator_only=True)
        weights = "melgan_seed0.pth (imported)"
    else:
        model = build_melgan(MelGANConfig())
        weights = "random initialisation"
    generators = {"folded": model.generator.fold_weight_norm(), "weight-norm": model.generator}

    mel_path = os.path.join(SHARED, "reference", "mel_LJ001-0001.npy")
    if os.path.exists(mel_path):
        source = np.load(mel_path).astype(np.float32)
    else:  # no shared data: a synthetic log-mel of the right range
        source = np.random.default_rng(0).normal(-6.0, 2.0, (832, 80)).astype(np.float32)

    rows = {}
    for kind, gen in generators.items():
        fn = tf.function(lambda m, g=gen: g(m, training=False),
                         input_signature=[tf.TensorSpec([1, None, 80], tf.float32)])
        for n in frames:
            reps = -(-n // len(source))
            mel = tf.constant(np.tile(source, (reps, 1))[:n][None])
            fn(mel).numpy()  # warm-up (trace once for all lengths, allocator)
            wall, cpu = [], []
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.process_time()
                fn(mel).numpy()
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            rows[f"{kind}/{n}"] = {"wall": wall, "cpu": cpu}
    return {"rows": rows, "weights": weights, "tf": tf.__version__}


# ------------------------------------------------------------------------------------------------------ parent

def run_child(threads: int, frames: list[int], runs: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--threads", str(threads), "--runs", str(runs),
           "--frames", *map(str, frames)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(results: dict[int, list[dict]], frames: list[int]) -> list[dict]:
    """Pool every round's calls per (generator, threads, frames)."""
    rows = []
    for kind in ("folded", "weight-norm"):
        for threads, runs in results.items():
            for n in frames:
                wall = [t for r in runs for t in r["rows"][f"{kind}/{n}"]["wall"]]
                cpu = [t for r in runs for t in r["rows"][f"{kind}/{n}"]["cpu"]]
                audio_s = n * HOP / SAMPLE_RATE
                med = statistics.median(wall)
                rows.append({"generator": kind, "threads": threads, "frames": n, "audio_s": audio_s,
                             "calls": len(wall), "median_s": med, "min_s": min(wall),
                             "cpu_s": statistics.median(cpu), "rtf": med / audio_s, "rtf_min": min(wall) / audio_s})
    return rows


def markdown(results: dict[int, list[dict]], args, loads: list[float], command: str) -> str:
    first = next(iter(results.values()))[0]
    rows = summarise(results, args.frames)
    busy = max(loads) > 2.5
    lines = [
        f"TensorFlow {first['tf']}, no GPU; paper-size generator (4.5 M parameters as g and v; 80 mel channels, hop 256), weights "
        f"{first['weights']}, real log-mel frames of LJ001-0001, batch 1, intra-op = inter-op threads; per "
        f"configuration {args.rounds} round(s) x (1 warm-up + {args.runs} calls), the thread counts taking turns. "
        "RTF = median wall seconds / seconds of audio (below 1 is faster than real time); CPU s = median process "
        "CPU time per call (all threads).",
        f"Load average during the run: {min(loads):.1f} to {max(loads):.1f}"
        + (" -- **the machine was shared with other jobs**: wall times include waiting for a core (compare the "
           "fastest call and the CPU time, which waiting does not inflate)." if busy else "."),
        "",
        "| generator | threads | frames | audio s | calls | median s | fastest s | CPU s | RTF median | RTF fastest "
        "| x real time (median) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['generator']} | {r['threads']} | {r['frames']} | {r['audio_s']:.2f} | {r['calls']} | "
                     f"{r['median_s']:.3f} | {r['min_s']:.3f} | {r['cpu_s']:.3f} | {r['rtf']:.3f} | "
                     f"{r['rtf_min']:.3f} | {1.0 / r['rtf']:.1f} |")
    by = {(r["generator"], r["threads"], r["frames"]): r for r in rows}
    longest = max(args.frames)
    notes = []
    one, two = by.get(("folded", 1, longest)), by.get(("folded", 2, longest))
    if one and two:
        notes.append(f"- Threads ({longest} frames, folded): 2 threads take {two['median_s'] / one['median_s']:.2f}x "
                     f"the median time of 1 thread ({two['min_s'] / one['min_s']:.2f}x on the fastest calls).")
    wn = by.get(("weight-norm", 1, longest))
    if one and wn:
        notes.append(f"- Folding the weight normalisation ({longest} frames, 1 thread): the weight-normalised "
                     f"generator takes {wn['median_s'] / one['median_s']:.2f}x the folded one's median time "
                     f"({wn['min_s'] / one['min_s']:.2f}x on the fastest calls).")
    notes.append("- The paper's MelGAN took 1.702 s for 9.72 s of audio on a 4-core i5-6300HQ (RTF 0.175, PyTorch; "
                 "../shared/reference/README.md).")
    lines += ["", *notes, ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    p.add_argument("--frames", type=int, nargs="+", default=[86, 431, 862],
                   help="mel lengths in frames (default 86 431 862: 1, 5 and 10 s of audio)")
    p.add_argument("--runs", type=int, default=5, help="timed calls per length and round (default 5)")
    p.add_argument("--rounds", type=int, default=2,
                   help="times each thread count runs, taking turns, in a fresh process (default 2)")
    p.add_argument("--no-append", action="store_true", help="print only; do not write BENCHMARKS.md")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if min(args.runs, args.rounds, *args.frames, *args.threads) < 1:
        p.error("--runs, --rounds, --frames and --threads must be positive")
    if args.child:
        print(json.dumps(child(args.threads[0], args.frames, args.runs)))
        return 0
    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from report import Machine, write_section

    machine = Machine.start(threads=" and ".join(map(str, args.threads)) + " (intra-op = inter-op)")
    loads = [os.getloadavg()[0]]
    results: dict[int, list[dict]] = {n: [] for n in args.threads}
    for r in range(args.rounds):
        for n in args.threads:
            print(f"vocoder_rtf: round {r + 1}/{args.rounds}, {n} thread(s) ...", file=sys.stderr, flush=True)
            results[n].append(run_child(n, args.frames, args.runs))
            loads.append(os.getloadavg()[0])
    command = "python benchmarks/vocoder_rtf.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--no-append")
    text = markdown(results, args, loads, command.strip())
    print(text)
    if not args.no_append:
        write_section("benchmarks/vocoder_rtf.py", command.strip(), "Keras MelGAN vocoder: real-time factor on the "
                      "CPU", text, machine=machine, weights=f"random ({next(iter(results.values()))[0]['weights']})")
        print("wrote its section of BENCHMARKS.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
