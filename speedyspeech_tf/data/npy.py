"""The cache's .npy files: numpy format 1.0 (np.load reads them; data.pipelines decodes them in the graph)."""
from __future__ import annotations

import os

import numpy as np

from ..config import atomic_open


def write_npy(path: str, array: np.ndarray) -> None:
    """np.save in format 1.0, atomically (temporary file in the same folder, then rename)."""
    with atomic_open(path, "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array), version=(1, 0))


def npy_shape(path: str) -> tuple[tuple[int, ...], np.dtype] | None:
    """(shape, dtype) of a complete C-order format-1.0 .npy file, else None (missing, cut short, other format)."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version != (1, 0):
                return None
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            if fortran:
                return None
            expected = f.tell() + int(np.prod(shape)) * dtype.itemsize
        if os.path.getsize(path) != expected:
            return None
        return shape, dtype
    except Exception:
        return None

