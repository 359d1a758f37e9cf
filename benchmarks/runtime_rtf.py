"""Real-time factor, first-audio latency and peak memory of the TensorFlow-free runtime (BENCHMARKS.md, "Runtime").

    python benchmarks/runtime_rtf.py --work /tmp/rtf-bench                      # everything, writes its section
    python benchmarks/runtime_rtf.py --work /tmp/rtf-bench --torch-python /work/torchvenv/bin/python  # + reference
    python benchmarks/runtime_rtf.py --work /tmp/rtf-bench --quick --no-append  # one quantization, 1 run, no Keras

What it does:
1. Exports the student and the vocoder (default: the authors' reference checkpoints student_seed0.pth +
   melgan_seed0.pth in ../shared/reference, imported; random weights, the real architecture) once per
   quantization (float32, dynamic, float16, int8, and int8 with a dynamic-range student: int8-dynstudent) with the
   default sizes plus the smaller students of --student-sizes (export --student-sizes), with the exporter's accuracy
   evaluation
   (its report.json gives the quantized models' mel and audio error against the float32 Keras models), plus a
   few extra vocoder window sizes W for one quantization (--windows, --window-quantization); and the reference
   student with the HiFi-GAN vocoder (`--vocoder hifigan-universal`, dynamic). Exports already in --work with
   the same student sizes are reused.
2. For every export and thread count, runs a fresh subprocess (so peak memory is that configuration's own) that
   loads speedyspeech_tf.runtime.Synthesizer (TensorFlow is not imported there) and synthesises three fixed texts
   (short: ten words, medium, long: a paragraph) --runs times after one warm-up run, and reports the medians of:
   real-time factor (the runtime's time / audio duration, text -> float audio, WAV writing excluded),
   time to the first vocoder window's audio, student and vocoder time; and the process's peak RSS.
   Also: float32 at 1 thread without the XNNPACK delegate (the interpreter's builtin kernels), and the bundled
   voice (voices/slt: trained student, HiFi-GAN universal, dynamic range) as it ships.
   Short-sentence latency (issue 15): the ten-word sentence's first audio and RTF on one thread for the
   --window-quantization exports (every W), each with its student sizes and as a one-student directory (the
   same files, config.json without student_buckets), against the targets (first audio <= 15 ms, RTF <= 0.02).
3. The Keras models (graph mode: the student's inference and the generator with its weight norm folded, each
   one tf.function; the same chunks, the vocoder on each whole chunk at once, as the authors' script does) on
   the same texts in a subprocess per thread count, for comparison.
4. With --torch-python PATH: the authors' PyTorch student + MelGAN (benchmarks/reference_rtf.py run by that
   Python, which must have torch; nothing is installed) on the same chunks of the same texts, per thread
   count, in the same run; the table gets a "reference PyTorch" row and every row an "x faster" column (the
   reference's median RTF on the long text at the same thread count / the row's).
5. Writes its section of BENCHMARKS.md (benchmarks/report.py: markers, machine, load before/after, versions).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "benchmarks"))  # report.py
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
QUANTIZATIONS = ("float32", "dynamic", "float16", "int8", "int8-dynstudent")
STUDENT_SIZES = (256, 384, 512)  # F of the extra students (N = 40, 64, 80: sizing.phonemes_for_frames)
TARGET_FIRST_AUDIO_S, TARGET_RTF = 0.015, 0.02  # issue 15: the ten-word sentence on one thread
BUNDLED_VOICE = os.path.join(REPO, "voices", "slt")
# "int8-dynstudent": `export --quantize int8 --int8-student dynamic` (full-integer vocoder, dynamic-range student)

TEXTS = {
    # ten words: the first-audio latency goal is stated for such a sentence
    "short": "Please call Stella and ask her to bring these things.",
    "medium": ("The birch canoe slid on the smooth planks, and the boy was there when the sun rose over the quiet "
               "lake at the edge of the old town."),
    "long": ("The printing press was one of the most important inventions of its age. Before it, every book had "
             "to be copied by hand, which made books rare and expensive, and few people learned to read. Within a "
             "few decades of its arrival, printers were at work in most of the large cities of Europe, and the "
             "number of books in circulation grew from thousands to millions. Ideas now travelled faster than "
             "ever before, and they could no longer be stopped."),
}


def _median(values):
    return float(statistics.median(values)) if values else float("nan")


def _peak_rss_mb() -> float:
    """This process's peak resident memory. /proc/self/status VmHWM belongs to the process image (reset by exec);
    getrusage's ru_maxrss is not: it keeps the parent's peak across fork + exec, here the exporting parent's."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


# ------------------------------------------------------------------------------------------------ children

def child_runtime(model_dir: str, threads: int, runs: int, xnnpack: bool, texts=tuple(TEXTS)) -> dict:
    t0 = time.perf_counter()
    from speedyspeech_tf.runtime import Synthesizer

    synth = Synthesizer(model_dir, threads=threads, runtime="auto", xnnpack=xnnpack)
    load_s = time.perf_counter() - t0
    out = {"load_seconds": load_s, "runtime": synth.runtime, "quantization": synth.quantization,
           "threads": threads, "xnnpack": xnnpack, "student_sizes": [f for _, f in synth.models.buckets],
           "vocoder": synth.config.vocoder, "window": synth.config.W, "texts": {}}
    for name in texts:
        text = TEXTS[name]
        synth.synthesize(text)  # warm-up run (page cache, allocator, lazy front-end tables)
        rows = []
        for _ in range(runs):
            synth.synthesize(text)
            rows.append(synth.last_stats)
        first = rows[0]
        out["texts"][name] = {
            "words": len(text.split()), "symbols": sum(first.chunk_symbols), "chunks": first.chunks,
            "frames": sum(first.chunk_frames), "audio_seconds": first.audio_seconds,
            "vocoder_calls": first.vocoder_calls, "chunk_students": first.chunk_students,
            "bucket_retries": first.bucket_retries,
        }
        for key in ("rtf", "synthesis_seconds", "first_audio_seconds", "student_seconds", "vocoder_seconds",
                    "frontend_seconds"):
            values = [getattr(r, key) for r in rows]
            out["texts"][name][key] = _median(values)
            out["texts"][name][key + "_min"] = float(min(values))
    out["tensorflow_imported"] = "tensorflow" in sys.modules
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def child_keras(student_src: str, vocoder_src: str, threads: int, runs: int) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from speedyspeech_tf.config import AudioConfig, ExportConfig
    from speedyspeech_tf.exporting.pipeline import load_student, load_vocoder
    from speedyspeech_tf.text import chunk_ids, split_sentences, text_to_ids

    t0 = time.perf_counter()
    student, vocoder = load_student(student_src), load_vocoder(vocoder_src)
    gen = vocoder.model
    folded = hasattr(gen, "fold_weight_norm")
    gen = gen.fold_weight_norm() if folded else gen  # as inference and export use it
    infer = tf.function(lambda ids, n: student.model.infer(ids, n, speed=1.0),
                        input_signature=[tf.TensorSpec([1, None], tf.int32), tf.TensorSpec([1], tf.int32)])
    vocode = tf.function(lambda m: gen(m, training=False),
                         input_signature=[tf.TensorSpec([1, None, student.config.n_mels], tf.float32)])
    load_s = time.perf_counter() - t0
    audio_cfg, export_cfg = AudioConfig(), ExportConfig()
    hop, silence = audio_cfg.hop_length, np.float32(audio_cfg.silence_log_mel)

    def synthesize(text):
        """The authors' inference recipe per chunk with the Keras models: 5 padding ids, mel * std + mean,
        5 silence frames appended, the generator on the whole chunk at once, the padding's audio trimmed."""
        start = time.perf_counter()
        chunks = [c for s in split_sentences(text) for c in chunk_ids(text_to_ids(s), export_cfg.max_text_symbols)]
        first, pieces, frames = None, [], []
        t_student = t_vocoder = 0.0
        for ids in chunks:
            t = time.perf_counter()
            x = tf.constant(np.array([ids + [0] * export_cfg.pad_symbols], np.int32))
            mel, _, lengths = infer(x, tf.constant([len(ids)], tf.int32))
            T = int(lengths.numpy()[0])
            mel = mel.numpy()[0, :T] * audio_cfg.mel_std + audio_cfg.mel_mean
            mel = np.concatenate([mel, np.full((5, audio_cfg.n_mels), silence, np.float32)]).astype(np.float32)
            t_student += time.perf_counter() - t
            t = time.perf_counter()
            audio = vocode(tf.constant(mel[None])).numpy().reshape(-1)[:T * hop]
            t_vocoder += time.perf_counter() - t
            pieces.append(audio)
            frames.append(T)
            if first is None:
                first = time.perf_counter() - start
        total = time.perf_counter() - start
        audio_s = sum(frames) * hop / audio_cfg.sample_rate
        return {"rtf": total / audio_s, "synthesis_seconds": total, "first_audio_seconds": first,
                "student_seconds": t_student, "vocoder_seconds": t_vocoder, "audio_seconds": audio_s,
                "frames": sum(frames), "chunks": len(chunks)}

    import keras

    out = {"load_seconds": load_s, "runtime": f"Keras {keras.__version__} on TensorFlow {tf.__version__} (tf.function"
                                              + (", weight norm folded)" if folded else ")"),
           "threads": threads,
           "quantization": "float32 (Keras)", "texts": {}}
    for name, text in TEXTS.items():
        synthesize(text)
        rows = [synthesize(text) for _ in range(runs)]
        row = {k: _median([r[k] for r in rows]) for k in rows[0]}
        row.update({k + "_min": float(min(r[k] for r in rows)) for k in rows[0]})
        row.update(words=len(text.split()), chunks=rows[0]["chunks"], frames=rows[0]["frames"])
        out["texts"][name] = row
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def text_chunks(text: str) -> list[list[int]]:
    """The symbol ids of each chunk the runtime would synthesise (its own front end and chunking)."""
    from speedyspeech_tf.config import ExportConfig
    from speedyspeech_tf.text import chunk_ids, split_sentences, text_to_ids

    n = ExportConfig().max_text_symbols
    return [list(map(int, c)) for s in split_sentences(text) for c in chunk_ids(text_to_ids(s), n)]


def run_child(args: list[str], python: str = sys.executable, script: str = os.path.abspath(__file__)) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO)
    proc = subprocess.run([python, script] + args, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{proc.stderr[-3000:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


# ------------------------------------------------------------------------------------------------- exports

def export(work: str, student: str, vocoder: str, quantization: str, window: int | None, evaluate: bool,
           calibration_cache: str | None, sizes=(), name: str | None = None) -> str:
    name = name or quantization + (f"-W{window}" if window else "")
    out = os.path.join(work, name)
    config = os.path.join(out, "config.json")
    if os.path.isfile(config) and os.path.isfile(os.path.join(out, "report.json")):
        if [b["max_frames"] for b in json.load(open(config)).get("student_buckets", [])] == sorted(set(sizes)):
            return out  # made before with the same student sizes
    from speedyspeech_tf.exporting.pipeline import export_models

    print(f"exporting {name} ...", file=sys.stderr, flush=True)
    q, student_int8 = ("int8", "dynamic") if quantization == "int8-dynstudent" else (quantization, "decoder")
    export_models(student, vocoder, out, q, window=window, evaluate=evaluate, student_int8=student_int8,
                  calibration_cache=calibration_cache, student_sizes=sizes, progress=True, log=None)
    return out


def one_student(model_dir: str) -> str:
    """model_dir as a one-student directory (MODEL_DIR-one: links to its files, config.json without
    student_buckets): what the export gives without --student-sizes."""
    out = model_dir.rstrip("/") + "-one"
    os.makedirs(out, exist_ok=True)
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    cfg.pop("student_buckets", None)
    for name in (cfg["student_file"], cfg["vocoder_file"]):
        dst = os.path.join(out, name)
        if os.path.lexists(dst):
            os.remove(dst)
        os.symlink(os.path.abspath(os.path.join(model_dir, name)), dst)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    return out


def vocoder_macs_per_frame(vocoder_config: dict) -> float:
    """Multiply-adds of the MelGAN generator per mel frame (exact for the architecture; bias/activations not
    counted): input conv, per upsampling stage a 2-tap polyphase convolution (= the transposed convolution's
    non-zero taps) and a residual stack of (dilated k-tap conv + 1x1 conv) per dilation, output conv."""
    from speedyspeech_tf.config import MelGANConfig, from_dict

    cfg = from_dict(MelGANConfig, vocoder_config)
    ch = cfg.generator_channels
    macs = cfg.n_mels * ch * cfg.input_kernel_size
    rate = 1
    for f in cfg.upsample_factors:
        out = ch // 2
        macs += rate * ch * out * 2 * f  # per input step: f phases x out channels x 2 taps x in channels
        rate *= f
        macs += rate * len(cfg.resstack_dilations) * out * out * (cfg.resstack_kernel_size + 1)
        ch = out
    macs += rate * ch * 1 * cfg.output_kernel_size
    return float(macs)


# -------------------------------------------------------------------------------------------------- report

def fmt(x, digits=3):
    return "n/a" if x is None or x != x else f"{x:.{digits}f}"


def ms(x):
    return "n/a" if x is None or x != x else f"{1000 * x:.0f}"


def both(t: dict, key: str, scale=None) -> str:
    """'median (min)' of a measurement over the runs."""
    f = ms if scale == "ms" else fmt
    return f"{f(t[key])} ({f(t.get(key + '_min'))})"


TITLE = "Runtime: text -> audio on the CPU"


def report(results: list[dict], keras: list[dict], reference: list[dict], exports: dict, extra: list[dict],
           args, latency: list[dict] = ()) -> str:
    from speedyspeech_tf.exporting.sizing import phonemes_for_frames

    sizes = sorted(set(args.student_sizes))
    size_note = (f", plus the same student at F = {', '.join(map(str, sizes))} (export --student-sizes; N = "
                 f"{', '.join(str(phonemes_for_frames(f)) for f in sizes)}): each chunk runs on the smallest whose "
                 "N - 5 slots hold it, and again on the next larger one if it needs more than its F frames"
                 if sizes else "")
    lines = [f"Medians of {args.runs} runs after a warm-up run, one fresh process per row (the load average in the "
             "header says whether other jobs shared the cores).", "",
             "Models: the authors' reference checkpoints (student_seed0.pth, melgan_seed0.pth: **random weights**, the "
             "real architecture) exported with the defaults N = 176, F = 1152, W = 128, C = 7" + size_note
             + ". The random student "
             "predicts about 4-5 frames per symbol where a trained LJ Speech voice gives about 6.5 "
             "(BENCHMARKS.md, TFLite export), so a trained voice gives ~40 % more audio for the same text: the "
             "vocoder's RTF does not change (its cost is per frame), the student's fixed per-chunk cost is spread "
             "over more audio (lower RTF).", "",
             "Texts: " + "; ".join(f"{k}: {len(v.split())} words" for k, v in TEXTS.items())
             + ". RTF = the runtime's own time (front end + student + vocoder + stitching, WAV writing excluded) / "
             "audio duration; first audio = from the call until the first vocoder window's audio is ready; "
             "student / vocoder = their interpreter time for the whole text; memory = peak RSS of the process "
             "(interpreter, both models, front end). Student ms per chunk = the student's time on the long text / "
             "its chunks (a TFLite student runs over all its F frames: its cost is per chunk and size). x faster = "
             "the reference PyTorch implementation's median RTF on the long text at the same thread count / the "
             "row's (n/a without --torch-python). The reference row's time excludes the text front end (it gets "
             "our symbol ids; ~0.3 ms per sentence).", ""]
    head = ("| model | threads | RTF short / medium / long, median (min) | x faster than the reference (long) | "
            "first audio ms short / medium / long, median (min) | student ms per chunk (long), median (min) | "
            "vocoder ms (long) | audio s (long) | peak RSS MB |")
    lines += [head, "|---|---|---|---|---|---|---|---|---|"]
    ref_rtf = {r["threads"]: r["texts"]["long"]["rtf"] for r in reference}

    def row(label, r):
        t = r["texts"]
        chunks = max(t["long"]["chunks"], 1)
        per_chunk = {k: t["long"][k] / chunks for k in ("student_seconds", "student_seconds_min")}
        faster = f"{ref_rtf[r['threads']] / t['long']['rtf']:.1f}x" if r["threads"] in ref_rtf else "n/a"
        lines.append(f"| {label} | {r['threads']} | " + " / ".join(both(t[k], 'rtf') for k in TEXTS) + f" | {faster} | "
                     + " / ".join(both(t[k], 'first_audio_seconds', 'ms') for k in TEXTS) + f" | "
                     f"{both(per_chunk, 'student_seconds', 'ms')} | {both(t['long'], 'vocoder_seconds', 'ms')} | "
                     f"{t['long']['audio_seconds']:.2f} | {r['peak_rss_mb']:.0f} |")

    for r in results:
        row(r.get("label") or f"TFLite {r['quantization']} ({r['runtime']}{'' if r['xnnpack'] else ', no XNNPACK'})",
            r)
    for r in keras:
        row(r["runtime"] + ", float32", r)
    for r in reference:
        row(r["runtime"] + ", float32", r)
    if extra:
        lines += ["", f"Vocoder window size ({args.window_quantization}, 1 thread; C = 7 context frames each side, "
                  "so each call computes W + 14 frames for W frames of output):", "",
                  "| W | RTF short / medium / long, median (min) | first audio ms short / medium / long, median (min) "
                  "| vocoder ms per call, median (min) |",
                  "|---|---|---|---|"]
        for r in extra:
            t = r["texts"]
            calls = max(t["long"]["vocoder_calls"], 1)
            lines.append(f"| {r['window']} | " + " / ".join(both(t[k], 'rtf') for k in TEXTS) + " | "
                         + " / ".join(both(t[k], 'first_audio_seconds', 'ms') for k in TEXTS) + f" | "
                         f"{ms(t['long']['vocoder_seconds'] / calls)} ({ms(t['long']['vocoder_seconds_min'] / calls)}) |")
    if latency:
        lines += ["", "Short-sentence latency (the ten-word sentence, 1 thread): each export with its student sizes "
                  "and as a one-student directory (the same files, config.json without student_buckets). Targets: "
                  f"first audio <= {1000 * TARGET_FIRST_AUDIO_S:.0f} ms, RTF <= {TARGET_RTF}.", "",
                  "| export | W | student sizes F | ran on F | first audio ms, median (min) | RTF, median (min) | "
                  "student ms, median (min) | both targets |", "|---|---|---|---|---|---|---|---|"]
        for r in latency:
            t = r["texts"]["short"]
            met = t["first_audio_seconds"] <= TARGET_FIRST_AUDIO_S and t["rtf"] <= TARGET_RTF
            lines.append(f"| {r['quantization']} | {r['window']} | {', '.join(map(str, r['student_sizes']))} | "
                         f"{', '.join(map(str, t['chunk_students']))} | {both(t, 'first_audio_seconds', 'ms')} | "
                         f"{both(t, 'rtf')} | {both(t, 'student_seconds', 'ms')} | {'yes' if met else 'no'} |")
        best = min(latency, key=lambda r: r["texts"]["short"]["first_audio_seconds"])
        t = best["texts"]["short"]
        lines += ["", f"Fastest first audio for the ten-word sentence: {ms(t['first_audio_seconds'])} ms (target "
                  f"{1000 * TARGET_FIRST_AUDIO_S:.0f}) at RTF {fmt(t['rtf'])} (target {TARGET_RTF}), "
                  f"{best['quantization']}, W = {best['window']}, student sizes "
                  f"{', '.join(map(str, best['student_sizes']))}: "
                  + ("both targets met." if t["first_audio_seconds"] <= TARGET_FIRST_AUDIO_S and t["rtf"] <= TARGET_RTF
                     else "not both targets met.")]
    # accuracy of the quantized exports (the exporter's own evaluation against the float32 Keras models)
    lines += ["", "Accuracy of each export against the float32 Keras models (the exporter's report.json: built-in "
              "sentences, their Keras mels for the vocoder):", "",
              "| quantization | student MB + vocoder MB | sentences with another frame count | student log-mel "
              "error, DTW-aligned, mean | vocoder audio SNR dB |", "|---|---|---|---|---|"]
    for q, d in exports.items():
        rep = json.load(open(os.path.join(d, "report.json")))
        extra_mb = sum(b["size_bytes"] for b in rep.get("student_buckets", [])) / 1e6
        acc = rep.get("accuracy", {})
        s, v = acc.get("student", {}), acc.get("vocoder", {})
        lines.append(f"| {q} | {rep['student']['size_bytes'] / 1e6:.1f}"
                     + (f" (+ {extra_mb:.1f} the smaller students)" if extra_mb else "")
                     + f" + {rep['vocoder']['size_bytes'] / 1e6:.1f} | "
                     f"{s.get('frame_mismatches', 'n/a')}/{s.get('sentences', 'n/a')} | "
                     f"{fmt(s.get('mel_dtw_mean_abs_error'), 4)} | {fmt(v.get('snr_db'), 1)} |")
    # analysis
    f32 = next((r for r in results if r["quantization"] == "float32" and r["threads"] == 1 and r["xnnpack"]
                and not r.get("label")), None)
    if f32 is not None:
        cfg = json.load(open(os.path.join(exports["float32"], "config.json")))
        macs = vocoder_macs_per_frame(cfg["vocoder_config"])
        fps = cfg["audio"]["sample_rate"] / cfg["hop_length"]
        t = f32["texts"]["long"]
        computed_frames = t["vocoder_calls"] * (cfg["vocoder_window"] + 2 * cfg["vocoder_context"])
        gmacs = macs * computed_frames / t["vocoder_seconds"] / 1e9
        gmacs_best = macs * computed_frames / t["vocoder_seconds_min"] / 1e9
        need = macs * fps * (1 + 2 * cfg["vocoder_context"] / cfg["vocoder_window"]) / 0.03 / 1e9
        lines += ["", f"Arithmetic: the MelGAN generator needs {macs / 1e6:.1f} M multiply-adds per mel frame, "
                  f"{macs * fps / 1e9:.2f} G per second of audio ({2 * macs * fps / 1e9:.1f} GFLOP/s of audio), "
                  f"{100 * 2 * cfg['vocoder_context'] / cfg['vocoder_window']:.0f} % more with the context "
                  f"frames of W = {cfg['vocoder_window']}. float32 on one thread ran it at {gmacs:.1f} G "
                  f"multiply-adds per second (long text; {gmacs_best:.1f} G/s in the fastest run); vocoder "
                  f"RTF <= 0.03 on one thread would need {need:.0f} G/s in float32. Student: "
                  f"{ms(t['student_seconds'] / max(t['chunks'], 1))} ms per chunk of the long text (a student runs "
                  f"over all its F frames whatever the chunk's length; the long text's chunks ran on F = "
                  f"{', '.join(map(str, sorted(set(t.get('chunk_students', [])))) or 'n/a')})."]
    # where we are against the project's goal
    quantized = [r for r in results if r["quantization"] != "float32" and r["threads"] == 1 and r["xnnpack"]
                 and not r.get("label")]
    if quantized:
        best_rtf = min(quantized, key=lambda r: r["texts"]["long"]["rtf"])
        candidates = quantized + [r for r in extra if r.get("window") is not None]
        best_first = min(candidates, key=lambda r: r["texts"]["short"]["first_audio_seconds"])
        label = lambda r: f"{r['quantization']}" + (f", W = {r['window']}" if r.get("window") else "")  # noqa: E731
        lines += ["", "Goal (text -> wav on one CPU thread at RTF <= 0.03 with a quantized model whose mel error "
                  "against float32 stays small; first audio within 50 ms for a ten-word sentence), median (fastest "
                  f"run): best one-thread RTF on the long text {both(best_rtf['texts']['long'], 'rtf')} "
                  f"({label(best_rtf)}; short {both(best_rtf['texts']['short'], 'rtf')}, medium "
                  f"{both(best_rtf['texts']['medium'], 'rtf')}); best first audio for the ten-word sentence "
                  f"{both(best_first['texts']['short'], 'first_audio_seconds', 'ms')} ms ({label(best_first)}, of "
                  f"which the student {both(best_first['texts']['short'], 'student_seconds', 'ms')} ms)."]
    lines += ["", "The paper reports, for 9.72 s of audio at batch 1 on an i5-6300HQ CPU (4 cores): 0.105 s "
              "spectrogram + 1.702 s MelGAN (RTF 0.186, 5.4x real time), and on a GTX 960M GPU 0.032 s + 0.165 s "
              "(../shared/reference/README.md)" + ("; the reference row above is the authors' code re-measured "
              "here." if reference else "; run with --torch-python to re-measure the authors' code here."), ""]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--work", default="/tmp/rtf-bench", help="where the exports are made/reused")
    p.add_argument("--student", default=os.path.join(SHARED, "reference", "student_seed0.pth"))
    p.add_argument("--vocoder", default=os.path.join(SHARED, "reference", "melgan_seed0.pth"))
    p.add_argument("--calibration-cache", help="preprocessed corpus for int8 calibration (default: built-in)")
    p.add_argument("--quantizations", nargs="+", choices=QUANTIZATIONS, default=list(QUANTIZATIONS))
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--runs", type=int, default=5, help="timed runs per text (median reported)")
    p.add_argument("--windows", nargs="*", type=int, default=[32, 64, 256],
                   help="extra vocoder window sizes W to export and time at 1 thread (default 32 64 256)")
    p.add_argument("--window-quantization", choices=QUANTIZATIONS, default="int8-dynstudent",
                   help="the quantization of the --windows exports and of the short-sentence latency table")
    p.add_argument("--student-sizes", nargs="*", type=int, default=list(STUDENT_SIZES), metavar="F",
                   help="F of the extra students every export gets (export --student-sizes; default "
                        f"{' '.join(map(str, STUDENT_SIZES))}; none: one student)")
    p.add_argument("--no-hifigan", action="store_true",
                   help="skip the HiFi-GAN rows (the bundled voice voices/slt; the reference student exported with "
                        "--vocoder hifigan-universal --quantize dynamic)")
    p.add_argument("--no-keras", action="store_true", help="skip the Keras comparison")
    p.add_argument("--torch-python", metavar="PATH",
                   help="a Python with torch (CPU): also time the authors' PyTorch code (benchmarks/reference_rtf.py)")
    p.add_argument("--reference-code", default=os.path.join(SHARED, "reference", "code"),
                   help="the authors' code directory (for --torch-python)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: float32 only, 1 thread, 1 run, no extra windows, no Keras, of the HiFi-GAN "
                        "rows only the bundled voice")
    p.add_argument("--no-append", action="store_true", help="print only; do not write BENCHMARKS.md")
    p.add_argument("--benchmarks-md", default=os.path.join(REPO, "BENCHMARKS.md"))
    # internal: one measurement per process
    p.add_argument("--child-runtime", metavar="MODEL_DIR", help=argparse.SUPPRESS)
    p.add_argument("--child-keras", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-xnnpack", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-texts", nargs="+", choices=list(TEXTS), default=list(TEXTS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child_runtime:
        print("RESULT " + json.dumps(child_runtime(args.child_runtime, args.threads[0], args.runs,
                                                   not args.no_xnnpack, args.child_texts)))
        return 0
    if args.child_keras:
        print("RESULT " + json.dumps(child_keras(args.student, args.vocoder, args.threads[0], args.runs)))
        return 0

    from tqdm import tqdm

    from report import Machine, write_section

    if args.quick:
        args.quantizations, args.threads, args.runs, args.windows, args.no_keras = ["float32"], [1], 1, [], True
    if args.torch_python and not os.path.isfile(args.torch_python):
        print(f"error: --torch-python {args.torch_python}: no such file", file=sys.stderr)
        return 2
    command = "python benchmarks/runtime_rtf.py " + " ".join(sys.argv[1:] if argv is None else argv)
    os.makedirs(args.work, exist_ok=True)
    sizes = sorted(set(args.student_sizes))
    exports = {q: export(args.work, args.student, args.vocoder, q, None, True, args.calibration_cache, sizes)
               for q in args.quantizations}
    windows = [w for w in args.windows if w != 128]
    window_exports = {w: export(args.work, args.student, args.vocoder, args.window_quantization, w, False,
                                args.calibration_cache, sizes) for w in windows}
    hifigan = {}  # label -> model directory (issue 12: text -> audio with the HiFi-GAN vocoder)
    if not args.no_hifigan:
        if os.path.isfile(os.path.join(BUNDLED_VOICE, "config.json")):
            hifigan["TFLite bundled voice voices/slt (trained student, HiFi-GAN universal, dynamic; as shipped)"] = \
                BUNDLED_VOICE
        if not args.quick:
            hifigan["TFLite dynamic, reference student + HiFi-GAN universal"] = export(
                args.work, args.student, "hifigan-universal", "dynamic", None, False, args.calibration_cache, sizes,
                name="dynamic-hifigan")
    # the short-sentence latency table: the --window-quantization exports (every W), with and without the sizes
    base_q = args.window_quantization if args.window_quantization in exports else args.quantizations[0]
    latency_dirs = {w: (args.window_quantization, d) for w, d in window_exports.items()}
    latency_dirs[128] = (base_q, exports[base_q])
    latency_jobs = [(w, q, d) for w, (q, main_dir) in sorted(latency_dirs.items())
                    for d in ([main_dir, one_student(main_dir)] if sizes else [main_dir])]
    machine = Machine.start(threads=" and ".join(map(str, args.threads)))
    jobs = [(q, t, True) for q in args.quantizations for t in args.threads]
    if "float32" in args.quantizations:
        jobs.append(("float32", 1, False))
    results, extra, keras = [], [], []
    bar = tqdm(total=len(jobs) + len(window_exports) + len(hifigan) * len(args.threads) + len(latency_jobs)
               + (0 if args.no_keras else len(args.threads))
               + (len(args.threads) if args.torch_python else 0), desc="measuring", unit="config")
    for q, t, xnn in jobs:
        cmd = ["--child-runtime", exports[q], "--threads", str(t), "--runs", str(args.runs)]
        results.append(dict(run_child(cmd + ([] if xnn else ["--no-xnnpack"])), quantization=q))
        bar.update(1)
    for label, d in hifigan.items():
        for t in args.threads:
            r = run_child(["--child-runtime", d, "--threads", str(t), "--runs", str(args.runs)])
            results.append(dict(r, label=f"{label} ({r['runtime']})"))
            bar.update(1)
    latency = []
    for w, q, d in latency_jobs:
        r = run_child(["--child-runtime", d, "--threads", "1", "--runs", str(max(args.runs, 5)),
                       "--child-texts", "short"])
        latency.append(dict(r, window=w, quantization=q))
        bar.update(1)
    for w, d in window_exports.items():
        r = run_child(["--child-runtime", d, "--threads", "1", "--runs", str(args.runs)])
        r["window"], r["quantization"] = w, args.window_quantization
        extra.append(r)
        bar.update(1)
    if window_exports and args.window_quantization in exports:
        base = next(r for r in results if r["quantization"] == args.window_quantization and r["threads"] == 1)
        extra.append(dict(base, window=128))
        extra.sort(key=lambda r: r["window"])
    if not args.no_keras:
        for t in args.threads:
            keras.append(run_child(["--child-keras", "--threads", str(t), "--runs", str(args.runs),
                                    "--student", args.student, "--vocoder", args.vocoder]))
            bar.update(1)
    reference = []
    if args.torch_python:
        ids_path = os.path.join(args.work, "reference_ids.json")
        with open(ids_path, "w") as f:
            json.dump({"texts": {k: text_chunks(v) for k, v in TEXTS.items()}}, f)
        for t in args.threads:
            reference.append(run_child(["--ids", ids_path, "--threads", str(t), "--runs", str(args.runs),
                                        "--student", args.student, "--melgan", args.vocoder,
                                        "--code", args.reference_code],
                                       python=args.torch_python,
                                       script=os.path.join(REPO, "benchmarks", "reference_rtf.py")))
            bar.update(1)
    bar.close()
    assert not any(r.get("tensorflow_imported") for r in results), "the runtime imported TensorFlow"
    text = report(results, keras, reference, exports, extra, args, latency)
    print(text)
    if not args.no_append:
        write_section("benchmarks/runtime_rtf.py", command, TITLE, text, machine=machine,
                      weights="random (the authors' student_seed0.pth, melgan_seed0.pth); trained: the HiFi-GAN "
                      "universal vocoder and the bundled voice voices/slt", path=args.benchmarks_md)
        print(f"wrote its section of {args.benchmarks_md}", file=sys.stderr)
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"runtime": results, "windows": extra, "keras": keras, "reference": reference,
                   "latency": latency}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
