"""Read PyTorch `.pth` checkpoints without PyTorch.

A `.pth` written by `torch.save` (zip format, PyTorch >= 1.6) is a zip archive holding `ARCHIVE/data.pkl`
(a pickle whose tensors refer to storages by key) and `ARCHIVE/data/<key>` (the raw little-endian bytes
of each storage). PyTorch is a heavy dependency that a TensorFlow user should not need just to import
weights, and numpy cannot read this format by itself, hence this small hand-written reader.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile
from typing import Any

import numpy as np

# torch storage class name -> numpy dtype
_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": None,  # handled specially
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class PthFormatError(ValueError):
    """The file is not a PyTorch zip checkpoint this reader understands."""


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _Storage:
    def __init__(self, array: np.ndarray):
        self.array = array


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    arr = storage.array
    itemsize = arr.dtype.itemsize
    size = tuple(int(s) for s in size)
    if len(size) == 0:
        return np.array(arr[storage_offset])
    strides = tuple(int(s) * itemsize for s in stride)
    view = np.lib.stride_tricks.as_strided(arr[storage_offset:], shape=size, strides=strides)
    return np.array(view)  # own the memory, contiguous


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


def _rebuild_parameter_with_state(data, requires_grad=False, backward_hooks=None, state=None):
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self._zf = zf
        self._prefix = prefix
        self._storages: dict[str, _Storage] = {}

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch._utils" and name == "_rebuild_parameter_with_state":
            return _rebuild_parameter_with_state
        if module == "torch" and name.endswith("Storage"):
            return _StorageType(name)
        if module == "torch.storage" and name in ("UntypedStorage", "TypedStorage"):
            return _StorageType(name)
        if module == "torch" and name in ("float32", "float16", "float64", "int64", "int32", "uint8", "bool"):
            return name
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module in ("builtins", "__builtin__") and name in ("set", "frozenset", "dict", "list", "tuple",
                                                              "int", "float", "str", "bytes", "slice"):
            return super().find_class(module, name)
        if module == "_codecs" and name == "encode":
            return super().find_class(module, name)
        if module in ("numpy", "numpy.core.multiarray", "numpy._core.multiarray") and name in (
                "_reconstruct", "ndarray", "dtype", "scalar"):
            return super().find_class(module, name)
        # Anything else (optimizer classes, arbitrary code) is refused: a checkpoint is data, not code.
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid
        key = str(key)
        if key not in self._storages:
            name = storage_type.name if isinstance(storage_type, _StorageType) else str(storage_type)
            raw = self._zf.read(f"{self._prefix}data/{key}")
            if name == "BFloat16Storage":
                u16 = np.frombuffer(raw, dtype="<u2")
                arr = (u16.astype(np.uint32) << 16).view(np.float32)
            elif name in _STORAGE_DTYPES:
                arr = np.frombuffer(raw, dtype=np.dtype(_STORAGE_DTYPES[name]).newbyteorder("<"))
            else:
                raise PthFormatError(f"unsupported storage type {name}")
            self._storages[key] = _Storage(arr.astype(arr.dtype.newbyteorder("=")))
        return self._storages[key]


def load_pth(path: str | os.PathLike) -> Any:
    """Load a `torch.save` zip checkpoint into nested dicts/lists with numpy arrays in place of tensors."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such checkpoint")
    if not zipfile.is_zipfile(path):
        raise PthFormatError(
            f"{path}: not a PyTorch zip checkpoint (legacy pre-1.6 tar/pickle checkpoints are not supported; "
            "re-save it with a recent PyTorch)")
    with zipfile.ZipFile(path) as zf:
        pkl = [n for n in zf.namelist() if n.endswith("data.pkl")]
        if not pkl:
            raise PthFormatError(f"{path}: zip archive has no data.pkl")
        prefix = pkl[0][: -len("data.pkl")]
        with zf.open(pkl[0]) as f:
            data = io.BytesIO(f.read())
        try:
            return _Unpickler(data, zf, prefix).load()
        except (pickle.UnpicklingError, EOFError, KeyError) as e:
            raise PthFormatError(f"{path}: cannot read checkpoint: {e}") from e
