"""Per-phoneme durations files (.npz of {item id: int32 frame counts}), the student's training targets."""
from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from ..config import atomic_open
from .corpus import INVALID_ID


def save_durations(path: str | os.PathLike, durations: Mapping[str, Any]) -> None:
    """Store per-phoneme frame counts {item id: int array} in an .npz (atomically)."""
    path = os.fspath(path)
    arrays = {}
    for item_id, d in durations.items():
        a = np.asarray(d)
        if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or np.all(np.mod(a, 1) == 0)):
            raise ValueError(f"durations of {item_id}: expected a 1-D integer array, got {a.dtype} {a.shape}")
        if a.size and a.min() < 0:
            raise ValueError(f"durations of {item_id}: negative frame counts")
        if INVALID_ID.search(str(item_id)):
            raise ValueError(f"durations: invalid item id {item_id!r}")
        arrays[str(item_id)] = a.astype(np.int32)
    with atomic_open(path, "wb") as f:
        np.savez(f, **arrays)


def load_durations(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a file written by `save_durations`."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: durations file not found")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k], np.int32) for k in z.files}
    except Exception as e:
        raise ValueError(f"{path}: not a durations file written by save_durations ({e})") from None

