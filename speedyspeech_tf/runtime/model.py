"""An exported model directory (`speedyspeech-tf export`): config.json + student.tflite + vocoder.tflite
(+ student-F.tflite per extra student size, config.json's student_buckets).

`ExportedModels` reads DIR/config.json (config.ExportConfig), loads every file in a TFLite interpreter and checks
that the files are what the config says (signature names, N, F, W + 2C, n_mels, hop length) before anything is
synthesised; a mismatch raises ConfigMismatchError naming the file and the field. It then offers the two calls:

    student(ids, speed, bucket=None) -> (mel [frames, n_mels] natural-log mel, frames, overflow); bucket: which
        student (index into `buckets`, smallest first; None: the smallest whose N - pad_symbols slots hold the ids,
        `bucket_for`); last_durations: frames per id, last_bucket: the index that ran
    vocoder(mel_window [W + 2C, n_mels]) -> audio [(W + 2C) * hop] float32

Every student size is loaded (and warmed up) when the directory is opened, not on first use: creating an
interpreter and its first run (XNNPACK packs the weights) take longer than a small student's whole run, and
would land in the first audio of the first short sentence.

Imports only numpy, the stdlib and the TFLite interpreter (see interpreters.py).
"""
from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from ..config import ConfigMismatchError, ExportConfig, vocoder_config_from_dict
from ..models.windows import default_context
from .interpreters import load_interpreter


def _shape(detail: dict) -> tuple:
    return tuple(int(d) for d in detail["shape"])


def _dtype(detail: dict) -> str:
    return np.dtype(detail["dtype"]).name


class _Runner:
    """One .tflite file's signature runner with its expected signature checked."""

    def __init__(self, path: str, what: str, signature_key: str, inputs: dict, outputs: dict, runtime: str,
                 threads: int, xnnpack: bool):
        self.path = path
        self.interpreter, self.runtime = load_interpreter(path, runtime, threads, xnnpack)
        try:
            self.runner = self.interpreter.get_signature_runner(signature_key)
        except Exception as e:  # noqa: BLE001 - ValueError in every interpreter, worded differently
            keys = list(getattr(self.interpreter, "get_signature_list", lambda: {})())
            raise ConfigMismatchError(f"{path}: no signature {signature_key!r} as config.json says "
                                      f"(the file has {keys})") from e
        self.input_details = self.runner.get_input_details()
        self.output_details = self.runner.get_output_details()
        for kind, details, expected in (("input", self.input_details, inputs),
                                        ("output", self.output_details, outputs)):
            if set(details) != set(expected):
                raise ConfigMismatchError(f"{path}: {what} {kind}s are {sorted(details)} but config.json says "
                                          f"{sorted(expected)}")
            for name, (shape, dtype, field) in expected.items():
                got_shape, got_dtype = _shape(details[name]), _dtype(details[name])
                if got_shape != shape or got_dtype != dtype:
                    raise ConfigMismatchError(
                        f"{path}: {what} {kind} {name!r} is {got_dtype} {list(got_shape)} but config.json "
                        f"({field}) gives {dtype} {list(shape)}")

    def __call__(self, **feed) -> dict[str, np.ndarray]:
        return self.runner(**feed)


class ExportedModels:
    """The student and vocoder of an exported model directory, checked against its config.json."""

    def __init__(self, model_dir: str | os.PathLike, runtime: str = "auto", threads: int = 1,
                 xnnpack: bool = True):
        model_dir = os.fspath(model_dir)
        if not os.path.isdir(model_dir):
            raise FileNotFoundError(f"{model_dir}: no such model directory (make one with speedyspeech-tf export)")
        self.model_dir = model_dir
        cfg = self.config = ExportConfig.load(model_dir)
        self.threads = int(threads)
        n_mels = cfg.audio.n_mels
        if cfg.vocoder_config:
            try:
                voc = vocoder_config_from_dict(cfg.vocoder, cfg.vocoder_config)
            except (TypeError, ValueError) as e:
                raise ConfigMismatchError(f"{model_dir}/config.json: vocoder_config is not a valid {cfg.vocoder} "
                                          f"config: {e}") from e
            if voc.n_mels != n_mels or voc.hop_length != cfg.hop_length:
                raise ConfigMismatchError(
                    f"{model_dir}/config.json: vocoder_config (n_mels {voc.n_mels}, hop_length {voc.hop_length}) "
                    f"disagrees with the audio settings (n_mels {n_mels}, hop_length {cfg.hop_length})")
            need = default_context(voc)
            if cfg.C < need:
                raise ConfigMismatchError(
                    f"{model_dir}/config.json: vocoder_context {cfg.C} is smaller than the vocoder's receptive "
                    f"field ({need} frames): windowed synthesis would not equal whole-utterance synthesis")
        for name in [b["student_file"] for b in cfg.students] + [cfg.vocoder_file]:
            path = os.path.join(model_dir, name)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{path}: missing (config.json names it; re-export the model directory)")
        L = cfg.vocoder_frames
        s_in, s_out = cfg.student_inputs, cfg.student_outputs
        v_in, v_out = cfg.vocoder_inputs, cfg.vocoder_outputs
        if len(s_in) != 3 or len(s_out) not in (3, 4) or len(v_in) != 1 or len(v_out) != 1:
            raise ConfigMismatchError(f"{model_dir}/config.json: expected 3 student inputs, 3 or 4 outputs "
                                      f"(mel, frames, overflow[, durations]) and 1 vocoder input and output, got "
                                      f"{s_in} -> {s_out}, {v_in} -> {v_out}")
        # Exports before timestamps existed have no durations output: synthesis works, timestamps do not.
        self.has_durations = len(s_out) == 4
        self._s_names = s_in, s_out
        self._v_names = v_in[0], v_out[0]
        # every student size, smallest first, the main one (student_file, N, F) last: (N, F) and its runner
        self.buckets: list[tuple[int, int]] = []
        self.student_runners: list[_Runner] = []
        for b in cfg.students:
            N, F = b["max_phonemes"], b["max_frames"]
            outputs = {s_out[0]: ((1, F, n_mels), "float32", f"max_frames F = {F}, n_mels = {n_mels}"),
                       s_out[1]: ((1,), "int32", "frames"), s_out[2]: ((1,), "int32", "overflow")}
            if self.has_durations:
                outputs[s_out[3]] = ((1, N), "int32", f"durations, max_phonemes N = {N}")
            self.buckets.append((N, F))
            self.student_runners.append(_Runner(
                os.path.join(model_dir, b["student_file"]), "student", cfg.signature_key,
                {s_in[0]: ((1, N), "int32", f"max_phonemes N = {N}"),
                 s_in[1]: ((1,), "int32", "length"), s_in[2]: ((1,), "float32", "speed")},
                outputs, runtime, threads, xnnpack))
        self.student_runner = self.student_runners[-1]  # the main student
        self.vocoder_runner = _Runner(
            os.path.join(model_dir, cfg.vocoder_file), "vocoder", cfg.signature_key,
            {v_in[0]: ((1, L, n_mels), "float32",
                       f"W + 2C = {cfg.W} + 2 x {cfg.C} = {L} frames, n_mels = {n_mels}")},
            {v_out[0]: ((1, L * cfg.hop_length), "float32",
                        f"(W + 2C) x hop_length = {L} x {cfg.hop_length}")},
            runtime, threads, xnnpack)
        self.runtime = self.student_runner.runtime
        self.student_seconds = 0.0
        self.vocoder_seconds = 0.0
        self.student_calls = 0
        self.vocoder_calls = 0
        self.last_durations: np.ndarray | None = None  # frames per symbol of the last student call
        self.last_bucket: int | None = None  # index into `buckets` of the student that ran last

    # ------------------------------------------------------------------------------------------- calls

    def bucket_for(self, symbols: int) -> int:
        """Index into `buckets` of the smallest student whose N - pad_symbols slots hold `symbols` ids (the main
        student, the last, when none does; the Android core's ModelConfig.bucketFor)."""
        pad = self.config.pad_symbols
        return next((i for i, (n, _) in enumerate(self.buckets) if n - pad >= symbols), len(self.buckets) - 1)

    def student(self, ids, speed: float = 1.0, bucket: int | None = None) -> tuple[np.ndarray, int, bool]:
        """Symbol ids of one chunk (at most N - pad_symbols) -> (mel [frames, n_mels], frames, overflow).

        bucket: the student to run (index into `buckets`); None: `bucket_for(len(ids))`. The ids are written into its
        N slots followed by pad_id (so at least `pad_symbols` padding symbols follow them, as the authors'
        inference script appends 5 zeros); `length` is the number of text ids. overflow: the chunk needs more
        than that student's F frames (run it on a larger one, or split it)."""
        cfg = self.config
        ids = np.asarray(ids, np.int64).reshape(-1)
        if ids.size == 0:
            raise ValueError("the student needs at least one symbol id")
        if ids.size > cfg.max_text_symbols:
            raise ValueError(f"{ids.size} symbols do not fit the student's {cfg.N} slots minus "
                             f"{cfg.pad_symbols} padding symbols ({cfg.max_text_symbols}); split the text first")
        if ids.min() < 0 or ids.max() >= len(cfg.text.symbols):
            raise ValueError(f"symbol ids must lie in 0..{len(cfg.text.symbols) - 1}")
        bucket = self.bucket_for(ids.size) if bucket is None else int(bucket)
        N, F = self.buckets[bucket]
        runner = self.student_runners[bucket]
        if ids.size > N - cfg.pad_symbols:
            raise ValueError(f"{ids.size} symbols do not fit {runner.path}'s {N} slots minus {cfg.pad_symbols} "
                             "padding symbols")
        slots = np.full((1, N), cfg.text.pad_id, np.int32)
        slots[0, :ids.size] = ids
        names_in, names_out = self._s_names
        feed = {names_in[0]: slots, names_in[1]: np.array([ids.size], np.int32),
                names_in[2]: np.array([speed], np.float32)}
        t0 = time.perf_counter()
        out = runner(**feed)
        self.student_seconds += time.perf_counter() - t0
        self.student_calls += 1
        self.last_bucket = bucket
        frames = int(out[names_out[1]].reshape(-1)[0])
        overflow = bool(out[names_out[2]].reshape(-1)[0])
        if not 0 <= frames <= F:
            raise ValueError(f"{runner.path}: the student returned {frames} frames (F = {F})")
        mel = np.array(out[names_out[0]][0, :frames], np.float32)
        self.last_durations = (np.array(out[names_out[3]].reshape(-1)[:ids.size], np.int64)
                               if self.has_durations else None)
        return mel, frames, overflow

    def vocoder(self, window: np.ndarray) -> np.ndarray:
        """One vocoder call: mel [W + 2C, n_mels] (natural log) -> audio [(W + 2C) * hop] float32."""
        cfg = self.config
        window = np.ascontiguousarray(window, np.float32)
        if window.shape != (cfg.vocoder_frames, cfg.audio.n_mels):
            raise ValueError(f"a vocoder window must be [{cfg.vocoder_frames}, {cfg.audio.n_mels}], "
                             f"got {list(window.shape)}")
        name_in, name_out = self._v_names
        t0 = time.perf_counter()
        out = self.vocoder_runner(**{name_in: window[None]})
        self.vocoder_seconds += time.perf_counter() - t0
        self.vocoder_calls += 1
        return out[name_out].reshape(-1)

    def warm_up(self) -> None:
        """Run every model once (the first invocation of an interpreter allocates and packs weights), without
        counting the time."""
        cfg = self.config
        s, v, sc, vc = self.student_seconds, self.vocoder_seconds, self.student_calls, self.vocoder_calls
        n = min(self.buckets[0][0] - cfg.pad_symbols, 8)
        for bucket in range(len(self.buckets)):
            self.student(np.full(n, 2, np.int64), 1.0, bucket)
        self.last_bucket = None
        self.vocoder(np.full((cfg.vocoder_frames, cfg.audio.n_mels), cfg.silence_log_mel, np.float32))
        self.student_seconds, self.vocoder_seconds, self.student_calls, self.vocoder_calls = s, v, sc, vc

    def describe(self) -> dict[str, Any]:
        cfg = self.config
        return {"model_dir": self.model_dir, "quantization": cfg.quantization, "runtime": self.runtime,
                "threads": self.threads, "N": cfg.N, "F": cfg.F, "student_buckets": [list(b) for b in self.buckets],
                "W": cfg.W, "C": cfg.C,
                "sample_rate": cfg.audio.sample_rate, "hop_length": cfg.hop_length, "vocoder": cfg.vocoder}


__all__ = ["ExportedModels"]
