"""16-bit PCM WAV output with the standard library's `wave` module (no soundfile, no librosa).

`AtomicWavWriter` writes into a temporary file beside the target and renames it only when synthesis finished,
so a failure never leaves a partial WAV behind (and never clobbers an existing file).
"""
from __future__ import annotations

import os
import tempfile
import wave

import numpy as np


def float_to_pcm16(audio: np.ndarray) -> bytes:
    """float audio in [-1, 1] -> little-endian int16 bytes (clipped; full scale 32767)."""
    x = np.clip(np.asarray(audio, np.float32).reshape(-1), -1.0, 1.0)
    return np.round(x * 32767.0).astype("<i2").tobytes()


class AtomicWavWriter:
    """Mono 16-bit WAV written incrementally, committed (renamed into place) by `close()` / a clean `with` exit.

        with AtomicWavWriter("out.wav", 22050) as w:
            for chunk in chunks:
                w.write(chunk)          # float32 in [-1, 1]
    An exception inside the `with` block (or `abort()`) deletes the temporary file."""

    def __init__(self, path: str | os.PathLike, sample_rate: int):
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{self.path}: the output directory {directory} does not exist")
        fd, self._tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=directory)
        self._file = os.fdopen(fd, "wb")
        self._wave = wave.open(self._file, "wb")
        self._wave.setnchannels(1)
        self._wave.setsampwidth(2)
        self._wave.setframerate(int(sample_rate))
        self.samples = 0
        self._done = False

    def write(self, audio: np.ndarray) -> None:
        data = float_to_pcm16(audio)
        self._wave.writeframes(data)
        self.samples += len(data) // 2

    def close(self) -> None:
        """Finish the file and move it to `path`."""
        if self._done:
            return
        self._done = True
        try:
            self._wave.close()
            self._file.close()
            os.chmod(self._tmp, 0o644)
            os.replace(self._tmp, self.path)
        except BaseException:
            self._remove()
            raise

    def abort(self) -> None:
        """Drop the temporary file; `path` is left untouched."""
        if self._done:
            return
        self._done = True
        try:
            self._wave.close()
        except Exception:  # noqa: BLE001 - the file is deleted anyway
            pass
        self._file.close()
        self._remove()

    def _remove(self) -> None:
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)

    def __enter__(self) -> "AtomicWavWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> None:
    """Write mono float audio in [-1, 1] as a 16-bit PCM WAV (atomically)."""
    with AtomicWavWriter(path, sample_rate) as w:
        w.write(audio)


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """A mono 16-bit PCM WAV -> (float32 audio in [-1, 1], sample rate)."""
    with wave.open(os.fspath(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected mono 16-bit PCM, got {w.getnchannels()} channels of "
                             f"{8 * w.getsampwidth()} bits")
        data = w.readframes(w.getnframes())
        return np.frombuffer(data, "<i2").astype(np.float32) / 32767.0, w.getframerate()


__all__ = ["float_to_pcm16", "AtomicWavWriter", "write_wav", "read_wav"]
