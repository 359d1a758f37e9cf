"""Audio I/O and the log-mel features, exactly as the reference computes them.

Feature recipe (janvainer/speedyspeech `code/stft.py` + `code/utils/torch_stft.py` + `code/hparam.py`):
STFT with n_fft 1024, hop 256 and a 1024-sample periodic Hann window, the signal reflect-padded by n_fft // 2
on both sides (the reference reflect-pads the end itself, then its STFT reflect-pads both sides and the extra
frames are dropped: the same as librosa's `center=True, pad_mode="reflect"`), magnitude, 80 Slaney mel bands
0..8000 Hz, natural log of max(mel, 1e-5). A signal of L samples gives L // 256 + 1 frames; frame t is centred on
sample 256 t.

Scales: the student is trained on the log-mel standardised with LJ Speech statistics (`standardize`), the
teacher on the log-mel min-max scaled to [0, 1] and clamped to it (`to_teacher_scale`; the reference's teacher
collate clamps with `spectrs.clamp_(0, 1)`), MelGAN on the plain log-mel. The transforms are plain arithmetic
and work on numpy arrays and TensorFlow tensors alike.

No TensorFlow import at module level: decoding through tensorflow-io imports it lazily, and everything else
runs on numpy/librosa/soundfile.
"""
from __future__ import annotations

import functools
import os
import re
import warnings
from typing import Any

import numpy as np

from .config import AudioConfig

# A file whose peak amplitude is below this is treated as silent (about -80 dBFS).
SILENCE_PEAK = 1e-4
BACKENDS = ("auto", "tfio", "soundfile")


class AudioError(ValueError):
    """An audio file is missing, empty, silent or cannot be decoded. The message names the file."""


class _DecodeError(AudioError):
    """One backend failed on a file; `reason` is the backend's message without the path."""

    def __init__(self, path: str, what: str, reason: str):
        super().__init__(f"{path}: {what} ({reason})")
        self.reason = reason


class AudioFileNotFoundError(AudioError, FileNotFoundError):
    """The audio file does not exist (both an AudioError and a FileNotFoundError)."""


# --------------------------------------------------------------------------------------------- loading

def load_wav(path: str | os.PathLike, sample_rate: int = 22050, backend: str = "auto") -> tuple[np.ndarray, int]:
    """Read an audio file as float32 mono samples in [-1, 1] at `sample_rate`.

    backend: "tfio" decodes with tensorflow-io (`tfio.audio.AudioIOTensor`: WAV 8/16/24/32-bit and float,
    FLAC, Ogg, MP3); "soundfile" with libsndfile (librosa as a last resort); "auto" tries tensorflow-io and
    falls back to soundfile when tensorflow-io is not installed or its op fails on the file.
    Other sample rates are resampled (librosa.resample, soxr), several channels are averaged to mono.

    Returns (samples, sample_rate). Raises AudioError (a ValueError) naming the file when it is missing,
    undecodable, empty or silent (peak below 1e-4).
    """
    if backend not in BACKENDS:
        raise ValueError(f"load_wav: unknown backend {backend!r} (expected one of {', '.join(BACKENDS)})")
    if not sample_rate or int(sample_rate) <= 0:
        raise ValueError(f"load_wav: sample_rate must be positive, got {sample_rate!r}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise AudioFileNotFoundError(f"{path}: audio file not found")

    if backend == "tfio":
        data, rate = _decode_tfio(path)
    elif backend == "soundfile":
        data, rate = _decode_soundfile(path)
    else:
        try:
            data, rate = _decode_tfio(path)
        except AudioError as tfio_error:
            try:
                data, rate = _decode_soundfile(path)
            except AudioError as sf_error:
                raise AudioError(f"{path}: cannot decode audio (soundfile: {sf_error.reason}; "
                                 f"tensorflow-io: {tfio_error.reason})") from None
    return _finish(path, data, rate, int(sample_rate)), int(sample_rate)


def _short(e: BaseException, limit: int = 160) -> str:
    text = " ".join(str(e).split())
    # TensorFlow op errors: drop the "{{function_node ...}}" prefix and the "[Op:...]" suffix.
    text = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", text)
    text = re.sub(r"\s*\[Op:[^\]]*\]$", "", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@functools.lru_cache(maxsize=1)
def _tfio():
    """The tensorflow_io module, or why it cannot be used (imported once: it imports TensorFlow)."""
    try:
        import tensorflow_io as tfio

        tfio.audio.AudioIOTensor  # noqa: B018  (fails when the native ops do not load)
        return tfio
    except Exception as e:  # not installed, or its native ops fail to load on this TensorFlow
        return _short(e)


def _decode_tfio(path: str) -> tuple[np.ndarray, int]:
    """Decode with tensorflow-io; returns ([samples, channels] float32, rate). Raises AudioError on failure."""
    tfio = _tfio()
    if isinstance(tfio, str):
        raise _DecodeError(path, "tensorflow-io is not usable here", tfio)
    try:
        audio = tfio.audio.AudioIOTensor(path)
        rate = int(audio.rate.numpy())
        data = audio.to_tensor().numpy()
    except Exception as e:  # tf.errors.* for unknown/corrupt files
        raise _DecodeError(path, "cannot decode audio with tensorflow-io", _short(e)) from None
    return _to_float(path, data), rate


def _decode_soundfile(path: str) -> tuple[np.ndarray, int]:
    """Decode with soundfile (librosa/audioread for formats libsndfile lacks). Raises AudioError on failure."""
    import soundfile as sf

    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        return data, int(rate)
    except Exception as sf_error:
        try:
            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # librosa's audioread deprecation warning
                data, rate = librosa.load(path, sr=None, mono=False)
            data = np.asarray(data, dtype=np.float32)
            data = data[:, None] if data.ndim == 1 else data.T  # librosa: [channels, samples]
            return data, int(rate)
        except Exception:
            raise _DecodeError(path, "cannot decode audio", _short(sf_error)) from None


def _to_float(path: str, data: np.ndarray) -> np.ndarray:
    """Integer PCM to float32 in [-1, 1] (the scaling soundfile uses: divide by 2^(bits-1))."""
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[:, None]
    if data.dtype == np.int16:
        return data.astype(np.float32) / 32768.0
    if data.dtype == np.int32:  # tensorflow-io returns 24- and 32-bit PCM scaled to the full int32 range
        return (data.astype(np.float64) / 2147483648.0).astype(np.float32)
    if data.dtype == np.uint8:
        return (data.astype(np.float32) - 128.0) / 128.0
    if data.dtype in (np.float32, np.float64):
        return data.astype(np.float32)
    raise AudioError(f"{path}: unsupported sample type {data.dtype}")


def _finish(path: str, data: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    if data.size == 0 or data.shape[0] == 0:
        raise AudioError(f"{path}: audio file is empty (no samples)")
    if rate <= 0:
        raise AudioError(f"{path}: invalid sample rate {rate}")
    samples = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    samples = np.asarray(samples, dtype=np.float32)
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{path}: audio contains NaN or infinite samples")
    if rate != target_rate:
        import librosa

        samples = librosa.resample(samples, orig_sr=rate, target_sr=target_rate).astype(np.float32)
    if samples.size == 0:
        raise AudioError(f"{path}: audio file is empty (no samples after resampling)")
    peak = float(np.max(np.abs(samples)))
    if peak < SILENCE_PEAK:
        raise AudioError(f"{path}: audio is silent (peak amplitude {peak:.2e} < {SILENCE_PEAK:g})")
    # Float files and resampling overshoot may leave [-1, 1]; the reference asserts that range.
    return np.clip(samples, -1.0, 1.0)


def save_wav(path: str | os.PathLike, samples: Any, sample_rate: int = 22050) -> None:
    """Write mono samples as 16-bit PCM WAV, clipping floats to [-1, 1] (int16 input is written as is)."""
    import soundfile as sf

    path = os.fspath(path)
    samples = np.asarray(samples)
    if samples.ndim == 2 and 1 in samples.shape:
        samples = samples.reshape(-1)
    if samples.ndim != 1:
        raise ValueError(f"save_wav {path}: expected mono samples [n], got shape {samples.shape}")
    if samples.dtype != np.int16:
        samples = samples.astype(np.float32)
        if not np.all(np.isfinite(samples)):
            raise ValueError(f"save_wav {path}: samples contain NaN or infinite values")
        samples = np.clip(samples, -1.0, 1.0)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    sf.write(path, samples, int(sample_rate), subtype="PCM_16")


def float_to_int16(samples: np.ndarray) -> np.ndarray:
    """[-1, 1] floats to int16 with soundfile's scaling (x * 32768, clipped), so int16/32768 round-trips."""
    return np.clip(np.round(np.asarray(samples, np.float64) * 32768.0), -32768, 32767).astype(np.int16)


def int16_to_float(samples: np.ndarray) -> np.ndarray:
    return np.asarray(samples, dtype=np.float32) / 32768.0


# -------------------------------------------------------------------------------------------- features

@functools.lru_cache(maxsize=8)
def _mel_basis(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    import librosa

    basis = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax,
                                htk=False, norm="slaney")
    basis = basis.astype(np.float32)
    basis.setflags(write=False)
    return basis


def mel_basis(cfg: AudioConfig = AudioConfig()) -> np.ndarray:
    """The [n_mels, n_fft // 2 + 1] Slaney mel filterbank of `cfg` (read-only, cached)."""
    return _mel_basis(int(cfg.sample_rate), int(cfg.n_fft), int(cfg.n_mels), float(cfg.fmin), float(cfg.fmax))


def num_frames(num_samples: int, cfg: AudioConfig = AudioConfig()) -> int:
    """Frames `log_mel` gives for a signal of `num_samples` samples."""
    return int(num_samples) // int(cfg.hop_length) + 1


def log_mel(samples: Any, cfg: AudioConfig = AudioConfig()) -> np.ndarray:
    """Natural-log mel spectrogram [frames, n_mels] (float32) of mono samples in [-1, 1]; frames = len // hop + 1."""
    import librosa

    y = np.asarray(samples)
    if y.ndim != 1:
        raise ValueError(f"log_mel: expected mono samples [n], got shape {y.shape}")
    if y.size == 0:
        raise ValueError("log_mel: no samples")
    if not np.issubdtype(y.dtype, np.floating):
        raise ValueError(f"log_mel: expected float samples in [-1, 1], got dtype {y.dtype} "
                         "(convert int16 with int16_to_float)")
    y = y.astype(np.float32, copy=False)
    with warnings.catch_warnings():
        # librosa warns when n_fft exceeds the signal; the reflect padding still gives len // hop + 1 frames.
        warnings.filterwarnings("ignore", message=".*too large for input signal.*")
        spec = librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                            window="hann", center=True, pad_mode="reflect")
    magnitude = np.abs(spec).astype(np.float32)
    mel = mel_basis(cfg) @ magnitude  # [n_mels, frames]
    out = np.log(np.maximum(mel, cfg.log_floor)).T
    return np.ascontiguousarray(out, dtype=np.float32)


# ----------------------------------------------------------------------------------- named transforms

def standardize(log_mel_: Any, cfg: AudioConfig = AudioConfig()) -> Any:
    """Log-mel to the student's scale: (x - mean) / std."""
    return (log_mel_ - cfg.mel_mean) / cfg.mel_std


def destandardize(x: Any, cfg: AudioConfig = AudioConfig()) -> Any:
    """Inverse of `standardize`."""
    return x * cfg.mel_std + cfg.mel_mean


def to_teacher_scale(log_mel_: Any, cfg: AudioConfig = AudioConfig()) -> Any:
    """Log-mel to the teacher's scale: min-max to [0, 1], then clamped to [0, 1] as the reference does."""
    scaled = (log_mel_ - cfg.teacher_min) / (cfg.teacher_max - cfg.teacher_min)
    return _clip(scaled, 0.0, 1.0)


def from_teacher_scale(x: Any, cfg: AudioConfig = AudioConfig()) -> Any:
    """Inverse of `to_teacher_scale` (exact inside [min, max]; clamped values map to the bounds)."""
    return x * (cfg.teacher_max - cfg.teacher_min) + cfg.teacher_min


def _clip(x: Any, low: float, high: float) -> Any:
    # Clipping is the one step that is not plain arithmetic: dispatch on the array type without importing
    # TensorFlow for numpy input.
    if isinstance(x, (np.ndarray, np.generic, float, int)):
        return np.clip(x, low, high)
    module = type(x).__module__
    if module.startswith("tensorflow"):
        import tensorflow as tf

        return tf.clip_by_value(x, tf.cast(low, x.dtype), tf.cast(high, x.dtype))
    import keras  # KerasTensor and other backend tensors

    return keras.ops.clip(x, low, high)
