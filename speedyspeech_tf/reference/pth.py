"""Read PyTorch `.pth` checkpoints without PyTorch.

Two formats, both written by `torch.save`:
- zip (PyTorch >= 1.6): a zip archive holding `ARCHIVE/data.pkl` (a pickle whose tensors refer to storages by
  key) and `ARCHIVE/data/<key>` (the raw little-endian bytes of each storage);
- legacy (before 1.6, or `_use_new_zipfile_serialization=False`; e.g. the HiFi-GAN generators): five pickles in
  a row -- the magic number 0x1950a86a20f9469cfc6c, the protocol version (1001), a dict of system info
  (endianness, type sizes), the object itself (tensors refer to storages by key as above), the list of storage
  keys -- followed by each storage in that order: its element count as a little-endian int64, then its bytes.
PyTorch is a heavy dependency that a TensorFlow user should not need just to import weights, and numpy cannot
read either format by itself, hence this small hand-written reader. Only data is unpickled (see find_class).
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import zipfile
from typing import Any, Callable

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


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


def _storage_name(storage_type) -> str:
    return storage_type.name if isinstance(storage_type, _StorageType) else str(storage_type)


def _storage_dtype(name: str) -> np.dtype:
    if name not in _STORAGE_DTYPES:
        raise PthFormatError(f"unsupported storage type {name}")
    return np.dtype(np.uint16 if name == "BFloat16Storage" else _STORAGE_DTYPES[name])


def _decode(raw: bytes, name: str) -> np.ndarray:
    """Little-endian storage bytes -> a native-order numpy array of the storage's dtype."""
    if name == "BFloat16Storage":
        u16 = np.frombuffer(raw, dtype="<u2")
        return (u16.astype(np.uint32) << 16).view(np.float32)
    arr = np.frombuffer(raw, dtype=_storage_dtype(name).newbyteorder("<"))
    return arr.astype(arr.dtype.newbyteorder("="))


class _Unpickler(pickle.Unpickler):
    """Unpickles checkpoint data only; `read_storage(key, storage type name, numel)` gives a storage's array."""

    def __init__(self, file, read_storage: Callable[[str, str, int], np.ndarray]):
        super().__init__(file)
        self._read_storage = read_storage
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
        # zip: ('storage', type, key, location, numel); legacy: the same + view metadata (None unless the
        # tensor was saved as a view of a larger storage: (view key, offset, size)).
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, numel = pid[1], str(pid[2]), int(pid[4])
        view = pid[5] if len(pid) == 6 else None
        if key not in self._storages:
            self._storages[key] = _Storage(self._read_storage(key, _storage_name(storage_type), numel))
        if view is not None:
            view_key, offset, size = view
            view_key = str(view_key)
            if view_key not in self._storages:
                base = self._storages[key].array
                self._storages[view_key] = _Storage(base[int(offset):int(offset) + int(size)])
            return self._storages[view_key]
        return self._storages[key]


def load_pth(path: str | os.PathLike) -> Any:
    """Load a `torch.save` checkpoint (zip or legacy format) into nested dicts/lists with numpy arrays in place
    of tensors."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such checkpoint")
    if not zipfile.is_zipfile(path):
        return _load_legacy(path)
    with zipfile.ZipFile(path) as zf:
        pkl = [n for n in zf.namelist() if n.endswith("data.pkl")]
        if not pkl:
            raise PthFormatError(f"{path}: zip archive has no data.pkl")
        prefix = pkl[0][: -len("data.pkl")]
        with zf.open(pkl[0]) as f:
            data = io.BytesIO(f.read())

        def read_storage(key, name, numel):
            return _decode(zf.read(f"{prefix}data/{key}"), name)

        try:
            return _Unpickler(data, read_storage).load()
        except (pickle.UnpicklingError, EOFError, KeyError) as e:
            raise PthFormatError(f"{path}: cannot read checkpoint: {e}") from e


class _HeaderUnpickler(pickle.Unpickler):
    """For the legacy header pickles (ints, a dict of str/int/bool): nothing may be imported."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint header")


def _load_legacy(path: str) -> Any:
    """The legacy format (module docstring). The object pickle comes before the storage bytes, so it is read
    twice: once to learn each storage's type and size, then, with the storages read, to build the arrays."""
    with open(path, "rb") as f:
        data = f.read()
    buf = io.BytesIO(data)
    try:
        magic = _HeaderUnpickler(buf).load()
    except Exception:  # noqa: BLE001 - not a pickle at all
        magic = None
    if magic != LEGACY_MAGIC:
        raise PthFormatError(f"{path}: not a PyTorch checkpoint (neither a zip archive nor the legacy format)")
    try:
        protocol = _HeaderUnpickler(buf).load()
        if protocol != LEGACY_PROTOCOL:
            raise PthFormatError(f"{path}: legacy checkpoint protocol {protocol!r}, expected {LEGACY_PROTOCOL}")
        sys_info = _HeaderUnpickler(buf).load()
        if isinstance(sys_info, dict) and sys_info.get("little_endian") is False:
            raise PthFormatError(f"{path}: saved on a big-endian machine (not supported)")
        object_start = buf.tell()
        types: dict[str, tuple[str, int]] = {}

        def record(key, name, numel):
            types[key] = (name, numel)
            return np.zeros(numel, _storage_dtype(name))  # placeholder: only shapes matter on this pass

        _Unpickler(buf, record).load()
        keys = [str(k) for k in _HeaderUnpickler(buf).load()]
        pos = buf.tell()
        storages: dict[str, np.ndarray] = {}
        for key in keys:
            if key not in types:
                raise PthFormatError(f"{path}: storage {key!r} is listed but no tensor uses it")
            name, numel = types[key]
            if pos + 8 > len(data):
                raise PthFormatError(f"{path}: truncated (storage {key!r} is missing)")
            (count,) = struct.unpack_from("<q", data, pos)
            nbytes = count * _storage_dtype(name).itemsize
            if count != numel or pos + 8 + nbytes > len(data):
                raise PthFormatError(f"{path}: storage {key!r} holds {count} elements where {numel} are expected, "
                                     "or the file is truncated")
            storages[key] = _decode(data[pos + 8:pos + 8 + nbytes], name)
            pos += 8 + nbytes
        buf.seek(object_start)
        return _Unpickler(buf, lambda key, name, numel: storages[key]).load()
    except (pickle.UnpicklingError, EOFError, KeyError, struct.error) as e:
        raise PthFormatError(f"{path}: cannot read legacy checkpoint: {e}") from e
