"""Choosing and loading a TFLite interpreter without TensorFlow.

Order for runtime="auto": `ai_edge_litert` (Google's current standalone LiteRT wheel), else `tflite_runtime`
(the older standalone wheel, e.g. 2.14 on a Raspberry Pi), else `tf.lite` (TensorFlow, imported only when
neither standalone interpreter is installed or when it is asked for by name).
"""
from __future__ import annotations

import importlib
import mmap
import os
import struct
from typing import Any

RUNTIMES = ("ai-edge-litert", "tflite-runtime", "tensorflow")
RUNTIME_CHOICES = ("auto",) + RUNTIMES
_MODULES = {"ai-edge-litert": "ai_edge_litert.interpreter", "tflite-runtime": "tflite_runtime.interpreter",
            "tensorflow": "tensorflow"}
_INSTALL_HINT = {"ai-edge-litert": "pip install ai-edge-litert",
                 "tflite-runtime": "pip install tflite-runtime==2.14.0 'numpy<2'",
                 "tensorflow": "pip install tensorflow"}


class InterpreterUnavailable(ValueError):
    """The requested TFLite interpreter cannot be imported."""


def _import_module(name: str):
    module = importlib.import_module(_MODULES[name])
    if name == "tensorflow":
        return module.lite  # tf.lite has Interpreter and experimental.OpResolverType
    return module


def import_interpreter(runtime: str = "auto") -> tuple[str, Any]:
    """(runtime name, its interpreter module) for "auto" or one of RUNTIMES.

    "auto" tries RUNTIMES in order. Raises InterpreterUnavailable naming what was tried and why."""
    if runtime not in RUNTIME_CHOICES:
        raise InterpreterUnavailable(f"--runtime {runtime!r}: expected one of {', '.join(RUNTIME_CHOICES)}")
    names = RUNTIMES if runtime == "auto" else (runtime,)
    errors = []
    for name in names:
        try:
            return name, _import_module(name)
        except Exception as e:  # noqa: BLE001 - ImportError, or a wheel built against another numpy
            errors.append(f"{name}: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}")
    if runtime == "auto":
        raise InterpreterUnavailable("no TFLite interpreter could be imported (" + "; ".join(errors)
                                     + f"); install one, e.g. {_INSTALL_HINT['ai-edge-litert']}")
    raise InterpreterUnavailable(f"TFLite interpreter {runtime!r} is not available ({errors[0]}); "
                                 f"install it ({_INSTALL_HINT[runtime]}) or use --runtime auto")


def available_runtimes() -> list[str]:
    """The interpreters that can be imported here, in the "auto" order (imports each one to check)."""
    out = []
    for name in RUNTIMES:
        try:
            _import_module(name)
            out.append(name)
        except Exception:  # noqa: BLE001
            pass
    return out


def check_tflite_file(path: str | os.PathLike) -> None:
    """Raise ValueError naming the file unless it is a complete TFLite flatbuffer.

    Written by hand (a few bounds checks with `struct`, no flatbuffers package needed) because a truncated file
    (an interrupted copy to the device) crashes tflite-runtime 2.14 and TensorFlow's interpreter with a
    segmentation fault instead of an error; only ai-edge-litert verifies the buffer. Checks the "TFL3"
    identifier and that the root table, every table of the model's vectors (subgraphs with their tensors and
    operators, operator codes, metadata, signature defs, buffers) and every weight buffer (inline `data` vector,
    or `offset`/`size` past the flatbuffer in files over 2 GB) lie inside the file. Not a full verifier: strings
    and small index vectors inside those tables are not followed."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise ValueError(f"{path}: not a TFLite file ({size} bytes)")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            if buf[4:8] != b"TFL3":
                raise ValueError(f"{path}: not a TFLite file (no 'TFL3' identifier)")

            def read(fmt, pos):
                if pos < 0 or pos + struct.calcsize(fmt) > size:
                    raise ValueError(f"{path}: truncated or corrupt TFLite file ({size} bytes; an offset "
                                     f"points past its end): copy it again")
                return struct.unpack_from(fmt, buf, pos)[0]

            def field(table, index):  # absolute position of a table's field, None when absent
                vtable = table - read("<i", table)
                if index * 2 + 4 >= read("<H", vtable):
                    return None
                off = read("<H", vtable + 4 + 2 * index)
                return table + off if off else None

            def vector(pos):  # (first element, length) of the vector referenced at pos; checks its extent
                start = pos + read("<I", pos)
                n = read("<I", start)
                return start + 4, n

            def check_extent(start, nbytes):
                if nbytes > 0:
                    read("<B", start + nbytes - 1)  # raises the truncation error past the end

            def touch(table):  # the table's vtable and every field it has lie inside the file
                vtable = table - read("<i", table)
                vt_size = read("<H", vtable)
                check_extent(table, read("<H", vtable + 2))
                for index in range((vt_size - 4) // 2):
                    off = read("<H", vtable + 4 + 2 * index)
                    if off:
                        read("<B", table + off)

            def tables(table, index):  # the tables of a vector-of-tables field (checked), [] when absent
                pos = field(table, index)
                if pos is None:
                    return []
                start, n = vector(pos)
                check_extent(start, 4 * n)
                out = [start + 4 * i + read("<I", start + 4 * i) for i in range(n)]
                for t in out:
                    touch(t)
                return out

            root = read("<I", 0)
            touch(root)
            subgraphs = tables(root, 2)
            if not subgraphs:
                raise ValueError(f"{path}: a TFLite file without subgraphs")
            for sg in subgraphs:
                tables(sg, 0)  # tensors
                tables(sg, 3)  # operators
            for index in (1, 6, 7):  # operator codes, metadata, signature defs
                tables(root, index)
            for table in tables(root, 4):  # buffers: inline data, or offset/size for files over 2 GB
                data = field(table, 0)
                if data is not None:
                    first, length = vector(data)
                    check_extent(first, length)
                offset, nbytes = field(table, 1), field(table, 2)
                if offset is not None and nbytes is not None and read("<Q", offset) > 1:
                    check_extent(read("<Q", offset), read("<Q", nbytes))


def load_interpreter(path: str | os.PathLike, runtime: str = "auto", threads: int = 1, xnnpack: bool = True):
    """A TFLite interpreter for the file at `path`: returns (interpreter, runtime name).

    threads: CPU threads for the interpreter's kernels (and its XNNPACK delegate). xnnpack=False loads the plain
    builtin kernels without the default XNNPACK delegate (for benchmarks). A file that cannot be loaded raises
    ValueError naming it."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    name, module = import_interpreter(runtime)
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such TFLite file")
    check_tflite_file(path)
    kwargs: dict[str, Any] = {"model_path": path, "num_threads": int(threads)}
    if not xnnpack:
        resolver = getattr(module, "OpResolverType", None) or module.experimental.OpResolverType
        kwargs["experimental_op_resolver_type"] = resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        interpreter = module.Interpreter(**kwargs)
    except Exception as e:  # noqa: BLE001 - the interpreters raise ValueError/RuntimeError for bad files
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"{path}: cannot be loaded by the {name} TFLite interpreter ({first})") from e
    return interpreter, name


__all__ = ["RUNTIMES", "RUNTIME_CHOICES", "InterpreterUnavailable", "import_interpreter", "available_runtimes",
           "check_tflite_file", "load_interpreter"]
