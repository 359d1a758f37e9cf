"""Our own model checkpoints: a directory holding Keras weights and the configs they were made with.

    CKPT_DIR/
      config.json        {"kind": "student"|"teacher"|"melgan", "model": {...}, "audio": {...},
                          "text": {...}, "source": "...", ...}
      model.weights.h5   Keras weights (model.save_weights)

Both files are written atomically (to a temporary name, then renamed), so a crash never leaves a
half-written checkpoint. Loading into a model of another configuration fails with a message that names
the mismatch.
"""
from __future__ import annotations

import importlib
import os
import tempfile
from typing import Any

from .config import (AudioConfig, ConfigMismatchError, TextConfig, check_same, from_dict, load_json,
                     save_json, to_dict)

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.weights.h5"

# kind -> (config class path, builder path). A builder takes the model config and returns a built
# Keras model (weights created), ready for load_weights.
MODEL_KINDS = {
    "student": ("speedyspeech_tf.config:StudentConfig", "speedyspeech_tf.models.student:build_student"),
    "teacher": ("speedyspeech_tf.config:TeacherConfig", "speedyspeech_tf.models.teacher:build_teacher"),
    "melgan": ("speedyspeech_tf.config:MelGANConfig", "speedyspeech_tf.models.melgan:build_melgan"),
}


def _resolve(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def is_checkpoint(path: str | os.PathLike) -> bool:
    path = os.fspath(path)
    return os.path.isdir(path) and os.path.exists(os.path.join(path, CONFIG_NAME)) and os.path.exists(
        os.path.join(path, WEIGHTS_NAME))


def save_checkpoint(model, directory: str | os.PathLike, kind: str, model_config: Any,
                    audio: AudioConfig | None = None, text: TextConfig | None = None, **extra: Any) -> str:
    """Save `model`'s weights and its configs into `directory` (created if needed)."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(MODEL_KINDS)}")
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix=".tmp-ckpt-", dir=directory)
    try:
        tmp_weights = os.path.join(tmpdir, WEIGHTS_NAME)
        model.save_weights(tmp_weights)
        os.replace(tmp_weights, os.path.join(directory, WEIGHTS_NAME))
    finally:
        for f in os.listdir(tmpdir):
            os.unlink(os.path.join(tmpdir, f))
        os.rmdir(tmpdir)
    meta = {
        "kind": kind,
        "model": to_dict(model_config),
        "audio": to_dict(audio or AudioConfig()),
        "text": to_dict(text or TextConfig()),
    }
    meta.update(extra)
    save_json(meta, os.path.join(directory, CONFIG_NAME))
    return directory


def read_checkpoint_config(directory: str | os.PathLike) -> dict:
    directory = os.fspath(directory)
    path = os.path.join(directory, CONFIG_NAME)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{directory}: not a checkpoint (no {CONFIG_NAME})")
    meta = load_json(path)
    if meta.get("kind") not in MODEL_KINDS:
        raise ConfigMismatchError(f"{path}: unknown model kind {meta.get('kind')!r}")
    return meta


def model_config_from_meta(meta: dict):
    cls = _resolve(MODEL_KINDS[meta["kind"]][0])
    return from_dict(cls, meta["model"])


def load_checkpoint(directory: str | os.PathLike, kind: str | None = None, model_config: Any = None,
                    audio: AudioConfig | None = None):
    """Build the model a checkpoint describes and load its weights.

    `kind`, `model_config` and `audio`, when given, are what the caller expects: a checkpoint of another
    kind or configuration raises ConfigMismatchError naming the difference.
    Returns (model, meta) where meta is the checkpoint's config.json as a dict.
    """
    directory = os.fspath(directory)
    meta = read_checkpoint_config(directory)
    if kind is not None and meta["kind"] != kind:
        raise ConfigMismatchError(f"{directory}: is a {meta['kind']} checkpoint, expected a {kind}")
    cfg = model_config_from_meta(meta)
    if model_config is not None:
        check_same(model_config, cfg, f"checkpoint {directory}")
    if audio is not None:
        check_same(audio, from_dict(AudioConfig, meta["audio"]), f"checkpoint {directory} (audio settings)")
    weights = os.path.join(directory, WEIGHTS_NAME)
    if not os.path.exists(weights):
        raise FileNotFoundError(f"{directory}: checkpoint has no {WEIGHTS_NAME}")
    model = _resolve(MODEL_KINDS[meta["kind"]][1])(cfg)
    try:
        model.load_weights(weights)
    except ValueError as e:
        raise ConfigMismatchError(f"{directory}: weights do not fit the model its config describes: {e}") from e
    return model, meta


def audio_config_from_meta(meta: dict) -> AudioConfig:
    return from_dict(AudioConfig, meta["audio"])


def text_config_from_meta(meta: dict) -> TextConfig:
    return from_dict(TextConfig, meta["text"])


__all__ = [
    "save_checkpoint", "load_checkpoint", "read_checkpoint_config", "is_checkpoint", "model_config_from_meta",
    "audio_config_from_meta", "text_config_from_meta", "MODEL_KINDS", "CONFIG_NAME", "WEIGHTS_NAME",
]
