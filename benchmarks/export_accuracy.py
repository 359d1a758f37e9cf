"""Accuracy, size and speed of the exported TFLite files for every quantization (BENCHMARKS.md, "TFLite export").

    python benchmarks/export_accuracy.py --out /tmp/export-bench            # all quantizations, reference weights
    python benchmarks/export_accuracy.py --out /tmp/export-bench --quantize float32 --no-append   # quick check
    python benchmarks/export_accuracy.py --sizes                            # the N / F statistics only
    python benchmarks/export_accuracy.py --time DIR [DIR ...] --repeats 30  # only time existing exports

For each quantization it runs the export pipeline (speedyspeech_tf.exporting.pipeline.export_models, as the
`speedyspeech-tf export` command does) on the given student and vocoder (default: the authors' reference
checkpoints in ../shared/reference, imported), then times each file (ai-edge-litert, fastest and median of
--repeats calls after a warm-up, --threads threads) and writes its section of BENCHMARKS.md
(benchmarks/report.py; --no-append: print only). The vocoder's real-time factor divides a call's time by the
audio it contributes: its W window frames (the 2C context frames are computed and dropped). `--sizes` prints the
sentence-length and frames-per-symbol statistics behind the default N and F (config.EXPORT_SIZE_REASONING).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "benchmarks"))  # report.py
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))


def sizes(transcripts: str, corpus: str) -> str:
    from speedyspeech_tf.exporting import sizing

    counts = sizing.symbol_counts(sizing.read_transcripts(transcripts))
    stats = sizing.sentence_length_stats(counts)
    lines = [f"- Symbols per LJ Speech transcript through the text front end ({stats['sentences']}): mean "
             f"{stats['mean']:.1f}, median {stats['median']:.0f}, p90 {stats['p90']:.0f}, p95 {stats['p95']:.0f}, "
             f"p99 {stats['p99']:.0f}, max {stats['max']}"]
    for n, share in stats["split_share"].items():
        lines.append(f"  - N = {n}: {100 * share:.2f} % of transcripts (+5 padding symbols) would be split")
    rates = sizing.frames_per_symbol(corpus)
    lines.append(f"- Frames per symbol in {len(rates)} real clips: min {rates.min():.2f}, mean {rates.mean():.2f}, "
                 f"max {rates.max():.2f}; pairing every transcript with every rate:")
    for f in (896, 1024, 1152, 1280):
        lines.append(f"  - F = {f}: {100 * sizing.overflow_rate(counts, rates, f):.3f} % of the pairs overflow")
    return "\n".join(lines)


def time_file(path: str, inputs: dict, repeats: int, threads: int, stat=np.median) -> float:
    from speedyspeech_tf.exporting.tflite import SignatureModel

    model = SignatureModel(path, "ai-edge-litert", num_threads=threads)
    model(**inputs)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model(**inputs)
        times.append(time.perf_counter() - t)
    return float(stat(times))


def sample_inputs(cfg):
    from speedyspeech_tf.exporting import calibration

    sentence = calibration.student_inputs(
        calibration.builtin_sentences(calibration.EVALUATION_SENTENCES[:1], cfg.max_text_symbols), cfg.N)[0]
    window = {"mel": np.full((1, cfg.vocoder_frames, cfg.audio.n_mels), -6.0, np.float32)}
    return sentence, window


def window_audio_seconds(cfg) -> float:
    """Seconds of audio one vocoder call contributes: its W window frames, not the 2C context frames."""
    return cfg.vocoder_window * cfg.hop_length / cfg.audio.sample_rate


def time_dirs(dirs, repeats: int, threads: int) -> str:
    """Time existing export directories: fastest and median call of each file (ai-edge-litert)."""
    from speedyspeech_tf.config import ExportConfig

    lines = ["| export | student call ms (min / median) | vocoder call ms (min / median), W + 2C frames | vocoder "
             "RTF (min / median), per W frames of audio |", "|---|---|---|---|"]
    for d in dirs:
        cfg = ExportConfig.load(d)
        sentence, window = sample_inputs(cfg)
        s_path, v_path = os.path.join(d, cfg.student_file), os.path.join(d, cfg.vocoder_file)
        s = [time_file(s_path, sentence, repeats, threads, f) for f in (np.min, np.median)]
        v = [time_file(v_path, window, repeats, threads, f) for f in (np.min, np.median)]
        audio = window_audio_seconds(cfg)
        label = cfg.quantization + (f" ({cfg.student_int8})" if cfg.student_int8 else "")
        lines.append(f"| {label} | {1000 * s[0]:.0f} / {1000 * s[1]:.0f} | {1000 * v[0]:.0f} / {1000 * v[1]:.0f} "
                     f"| {v[0] / audio:.3f} / {v[1] / audio:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--student", default=os.path.join(SHARED, "reference", "student_seed0.pth"))
    p.add_argument("--vocoder", default=os.path.join(SHARED, "reference", "melgan_seed0.pth"))
    p.add_argument("--out", default="/tmp/speedyspeech-export-bench")
    p.add_argument("--quantize", nargs="+", default=["float32", "dynamic", "float16", "int8", "int8-all"],
                   choices=["float32", "dynamic", "float16", "int8", "int8-decoder", "int8-all", "int8-dynamic"],
                   help="int8-X: int8 with --int8-student X in the same run (default: all five)")
    p.add_argument("--int8-student", default="decoder", choices=("decoder", "all", "dynamic"))
    p.add_argument("--calibration-cache", default=None)
    p.add_argument("--evaluation-samples", type=int, default=8)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sizes", action="store_true", help="print the N / F statistics and exit")
    p.add_argument("--time", nargs="+", metavar="DIR", help="only time these existing export directories")
    p.add_argument("--transcripts", default=os.path.join(SHARED, "data", "ljspeech_transcripts.txt"))
    p.add_argument("--corpus", default=os.path.join(SHARED, "data", "ljspeech_mini"))
    p.add_argument("--no-append", action="store_true", help="print only; do not write BENCHMARKS.md")
    args = p.parse_args(argv)
    from report import Machine, command_line, write_section

    machine = Machine.start(threads=args.threads)
    if args.sizes:
        text = sizes(args.transcripts, args.corpus)
        print(text)
        if not args.no_append:
            write_section("benchmarks/export_accuracy.py --sizes", command_line(), "TFLite export: default N and F",
                          text + "\n\noverflow is reported (overflow = 1, frames = F) and the runtime re-splits.",
                          machine=machine, weights="none (statistics of the transcripts and clips)")
        return 0
    weights = ("random (the authors' student_seed0.pth, melgan_seed0.pth)"
               if "seed0" in os.path.basename(args.student) else f"{args.student}, {args.vocoder}")
    if args.time:
        text = time_dirs(args.time, args.repeats, args.threads)
        print(text)
        if not args.no_append:  # its own section: timing existing exports is a command of its own
            write_section("benchmarks/export_accuracy.py --time", command_line(), "TFLite export: call times",
                          text, machine=machine, weights=weights)
        return 0

    from speedyspeech_tf.exporting.pipeline import export_models, load_student, load_vocoder

    student, vocoder = load_student(args.student), load_vocoder(args.vocoder)
    rows = []
    for q in args.quantize:
        # "int8-all" / "int8-decoder" / "int8-dynamic": int8 with that --int8-student, in the same run
        q, student_int8 = (("int8", q.split("-", 1)[1]) if q.startswith("int8-") else (q, args.int8_student))
        label = q if q != "int8" else f"int8 ({student_int8})"
        out = os.path.join(args.out, q if q != "int8" else f"int8-{student_int8}")
        res = export_models(student, vocoder, out, q, calibration_cache=args.calibration_cache,
                            evaluation_samples=args.evaluation_samples, student_int8=student_int8,
                            progress=False, log=None)
        cfg, rep = res.config, res.report
        sentence, window = sample_inputs(cfg)
        t_student = time_file(os.path.join(out, cfg.student_file), sentence, args.repeats, args.threads)
        t_vocoder = time_file(os.path.join(out, cfg.vocoder_file), window, args.repeats, args.threads)
        rows.append((label, rep, t_student, t_vocoder, cfg))
        print(f"{label}: done ({rep['timings']['total_s']} s)", file=sys.stderr)

    lines = ["| quantization | student MB | vocoder MB | student frame counts equal to Keras (max / mean abs diff, "
             "frames) | mel max / mean abs err (same frames) | mel DTW mean abs err | audio max / mean abs err | "
             "audio SNR dB | LSD dB | windowed vs whole max err | student call ms (median) | vocoder call ms, W + 2C "
             "frames (RTF per W frames of audio) |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, rep, ts, tv, cfg in rows:
        a, b, w = (rep["accuracy"][k] for k in ("student", "vocoder", "windowed_vs_whole"))
        mel = ("n/a" if a["mel_max_abs_error"] is None
               else f"{a['mel_max_abs_error']:.2g} / {a['mel_mean_abs_error']:.2g}")
        rtf = tv / window_audio_seconds(cfg)
        equal = a["sentences"] - a["frame_mismatches"]
        lines.append(
            f"| {label} | {rep['student']['size_bytes'] / 1e6:.2f} | {rep['vocoder']['size_bytes'] / 1e6:.2f} | "
            f"{equal}/{a['sentences']} ({a['frames_max_abs_difference']} / {a['frames_mean_abs_difference']:.2g}) | "
            f"{mel} | {a['mel_dtw_mean_abs_error']:.2g} | "
            f"{b['audio_max_abs_error']:.2g} / {b['audio_mean_abs_error']:.2g} | {b['snr_db']:.1f} | "
            f"{b['log_spectral_distance_db']:.2g} | {w['audio_max_abs_error']:.2g} | {1000 * ts:.0f} | "
            f"{1000 * tv:.0f} ({rtf:.3f}) |")
    lines.append("")
    for label, rep, *_ in rows:
        lines.append(f"- {label} student ops: " + ", ".join(f"{k} {n}" for k, n in rep["student"]["ops"].items()))
        lines.append(f"- {label} vocoder ops: " + ", ".join(f"{k} {n}" for k, n in rep["vocoder"]["ops"].items()))
    cal = (f"int8 calibration and evaluation: {args.calibration_cache}" if args.calibration_cache
           else "int8 calibration and evaluation: the built-in sentences")
    text = (f"Exported with the defaults; {cal}; reference side: the Keras models on the same inputs. Call times: "
            f"ai-edge-litert, {args.threads} thread(s), median of {args.repeats} calls after a warm-up.\n\n"
            + "\n".join(lines))
    print(text)
    if not args.no_append:
        write_section("benchmarks/export_accuracy.py", command_line(), "TFLite export (student + MelGAN vocoder, "
                      f"{', '.join(args.quantize)})", text, machine=machine, weights=weights)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump([{"quantization": r[0], "report": r[1], "student_call_s": r[2], "vocoder_call_s": r[3]}
                   for r in rows], f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
