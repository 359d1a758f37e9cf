"""The export pipeline: load models, convert, verify, measure, write DIR/{student,vocoder}.tflite + config.json
(+ DIR/student-F.tflite per extra student size, ExportConfig.student_buckets).

    export_models(student, vocoder, out_dir, quantization)    everything the `export` command does
    export_student_tflite(...) / export_vocoder_tflite(...)   one model -> checked .tflite bytes
    load_student(src) / load_vocoder(src)                     checkpoint.load_model_source(src, kind)

Every file is checked before it is written (builtin ops only, no resource variables, static shapes, the exact
signature) and run in every available TFLite interpreter (ai-edge-litert, tflite-runtime, TensorFlow's).
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from typing import Any, Callable, Sequence

import numpy as np

from ..checkpoint import ModelSource, load_model_source
from ..config import (EXPORT_QUANTIZATIONS, VOCODER_INT8_DEFAULT, AudioConfig, ConfigMismatchError, ExportConfig,
                      save_json, to_dict, vocoder_kind, write_atomic)
from . import accuracy, calibration, sizing
from .tflite import SLOW_OPS, ExportError, SignatureModel, check_model, convert_saved_model, smoke_run

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
# The AudioConfig fields that define the mel features both models must share (the student's standardisation
# statistics and the teacher's scaling are the student's own business).
MEL_FEATURE_FIELDS = ("sample_rate", "n_fft", "hop_length", "win_length", "n_mels", "fmin", "fmax", "log_floor")


# Source and the loader live in speedyspeech_tf.checkpoint (one loader of "checkpoint directory or .pth").
Source = ModelSource


def load_student(src: str | os.PathLike | Source) -> Source:
    """A student from our checkpoint directory or an authors' .pth (imported on the fly)."""
    return load_model_source(src, "student")


def load_vocoder(src: str | os.PathLike | Source) -> Source:
    """A vocoder generator: our MelGAN / HiFi-GAN checkpoint directory, an authors' MelGAN .pth, a HiFi-GAN
    .pth.tar, or a shipped HiFi-GAN by name (hifigan-universal, hifigan-lj)."""
    return load_model_source(src, "vocoder")


def check_compatible(student: Source, vocoder: Source) -> None:
    """Refuse a student and a vocoder made with different mel features (ConfigMismatchError naming them)."""
    diffs = [f"{name}: student {getattr(student.audio, name)!r} != vocoder {getattr(vocoder.audio, name)!r}"
             for name in MEL_FEATURE_FIELDS if getattr(student.audio, name) != getattr(vocoder.audio, name)]
    if diffs:
        raise ConfigMismatchError(f"student {student.description} and vocoder {vocoder.description} were made "
                                  f"with different audio settings: {'; '.join(diffs)}")
    if student.config.n_mels != student.audio.n_mels:
        raise ConfigMismatchError(f"student {student.description}: model n_mels {student.config.n_mels} != "
                                  f"audio n_mels {student.audio.n_mels}")
    if vocoder.config.n_mels != vocoder.audio.n_mels:
        raise ConfigMismatchError(f"vocoder {vocoder.description}: model n_mels {vocoder.config.n_mels} != "
                                  f"audio n_mels {vocoder.audio.n_mels}")
    if vocoder.config.hop_length != vocoder.audio.hop_length:
        raise ConfigMismatchError(f"vocoder {vocoder.description}: model hop_length {vocoder.config.hop_length} "
                                  f"!= audio hop_length {vocoder.audio.hop_length}")
    if student.config.num_symbols != len(student.text.symbols):
        raise ConfigMismatchError(f"student {student.description}: {student.config.num_symbols} symbols in the "
                                  f"model but {len(student.text.symbols)} in its text settings")


# --------------------------------------------------------------------------------------------- one model

def student_signature(num_phonemes: int, num_frames: int, n_mels: int):
    return ({"phoneme_ids": ((1, num_phonemes), "int32"), "length": ((1,), "int32"), "speed": ((1,), "float32")},
            {"mel": ((1, num_frames, n_mels), "float32"), "frames": ((1,), "int32"), "overflow": ((1,), "int32"),
             "durations": ((1, num_phonemes), "int32")})


def vocoder_signature(num_frames: int, n_mels: int, hop_length: int):
    return ({"mel": ((1, num_frames, n_mels), "float32")}, {"audio": ((1, num_frames * hop_length), "float32")})


STUDENT_INT8 = ("decoder", "all", "dynamic")
CALIBRATED = ("int8", "int16x8")  # quantizations whose activations are calibrated on representative inputs


def export_student_tflite(model, audio: AudioConfig, num_phonemes: int, num_frames: int,
                          quantization: str = "float32", representative: Sequence[dict] | None = None,
                          workdir: str | os.PathLike | None = None, int8: str = "decoder") -> bytes:
    """Student -> checked .tflite bytes (signature phoneme_ids, length, speed -> mel, frames, overflow).

    int8 (quantization "int8" only): "decoder" quantizes the decoder only (see ExportConfig.student_int8),
    "all" every operator that has an int8 kernel, "dynamic" gives the student dynamic-range quantization."""
    from .graphs import write_student_saved_model

    if int8 not in STUDENT_INT8:
        raise ValueError(f"int8 must be one of {STUDENT_INT8}, got {int8!r}")
    if quantization == "int8" and int8 == "dynamic":
        quantization, representative = "dynamic", None
    with tempfile.TemporaryDirectory(prefix="student-savedmodel-", dir=workdir) as tmp:
        write_student_saved_model(model, os.path.join(tmp, "sm"), num_phonemes, num_frames, audio)
        data = convert_saved_model(os.path.join(tmp, "sm"), quantization,
                                   (lambda: iter(representative)) if representative is not None else None,
                                   int8_scopes=("decoder",) if quantization == "int8" and int8 == "decoder" else None)
    inputs, outputs = student_signature(num_phonemes, num_frames, model.config.n_mels)
    check_model(data, inputs, outputs, what=f"student ({quantization})")
    return data


def export_vocoder_tflite(generator, num_frames: int, quantization: str = "float32",
                          representative: Sequence[np.ndarray] | None = None,
                          workdir: str | os.PathLike | None = None) -> bytes:
    """MelGAN or HiFi-GAN generator -> checked .tflite bytes (mel [1, num_frames, n_mels] -> audio
    [1, num_frames * hop])."""
    from .graphs import write_vocoder_saved_model

    cfg = generator.config
    rep = None
    if representative is not None:
        rep = lambda: ({"mel": np.asarray(w, np.float32).reshape(1, num_frames, cfg.n_mels)}  # noqa: E731
                       for w in representative)
    with tempfile.TemporaryDirectory(prefix="vocoder-savedmodel-", dir=workdir) as tmp:
        write_vocoder_saved_model(generator, os.path.join(tmp, "sm"), num_frames)
        data = convert_saved_model(os.path.join(tmp, "sm"), quantization, rep)
    inputs, outputs = vocoder_signature(num_frames, cfg.n_mels, cfg.hop_length)
    info = check_model(data, inputs, outputs, what=f"vocoder ({quantization})")
    unexpected = sorted(set(info.ops) & (SLOW_OPS - {"STRIDED_SLICE"}))
    if unexpected:  # the export graph is built so that none of these appears (STRIDED_SLICE: one per upsampling)
        raise ExportError(f"vocoder ({quantization}): slow ops {unexpected} in the converted graph")
    return data


# ------------------------------------------------------------------------------------------------- both

@dataclasses.dataclass
class ExportResult:
    out_dir: str
    config: ExportConfig
    report: dict


def _student_keras_runner(src: Source, num_frames: int) -> Callable[[dict], dict]:
    from .graphs import keras_student_outputs

    return lambda x: keras_student_outputs(src.model, x["phoneme_ids"], x["length"], x["speed"], num_frames,
                                           src.audio)


def _keras_generator(generator) -> Callable[[np.ndarray], np.ndarray]:
    import tensorflow as tf

    return lambda mel: generator(tf.constant(np.asarray(mel, np.float32)), training=False).numpy()


def _plain(d: dict) -> dict:
    """As JSON stores it (tuples -> lists), so that the config equals itself after a save/load round trip."""
    return json.loads(json.dumps(d))


def _first_backend(backends: Sequence[str]) -> str:
    for name in ("ai-edge-litert", "tflite-runtime", "tensorflow"):
        if name in backends:
            return name
    raise ExportError("no TFLite interpreter is available to verify the export")


def export_models(student: str | os.PathLike | Source, vocoder: str | os.PathLike | Source,
                  out_dir: str | os.PathLike, quantization: str = "float32", *,
                  max_phonemes: int | None = None, max_frames: int | None = None, window: int | None = None,
                  context: int | None = None, calibration_cache: str | os.PathLike | None = None,
                  calibration_samples: int = 32, evaluation_samples: int = 8, evaluate: bool = True,
                  student_int8: str = "decoder", vocoder_int8: str | None = None,
                  student_sizes: Sequence[int] = (), backends: Sequence[str] | None = None, progress: bool = True,
                  log: Callable[[str], None] | None = print) -> ExportResult:
    """Export a student and a vocoder into out_dir: student.tflite, vocoder.tflite, config.json (ExportConfig),
    report.json and report.md (op histograms, interpreters, sizes and, unless evaluate=False, accuracy vs the
    Keras models). Defaults for N, F, W come from ExportConfig; C defaults to the generator's receptive field.
    student_int8 (int8 only): "decoder", "all" or "dynamic", see ExportConfig.student_int8.
    vocoder_int8 (int8 only): "full" or "dynamic"; None: config.VOCODER_INT8_DEFAULT for the vocoder's kind.
    student_sizes: F of extra, smaller students (the same weights and quantization; N from
    sizing.phonemes_for_frames), written as student-F.tflite and listed in config.json's student_buckets.
    """
    from tqdm.auto import tqdm

    from .graphs import receptive_context
    from .tflite import interpreter_backends

    if quantization not in EXPORT_QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {EXPORT_QUANTIZATIONS}, got {quantization!r}"
                         + (" (int16x8 is measured for the vocoder only, by benchmarks/vocoder_quality.py: TFLite "
                            "runs it with reference kernels, about 20x slower than float32)"
                            if quantization == "int16x8" else ""))
    say = log or (lambda s: None)
    steps = tqdm(total=8 + len(set(student_sizes)), desc=f"export ({quantization})", unit="step", disable=not progress)

    def step(what):
        steps.set_postfix_str(what)
        steps.update(1)

    t_start = time.time()
    student = load_student(student)
    vocoder = load_vocoder(vocoder)
    check_compatible(student, vocoder)
    step("models loaded")

    defaults = ExportConfig()
    min_context = receptive_context(vocoder.config)
    if context is not None and context < min_context:
        raise ValueError(f"context {context} is smaller than the generator's receptive field ({min_context} "
                         "frames): windowed synthesis would not equal whole-utterance synthesis")
    cfg = ExportConfig(
        quantization=quantization,
        max_phonemes=int(max_phonemes or defaults.max_phonemes),
        max_frames=int(max_frames or defaults.max_frames),
        vocoder_window=int(window or defaults.vocoder_window),
        vocoder_context=int(context if context is not None else min_context),
        hop_length=int(vocoder.config.hop_length), vocoder=vocoder_kind(vocoder.config),
        audio=student.audio, text=student.text,
        student_config=_plain(to_dict(student.config)), vocoder_config=_plain(to_dict(vocoder.config)),
        student_source=student.description, vocoder_source=vocoder.description,
        student_int8=student_int8 if quantization == "int8" else "",
        vocoder_int8=(vocoder_int8 or VOCODER_INT8_DEFAULT[vocoder_kind(vocoder.config)])
        if quantization == "int8" else "",
    )
    cfg.student_buckets = sizing.student_buckets(student_sizes, cfg.N, cfg.F, cfg.pad_symbols)
    cfg.validate()
    if max_phonemes or max_frames:
        cfg.size_reasoning = (f"N = {cfg.N} and F = {cfg.F} set on the command line. Defaults: "
                              + defaults.size_reasoning)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    N, F, L = cfg.N, cfg.F, cfg.vocoder_frames
    max_text = cfg.max_text_symbols

    # Data for calibration (int8) and evaluation.
    notes = []
    if calibration_cache is not None:
        cal_sentences = calibration.cache_sentences(calibration_cache, "train", max_text, calibration_samples)
        eval_sentences = calibration.cache_sentences(calibration_cache, "valid", max_text, evaluation_samples)
        data_note = (f"preprocessed cache {os.fspath(calibration_cache)}: phoneme ids and real log-mels "
                     "(train split for calibration, valid split for evaluation)")
    else:
        cal_sentences = calibration.builtin_sentences(calibration.CALIBRATION_SENTENCES, max_text,
                                                      calibration_samples)
        eval_sentences = calibration.builtin_sentences(calibration.EVALUATION_SENTENCES, max_text,
                                                       evaluation_samples)
        data_note = ("no calibration cache: the text front end on built-in sentences (student) and the Keras "
                     "student's mels for them (vocoder)")
    keras_student = _student_keras_runner(student, F)
    cal_inputs = calibration.student_inputs(cal_sentences, N, calibration.SPEED_CYCLE)
    eval_inputs = calibration.student_inputs(eval_sentences, N, calibration.SPEED_CYCLE)

    def vocoder_mels(split, sentences, limit):
        if calibration_cache is not None:
            return calibration.cache_mels(calibration_cache, split, limit)
        return calibration.student_mels(keras_student, calibration.student_inputs(sentences, N))

    cal_windows = None
    vocoder_quantization = "dynamic" if quantization == "int8" and cfg.vocoder_int8 == "dynamic" else quantization
    if quantization == "int8":
        notes.append(f"int8 vocoder: {cfg.vocoder_int8}" + (" (dynamic-range: int8 weights, float activations)"
                                                             if cfg.vocoder_int8 == "dynamic" else ""))
    if vocoder_quantization in CALIBRATED:
        cal_windows = calibration.mel_windows(vocoder_mels("train", cal_sentences, calibration_samples), L,
                                              calibration_samples, cfg.silence_log_mel)
    if quantization in CALIBRATED:
        cfg.calibration = (f"{data_note}; {len(cal_inputs)} student inputs, "
                           f"{len(cal_windows) if cal_windows is not None else 0} vocoder windows")
        notes.append(f"{quantization} calibration: {cfg.calibration}")
    if quantization == "int8":
        notes.append("int8 student: " + {
            "decoder": "the decoder only (encoder, duration predictor and length regulator float32)",
            "all": "every operator with an int8 kernel",
            "dynamic": "dynamic-range quantization (int8 weights, float activations)",
        }[student_int8])
    step("data ready")

    timings = {}
    t = time.time()
    student_bytes = export_student_tflite(student.model, student.audio, N, F, quantization,
                                          cal_inputs if quantization in CALIBRATED else None, out_dir, student_int8)
    timings["student_conversion_s"] = round(time.time() - t, 1)
    step("student converted")
    bucket_bytes = {}  # the extra student sizes: same weights, same quantization, calibrated on the same text
    for b in cfg.student_buckets:
        t = time.time()
        n, f = b["max_phonemes"], b["max_frames"]
        bucket_cal = (_fit_inputs(cal_sentences, n, cfg.pad_symbols, calibration_samples)
                      if quantization in CALIBRATED else None)
        bucket_bytes[b["student_file"]] = export_student_tflite(student.model, student.audio, n, f, quantization,
                                                                bucket_cal, out_dir, student_int8)
        timings[f"student_{f}_conversion_s"] = round(time.time() - t, 1)
        step(f"student F = {f} converted")
    t = time.time()
    vocoder_bytes = export_vocoder_tflite(vocoder.model, L, vocoder_quantization, cal_windows, out_dir)
    timings["vocoder_conversion_s"] = round(time.time() - t, 1)
    step("vocoder converted")

    available = interpreter_backends()
    names = list(backends) if backends is not None else list(available)
    missing = [b for b in names if b not in available]
    if missing:
        raise ValueError(f"TFLite interpreter(s) {missing} not available here (have {sorted(available)})")
    smoke_run(student_bytes, eval_inputs[0], names)
    for b in cfg.student_buckets:
        smoke_run(bucket_bytes[b["student_file"]],
                  _fit_inputs(eval_sentences, b["max_phonemes"], cfg.pad_symbols, 1)[0], names)
    smoke_run(vocoder_bytes, None, names)
    step(f"ran in {', '.join(names)}")

    student_path = os.path.join(out_dir, cfg.student_file)
    vocoder_path = os.path.join(out_dir, cfg.vocoder_file)
    write_atomic(student_path, student_bytes)
    for name, data in bucket_bytes.items():
        write_atomic(os.path.join(out_dir, name), data)
    write_atomic(vocoder_path, vocoder_bytes)
    cfg.save(os.path.join(out_dir, "config.json"))
    step("files written")

    from .tflite import inspect_model

    s_info, v_info = inspect_model(student_bytes), inspect_model(vocoder_bytes)
    report: dict = {
        "quantization": quantization,
        "student": {"file": cfg.student_file, "size_bytes": s_info.size_bytes, "ops": s_info.histogram(),
                    "source": student.description, "N": N, "F": F},
        "vocoder": {"file": cfg.vocoder_file, "size_bytes": v_info.size_bytes, "ops": v_info.histogram(),
                    "slow_ops": {k: v for k, v in v_info.ops.items() if k in SLOW_OPS},
                    "source": vocoder.description, "W": cfg.W, "C": cfg.C, "window_frames": L},
        "student_buckets": [{"file": b["student_file"], "N": b["max_phonemes"], "F": b["max_frames"],
                             "size_bytes": len(bucket_bytes[b["student_file"]])} for b in cfg.student_buckets],
        "interpreters": names,
        "data": data_note,
        "notes": notes,
        "timings": timings,
    }
    if evaluate:
        backend = _first_backend(names)
        s_model = SignatureModel(student_bytes, backend)
        v_model = SignatureModel(vocoder_bytes, backend)
        keras_gen = _keras_generator(vocoder.model)
        acc_student = accuracy.compare_student(lambda x: s_model(**x), keras_student, eval_inputs)
        eval_mels = vocoder_mels("valid", eval_sentences, evaluation_samples)
        windows = calibration.mel_windows(eval_mels, L, evaluation_samples, cfg.silence_log_mel)
        run_window = lambda w: v_model(mel=w)["audio"]  # noqa: E731
        acc_vocoder = accuracy.compare_vocoder(run_window, keras_gen, windows, cfg.audio.n_fft, cfg.hop_length)
        acc_windowed = accuracy.compare_windowed(run_window, keras_gen, eval_mels[:2], cfg.W, cfg.C, cfg.hop_length)
        report["accuracy"] = {"interpreter": backend, "student": acc_student, "vocoder": acc_vocoder,
                              "windowed_vs_whole": acc_windowed}
        for entry, b in zip(report["student_buckets"], cfg.student_buckets):
            entry["vs_main"] = _compare_bucket(SignatureModel(bucket_bytes[b["student_file"]], backend), s_model,
                                               _fit_inputs(eval_sentences, b["max_phonemes"], cfg.pad_symbols,
                                                           evaluation_samples), N)
    step("measured")
    steps.close()
    report["timings"]["total_s"] = round(time.time() - t_start, 1)
    save_json(report, os.path.join(out_dir, REPORT_JSON))
    with open(os.path.join(out_dir, REPORT_MD), "w", encoding="utf-8") as f:
        f.write(format_report(report))
    say(format_report(report))
    return ExportResult(out_dir, cfg, report)


def _fit_inputs(sentences: Sequence[calibration.Sentence], num_phonemes: int, pad_symbols: int,
                limit: int) -> list[dict]:
    """Student inputs for N = num_phonemes slots from `sentences`, each cut (text.chunk_ids) to N - pad_symbols
    ids as the runtime would chunk them; speeds cycled as for the main student."""
    from ..text import chunk_ids

    parts = [calibration.Sentence(list(c), s.source) for s in sentences
             for c in chunk_ids(list(s.ids), num_phonemes - pad_symbols)]
    return calibration.student_inputs(parts[:limit], num_phonemes, calibration.SPEED_CYCLE)


def _compare_bucket(bucket: SignatureModel, main: SignatureModel, inputs: Sequence[dict], num_phonemes: int) -> dict:
    """A smaller student against the main one on the same chunks (re-padded to the main student's N): frame
    counts and the max abs log-mel and duration difference over the chunks that do not overflow the smaller one
    (the runtime runs those on the next larger student)."""
    mel_err, dur_err, mismatches, used = 0.0, 0, 0, 0
    for x in inputs:
        a = bucket(**x)
        if int(a["overflow"][0]):
            continue
        wide = dict(x, phoneme_ids=np.zeros((1, num_phonemes), np.int32))
        wide["phoneme_ids"][0, :x["phoneme_ids"].shape[1]] = x["phoneme_ids"][0]
        b = main(**wide)
        used += 1
        fa, fb, n = int(a["frames"][0]), int(b["frames"][0]), int(x["length"][0])
        if fa != fb:
            mismatches += 1
            continue
        mel_err = max(mel_err, float(np.max(np.abs(a["mel"][0, :fa] - b["mel"][0, :fb]), initial=0.0)))
        dur_err = max(dur_err, int(np.max(np.abs(a["durations"][0, :n] - b["durations"][0, :n]), initial=0)))
    return {"chunks": used, "frame_mismatches": mismatches, "mel_max_abs_difference": mel_err,
            "durations_max_abs_difference": dur_err}


def format_report(report: dict) -> str:
    """A short Markdown rendering of report.json."""
    s, v = report["student"], report["vocoder"]
    lines = [f"# Export report ({report['quantization']})", "",
             f"- student.tflite: {s['size_bytes'] / 1e6:.2f} MB, N = {s['N']}, F = {s['F']}, from {s['source']}",
             *[f"- {b['file']}: {b['size_bytes'] / 1e6:.2f} MB, N = {b['N']}, F = {b['F']} (the same student"
               + (f"; against the main one on {b['vs_main']['chunks']} chunks: "
                  f"{b['vs_main']['frame_mismatches']} with another frame count, max abs log-mel difference "
                  f"{b['vs_main']['mel_max_abs_difference']:.3g}" if "vs_main" in b else "") + ")"
               for b in report.get("student_buckets", [])],
             f"- vocoder.tflite: {v['size_bytes'] / 1e6:.2f} MB, window {v['W']} + 2 x {v['C']} context frames, "
             f"from {v['source']}",
             f"- runs in: {', '.join(report['interpreters'])}",
             f"- data: {report['data']}"]
    lines += [f"- {n}" for n in report.get("notes", [])]
    lines += ["", "Student ops: " + ", ".join(f"{k} {n}" for k, n in s["ops"].items()),
              "", "Vocoder ops: " + ", ".join(f"{k} {n}" for k, n in v["ops"].items())]
    acc = report.get("accuracy")
    if acc:
        a, b, w = acc["student"], acc["vocoder"], acc["windowed_vs_whole"]
        lines += ["", f"Accuracy vs the Keras models ({acc['interpreter']}):", "",
                  "| what | max abs error | mean abs error | other |", "|---|---|---|---|",
                  f"| student frames | {a['frames_max_abs_difference']} | {a['frames_mean_abs_difference']:.3g} | "
                  f"{a['sentences']} sentences, {a['frame_mismatches']} with another frame count |",
                  f"| student mel (log), same frame count | {_num(a['mel_max_abs_error'])} | "
                  f"{_num(a['mel_mean_abs_error'])} | {a['sentences'] - a['frame_mismatches']} sentences |",
                  f"| student mel (log), DTW-aligned | {_num(a['mel_dtw_max_abs_error'])} | "
                  f"{_num(a['mel_dtw_mean_abs_error'])} | all sentences |",
                  f"| vocoder audio | {b['audio_max_abs_error']:.3g} | {b['audio_mean_abs_error']:.3g} | "
                  f"SNR {b['snr_db']:.1f} dB, LSD {b['log_spectral_distance_db']:.3g} dB, {b['windows']} windows |",
                  f"| windowed vs whole | {w['audio_max_abs_error']:.3g} | {w['audio_mean_abs_error']:.3g} | "
                  f"{w['utterances']} utterances, {w['windows']} windows |"]
    return "\n".join(lines) + "\n"


def _num(x) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def copy_android_assets(out_dir: str | os.PathLike, assets_dir: str | os.PathLike) -> list[str]:
    """Fill an Android app's assets folder (created if needed): the exported student.tflite (and the extra
    student sizes' files), vocoder.tflite and config.json, then the text front-end assets
    (speedyspeech_tf.android_assets.write_assets). Returns the written paths."""
    out_dir, assets_dir = os.fspath(out_dir), os.fspath(assets_dir)
    cfg = ExportConfig.load(out_dir)
    if os.path.exists(assets_dir) and not os.path.isdir(assets_dir):
        raise NotADirectoryError(f"{assets_dir}: not a directory (expected an Android assets folder)")
    names = tuple(b["student_file"] for b in cfg.students) + (cfg.vocoder_file, "config.json")
    for name in names:  # all there before anything is copied
        if not os.path.isfile(os.path.join(out_dir, name)):
            raise FileNotFoundError(f"{os.path.join(out_dir, name)}: missing from the export directory")
    os.makedirs(assets_dir, exist_ok=True)
    copied = []
    for name in names:
        src = os.path.join(out_dir, name)
        dst = os.path.join(assets_dir, name)
        tmp = dst + ".tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
        copied.append(dst)
    from ..android_assets import write_assets

    return copied + list(write_assets(assets_dir))


__all__ = ["STUDENT_INT8", "Source", "load_student", "load_vocoder", "check_compatible", "export_student_tflite",
           "export_vocoder_tflite", "export_models", "ExportResult", "format_report", "copy_android_assets",
           "student_signature", "vocoder_signature", "MEL_FEATURE_FIELDS", "REPORT_JSON", "REPORT_MD"]
