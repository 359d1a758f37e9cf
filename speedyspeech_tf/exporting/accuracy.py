"""Accuracy of exported files against the Keras models, and the windowed-vocoding check on a TFLite file.

Numbers (all on the same inputs for both sides):
- student: per sentence the TFLite `frames`/`overflow` vs the Keras model's `infer` (differences counted), max /
  mean absolute error of the natural-log mel over the sentences whose frame counts agree (where a count differs,
  some phoneme got another rounded duration and everything after it is shifted: a direct difference would
  measure the shift, not the quantization), and the mean / max error along a DTW alignment for every sentence;
- vocoder: max / mean absolute error of the audio of each window vs the Keras generator, the SNR, and the
  log-spectral distance (dB) between the two;
- windowed synthesis: the utterance vocoded window by window with the TFLite file, stitched as the runtime does
  (models.windows.plan_windows), vs the Keras generator on the whole utterance at once.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..config import SILENCE_LOG_MEL


def log_spectral_distance(test: np.ndarray, reference: np.ndarray, n_fft: int = 1024, hop_length: int = 256,
                          floor_db: float = 80.0) -> float:
    """Mean over STFT frames of the RMS (over frequency bins) difference of the power spectra in dB:
    mean_t sqrt(mean_f (10 log10 max(|X|^2, e) - 10 log10 max(|Y|^2, e))^2), with the floor e = the
    reference's peak power - floor_db (bins far below the loudest are not measured). 0 for identical signals."""
    import librosa

    test = np.asarray(test, np.float32).reshape(-1)
    reference = np.asarray(reference, np.float32).reshape(-1)
    if test.shape != reference.shape:
        raise ValueError(f"signals differ in length: {test.shape} vs {reference.shape}")
    px, py = [np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop_length, center=True)) ** 2
              for x in (test, reference)]
    floor = max(float(py.max()), 1e-20) * 10.0 ** (-floor_db / 10.0)
    diff = 10.0 * np.log10(np.maximum(px, floor)) - 10.0 * np.log10(np.maximum(py, floor))
    return float(np.mean(np.sqrt(np.mean(diff ** 2, axis=0))))


def snr_db(test: np.ndarray, reference: np.ndarray) -> float:
    """10 log10(sum reference^2 / sum (test - reference)^2); inf when equal."""
    test = np.asarray(test, np.float64).reshape(-1)
    reference = np.asarray(reference, np.float64).reshape(-1)
    noise = float(np.sum((test - reference) ** 2))
    return float("inf") if noise == 0 else float(10.0 * np.log10(np.sum(reference ** 2) / noise))


def dtw_mel_error(test: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(mean, max) absolute error between two mels [T, n_mels] of possibly different lengths, along their
    dynamic-time-warping path (L1 frame distance; librosa's DTW), as the reference's own validation (l1_dtw)
    compares spectrograms whose predicted durations differ."""
    import librosa
    from scipy.spatial.distance import cdist

    a = np.asarray(test, np.float64)
    b = np.asarray(reference, np.float64)
    if len(a) == 0 or len(b) == 0:
        return (0.0, 0.0) if len(a) == len(b) else (float("inf"), float("inf"))
    cost = cdist(a, b, "cityblock") / a.shape[1]
    _, path = librosa.sequence.dtw(C=cost)
    err = np.abs(a[path[:, 0]] - b[path[:, 1]])
    return float(err.mean()), float(err.max())


def compare_student(run_tflite: Callable[[dict], dict], run_keras: Callable[[dict], dict],
                    inputs: Sequence[dict]) -> dict:
    """Run both on every input dict; returns the error summary (see the module docstring).

    Frames past the valid count must hold the same (silence) value in both; that is included in the direct
    mel error. The DTW error compares the valid frames of every sentence, aligned."""
    max_err, sum_err, count = None, 0.0, 0
    dtw_sum, dtw_max = 0.0, 0.0
    mismatches, overflow_mismatches = 0, 0
    frame_diffs, relative = [], []
    for x in inputs:
        a = run_tflite(x)
        b = run_keras(x)
        fa = int(np.asarray(a["frames"]).reshape(-1)[0])
        fb = int(np.asarray(b["frames"]).reshape(-1)[0])
        if int(np.asarray(a["overflow"]).reshape(-1)[0]) != int(np.asarray(b["overflow"]).reshape(-1)[0]):
            overflow_mismatches += 1
        ma, mb = np.asarray(a["mel"])[0], np.asarray(b["mel"])[0]
        frame_diffs.append(fa - fb)
        relative.append(abs(fa - fb) / max(fb, 1))
        mean_dtw, max_dtw = dtw_mel_error(ma[:fa], mb[:fb])
        dtw_sum += mean_dtw
        dtw_max = max(dtw_max, max_dtw)
        if fa != fb:
            mismatches += 1
            continue
        err = np.abs(ma - mb)
        max_err = max(max_err or 0.0, float(err.max()))
        sum_err += float(err[:fb].sum())
        count += err[:fb].size
    n = max(len(inputs), 1)
    return {"sentences": len(inputs), "frame_mismatches": mismatches, "frame_differences": frame_diffs,
            "frames_max_abs_difference": int(max((abs(d) for d in frame_diffs), default=0)),
            "frames_mean_abs_difference": float(np.mean(np.abs(frame_diffs))) if frame_diffs else 0.0,
            "frames_mean_relative_difference": float(np.mean(relative)) if relative else 0.0,
            "overflow_mismatches": overflow_mismatches,
            "mel_max_abs_error": max_err, "mel_mean_abs_error": (sum_err / count) if count else None,
            "mel_dtw_mean_abs_error": dtw_sum / n, "mel_dtw_max_abs_error": dtw_max}


def compare_vocoder(run_tflite: Callable[[np.ndarray], np.ndarray], run_keras: Callable[[np.ndarray], np.ndarray],
                    windows: Sequence[np.ndarray], n_fft: int = 1024, hop_length: int = 256) -> dict:
    """Audio error of the TFLite vocoder vs the Keras generator on each mel window [1, L, n_mels]."""
    max_err, sum_err, count, lsd = 0.0, 0.0, 0, []
    signal, noise = 0.0, 0.0
    for w in windows:
        a = np.asarray(run_tflite(w), np.float64).reshape(-1)
        b = np.asarray(run_keras(w), np.float64).reshape(-1)
        err = np.abs(a - b)
        max_err = max(max_err, float(err.max()))
        sum_err += float(err.sum())
        count += err.size
        signal += float(np.sum(b ** 2))
        noise += float(np.sum(err ** 2))
        lsd.append(log_spectral_distance(a, b, n_fft=n_fft, hop_length=hop_length))
    return {"windows": len(windows), "audio_max_abs_error": max_err,
            "audio_mean_abs_error": sum_err / max(count, 1),
            "snr_db": float("inf") if noise == 0 else float(10.0 * np.log10(signal / noise)),
            "log_spectral_distance_db": float(np.mean(lsd)), "log_spectral_distance_db_max": float(np.max(lsd))}


def stitch_windows(run_window: Callable[[np.ndarray], np.ndarray], mel: np.ndarray, window: int, context: int,
                   hop_length: int, silence: float = SILENCE_LOG_MEL) -> np.ndarray:
    """Vocode mel [T, n_mels] with a fixed-length vocoder (run_window: [1, window + 2*context, n_mels] -> the
    audio of the whole call) the way the runtime does (models.windows.stitched); a mel shorter than one call is
    padded with silence frames at the end."""
    from ..models.windows import stitched

    mel = np.asarray(mel, np.float32)
    run = lambda chunk, valid: np.asarray(run_window(chunk[None])).reshape(-1)  # noqa: E731
    return stitched(run, mel, window, context, hop_length, frames=window + 2 * context, pad_value=silence)


def compare_windowed(run_window: Callable[[np.ndarray], np.ndarray], run_whole: Callable[[np.ndarray], np.ndarray],
                     mels: Sequence[np.ndarray], window: int, context: int, hop_length: int) -> dict:
    """Stitched windowed synthesis (TFLite) vs whole-utterance synthesis (Keras), per utterance; mels longer
    than one window only."""
    max_err, sum_err, count, utterances, windows = 0.0, 0.0, 0, 0, 0
    from ..models.windows import plan_windows

    for mel in mels:
        if mel.shape[0] <= window + 2 * context:
            continue
        stitched = stitch_windows(run_window, mel, window, context, hop_length)
        whole = np.asarray(run_whole(np.asarray(mel, np.float32)[None])).reshape(-1)
        err = np.abs(stitched - whole)
        max_err = max(max_err, float(err.max()))
        sum_err += float(err.sum())
        count += err.size
        utterances += 1
        windows += len(plan_windows(mel.shape[0], window, context))
    return {"utterances": utterances, "windows": windows, "audio_max_abs_error": max_err,
            "audio_mean_abs_error": sum_err / max(count, 1)}


__all__ = ["snr_db", "dtw_mel_error", "log_spectral_distance", "compare_student", "compare_vocoder", "stitch_windows",
           "compare_windowed"]
