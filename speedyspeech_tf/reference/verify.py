"""Check that our Keras models reproduce the reference's stored outputs.

A registry detects a checkpoint's type from its keys and maps it to (importer, runner):

    importer(pth_or_dict) -> (model, config)      runner(model, npz) -> {output name: array}

Entries refer to their functions by import path ("module:function"), so an entry whose module is not
installed (yet) does not break the others; using it gives a clear error.
"""
from __future__ import annotations

import importlib
import os
import zipfile
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .speedyspeech import ReferenceImportError


@dataclass(frozen=True)
class ReferenceKind:
    kind: str                     # our checkpoint kind (speedyspeech_tf.checkpoint.MODEL_KINDS)
    detect: Callable[[Any], bool]  # loaded .pth object -> is it this kind?
    importer: str                 # "module:function", (pth_or_dict) -> (model, config)
    runner: str                   # "module:function", (model, npz) -> {name: array}
    inputs: tuple                 # names in the outputs .npz that are inputs, not outputs
    metadata: tuple = ()          # names in the .npz that describe it (file names, hashes): not compared


def _state_dict_keys(ckpt) -> list[str]:
    if not isinstance(ckpt, dict):
        return []
    sd = ckpt.get("state_dict", ckpt)
    return [k for k in sd if isinstance(k, str)] if isinstance(sd, dict) else []


def _is_student(ckpt) -> bool:
    return any(k.startswith(("encoder.", "decoder.", "duration_predictor.")) for k in _state_dict_keys(ckpt))


def _is_teacher(ckpt) -> bool:
    return any(k.startswith("txt_encoder.") for k in _state_dict_keys(ckpt))


def _is_melgan(ckpt) -> bool:
    return isinstance(ckpt, dict) and "model_g" in ckpt


def _is_hifigan(ckpt) -> bool:
    from .hifigan import is_hifigan

    return is_hifigan(ckpt)


REGISTRY: dict[str, ReferenceKind] = {
    "student": ReferenceKind("student", _is_student, "speedyspeech_tf.reference.speedyspeech:import_student",
                             "speedyspeech_tf.reference.speedyspeech:run_student_reference",
                             ("phonemes", "phoneme_lengths", "given_durations")),
    "teacher": ReferenceKind("teacher", _is_teacher, "speedyspeech_tf.reference.speedyspeech:import_teacher",
                             "speedyspeech_tf.reference.speedyspeech:run_teacher_reference",
                             ("phonemes", "phoneme_lengths", "spectrograms")),
    "melgan": ReferenceKind("melgan", _is_melgan, "speedyspeech_tf.reference.melgan:import_melgan",
                            "speedyspeech_tf.reference.melgan:run_melgan_reference",
                            ("mel", "disc_input")),
    "hifigan": ReferenceKind("hifigan", _is_hifigan, "speedyspeech_tf.reference.hifigan:import_hifigan",
                             "speedyspeech_tf.reference.hifigan:run_hifigan_reference", ("mel",),
                             ("checkpoint", "sha256")),
}


def resolve(path: str):
    """'module:function' -> the function; a missing module gives a clear ReferenceImportError."""
    module_name, func = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise ReferenceImportError(f"{module_name} is not available ({e}); cannot use {func}") from e
        raise
    try:
        return getattr(module, func)
    except AttributeError as e:
        raise ReferenceImportError(f"{module_name} has no {func}") from e


def detect_kind(ckpt, name: str = "checkpoint") -> ReferenceKind:
    """Which registry entry a loaded .pth belongs to (first match)."""
    for entry in REGISTRY.values():
        if entry.detect(ckpt):
            return entry
    top = sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
    raise ReferenceImportError(f"{name}: not a reference checkpoint this tool knows (student, teacher, MelGAN or "
                               f"HiFi-GAN); top-level keys: {top}")


def import_reference(pth_or_dict):
    """Load any registered reference checkpoint (a path, a shipped HiFi-GAN's short name, or the loaded dict).
    Returns (kind entry, model, config)."""
    from .hifigan import SHIPPED, shipped_checkpoint
    from .pth import load_pth

    if isinstance(pth_or_dict, str) and pth_or_dict in SHIPPED:
        pth_or_dict = shipped_checkpoint(pth_or_dict)
    name = os.fspath(pth_or_dict) if isinstance(pth_or_dict, (str, os.PathLike)) else "checkpoint"
    ckpt = load_pth(pth_or_dict) if isinstance(pth_or_dict, (str, os.PathLike)) else pth_or_dict
    entry = detect_kind(ckpt, name)
    # Importers take the path when there is one (a HiFi-GAN reads the config.json beside it).
    result = resolve(entry.importer)(pth_or_dict if entry.kind == "hifigan" else ckpt)
    if isinstance(result, tuple):
        model, config = result[0], result[1]
    else:  # an importer returning the model alone
        model, config = result, getattr(result, "config", None)
    return entry, model, config


def load_model(path):
    """A reference `.pth`, a shipped HiFi-GAN's short name or one of our checkpoint directories ->
    (kind entry, model)."""
    from .. import checkpoint as ckpt_mod
    from .hifigan import SHIPPED

    path = os.fspath(path)
    if os.path.isdir(path):
        model, meta = ckpt_mod.load_checkpoint(path)
        return REGISTRY[meta["kind"]], model
    if path in SHIPPED:
        entry, model, _ = import_reference(path)
        return entry, model
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such checkpoint")
    entry, model, _ = import_reference(path)
    return entry, model


def load_npz(path) -> dict[str, np.ndarray]:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path}: not a .npz of reference outputs ({e})") from e


def verify(pth, npz, tol: float = 1e-4) -> list[tuple[str, tuple, float, bool]]:
    """Run the model of `pth` (a reference .pth or our checkpoint dir) on the inputs stored in `npz` (path or
    dict) and compare with every output stored there.

    Returns rows (name, shape, max_abs_err, ok) in the npz's order; ok = shapes equal and err <= tol.
    Raises ValueError (ReferenceImportError) when the pair does not belong together (inputs the model needs
    are missing, or outputs it does not produce are stored).
    """
    entry, model = load_model(pth)
    npz_name = os.fspath(npz) if isinstance(npz, (str, os.PathLike)) else "outputs"
    data = load_npz(npz) if isinstance(npz, (str, os.PathLike)) else dict(npz)
    missing = [k for k in entry.inputs if k not in data]
    if missing:
        raise ReferenceImportError(f"{npz_name} lacks input(s) {missing} that a {entry.kind} model needs: "
                                   f"are these the outputs of another model? (it holds {sorted(data)})")
    computed = resolve(entry.runner)(model, data)
    rows = []
    for name, expected in data.items():
        if name in entry.inputs or name in entry.metadata:
            continue
        if name not in computed:
            raise ReferenceImportError(f"{npz_name}: output {name!r} is not produced by a {entry.kind} model; "
                                       "are these the outputs of another model?")
        got = np.asarray(computed[name])
        expected = np.asarray(expected)
        if got.shape != expected.shape:
            rows.append((name, tuple(expected.shape), float("inf"), False))
            continue
        err = float(np.max(np.abs(got.astype(np.float64) - expected.astype(np.float64)))) if got.size else 0.0
        rows.append((name, tuple(expected.shape), err, bool(err <= tol)))
    if not rows:
        raise ReferenceImportError(f"{npz_name} holds no outputs to compare")
    return rows


def format_rows(rows, tol: float) -> str:
    width = max(len("output"), *(len(r[0]) for r in rows))
    lines = [f"{'output':<{width}}  {'shape':<16}  {'max abs err':>12}  ok (tol {tol:g})"]
    for name, shape, err, ok in rows:
        lines.append(f"{name:<{width}}  {str(list(shape)):<16}  {err:>12.3e}  {'yes' if ok else 'NO'}")
    return "\n".join(lines)


__all__ = ["REGISTRY", "ReferenceKind", "detect_kind", "import_reference", "load_model", "verify", "format_rows",
           "resolve", "load_npz"]
