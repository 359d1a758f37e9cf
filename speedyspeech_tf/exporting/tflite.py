"""SavedModel -> TFLite conversion with the quantizations of config.QUANTIZATIONS, and checks of the converted files.

Conversion always goes through a SavedModel (see `graphs.write_saved_model`): with Keras 3,
`TFLiteConverter.from_concrete_functions` on a model's function leaves its weights as uninitialised resource
variables (VAR_HANDLE / READ_VARIABLE ops, a tiny file and garbage output), whereas a SavedModel is frozen
properly by the converter.

`inspect_model` reads the flatbuffer itself (TensorFlow's generated schema reader, lazily, no interpreter), so
it sees every operator and every tensor's shape signature; `check_model` turns that into a loud failure on
Flex/custom ops, resource-variable ops and dynamic shapes. `interpreter_backends` lists the interpreters that
can be imported here (ai-edge-litert, tflite-runtime, TensorFlow's) so that every exported file can be run in
each of them.
"""
from __future__ import annotations

import collections
import dataclasses
import os
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ..config import QUANTIZATIONS

# Operators that must never appear in an exported file: they mean the weights were not frozen (resource
# variables) or the graph needs TensorFlow kernels (Flex ops are custom ops named "Flex...").
FORBIDDEN_OPS = frozenset({"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "CUSTOM"})
# Operators that work but are slow or betray a dynamic-shape/naive formulation (transposed and dilated
# convolutions converted naively produce them); the vocoder export graph is built so that none appears.
SLOW_OPS = frozenset({"SHAPE", "STRIDED_SLICE", "CONCATENATION", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
                      "TRANSPOSE"})


class ExportError(ValueError):
    """A model cannot be exported as required (forbidden op, dynamic shape, wrong signature, ...)."""


@dataclasses.dataclass
class ModelInfo:
    """What is inside a .tflite file."""

    ops: collections.Counter            # operator name -> count (custom ops as "CUSTOM:<name>")
    signatures: dict                    # key -> {"inputs": {name: (shape, dtype)}, "outputs": {...}}
    dynamic_tensors: list               # names of tensors whose shape signature has a -1
    variable_tensors: list              # names of tensors marked as variables
    size_bytes: int

    def histogram(self) -> dict:
        return dict(sorted(self.ops.items(), key=lambda kv: (-kv[1], kv[0])))


def _schema():
    # TensorFlow ships the generated flatbuffer reader of the TFLite schema.
    from tensorflow.lite.python import schema_py_generated as schema
    return schema


_TENSOR_TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 6: "bool", 7: "int16",
                 9: "int8", 10: "float64"}


def _read_bytes(model: bytes | str | os.PathLike) -> bytes:
    if isinstance(model, (bytes, bytearray)):
        return bytes(model)
    path = os.fspath(model)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such TFLite file")
    with open(path, "rb") as f:
        return f.read()


def inspect_model(model: bytes | str | os.PathLike) -> ModelInfo:
    """Operator histogram, signatures and dynamic/variable tensors of a .tflite file (path or bytes)."""
    buf = _read_bytes(model)
    schema = _schema()
    try:
        m = schema.Model.GetRootAs(buf, 0)
        names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
        opcodes = []
        for i in range(m.OperatorCodesLength()):
            oc = m.OperatorCodes(i)
            code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
            name = names.get(code, f"BUILTIN_{code}")
            if name == "CUSTOM":
                custom = oc.CustomCode()
                name = "CUSTOM:" + (custom.decode() if custom else "?")
            opcodes.append(name)
        ops = collections.Counter()
        dynamic, variables = [], []
        for s in range(m.SubgraphsLength()):
            sg = m.Subgraphs(s)
            for j in range(sg.OperatorsLength()):
                ops[opcodes[sg.Operators(j).OpcodeIndex()]] += 1
            for k in range(sg.TensorsLength()):
                t = sg.Tensors(k)
                sig = t.ShapeSignatureAsNumpy() if t.ShapeSignatureLength() else None
                if sig is not None and np.any(np.asarray(sig) < 0):
                    dynamic.append(t.Name().decode())
                if t.IsVariable():
                    variables.append(t.Name().decode())
        signatures = {}
        sg0 = m.Subgraphs(0)
        for i in range(m.SignatureDefsLength()):
            sd = m.SignatureDefs(i)
            sg = m.Subgraphs(sd.SubgraphIndex())

            def tensors(n, get):
                out = {}
                for j in range(n):
                    tm = get(j)
                    t = sg.Tensors(tm.TensorIndex())
                    out[tm.Name().decode()] = (tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else (),
                                               _TENSOR_TYPES.get(t.Type(), str(t.Type())))
                return out

            signatures[sd.SignatureKey().decode()] = {"inputs": tensors(sd.InputsLength(), sd.Inputs),
                                                      "outputs": tensors(sd.OutputsLength(), sd.Outputs)}
        del sg0
    except Exception as e:  # a truncated or foreign file
        raise ExportError(f"cannot read the TFLite flatbuffer ({type(e).__name__}: {e})") from e
    return ModelInfo(ops=ops, signatures=signatures, dynamic_tensors=dynamic, variable_tensors=variables,
                     size_bytes=len(buf))


def check_model(model: bytes | str | os.PathLike, inputs: Mapping[str, tuple] | None = None,
                outputs: Mapping[str, tuple] | None = None, signature_key: str = "serving_default",
                what: str = "model") -> ModelInfo:
    """Fail loudly (ExportError naming the problem) unless the file has builtin ops only, no resource
    variables, only static shapes, and (when given) exactly the signature inputs/outputs {name: (shape, dtype)}.
    Returns the ModelInfo."""
    info = inspect_model(model)
    bad = sorted(op for op in info.ops if op in FORBIDDEN_OPS or op.startswith("CUSTOM") or op.startswith("Flex"))
    if bad:
        raise ExportError(f"{what}: the converted model uses non-builtin or resource-variable ops {bad} "
                          "(Flex ops need TensorFlow at run time; VAR_HANDLE/READ_VARIABLE mean unfrozen weights)")
    if info.variable_tensors:
        raise ExportError(f"{what}: the converted model has variable tensors {info.variable_tensors[:5]}")
    if info.dynamic_tensors:
        raise ExportError(f"{what}: {len(info.dynamic_tensors)} tensors have dynamic shapes "
                          f"(-1 in shape_signature), e.g. {info.dynamic_tensors[:3]}")
    if signature_key not in info.signatures:
        raise ExportError(f"{what}: no signature {signature_key!r} (found {sorted(info.signatures)})")
    sig = info.signatures[signature_key]
    for kind, expected in (("inputs", inputs), ("outputs", outputs)):
        if expected is None:
            continue
        got = sig[kind]
        if set(got) != set(expected):
            raise ExportError(f"{what}: signature {kind} are {sorted(got)}, expected {sorted(expected)}")
        for name, (shape, dtype) in expected.items():
            if tuple(got[name][0]) != tuple(shape) or got[name][1] != dtype:
                raise ExportError(f"{what}: signature {kind[:-1]} {name!r} is {got[name][1]} {list(got[name][0])}, "
                                  f"expected {dtype} {list(shape)}")
    return info


# ------------------------------------------------------------------------------------------ conversion

def convert_saved_model(saved_model_dir: str | os.PathLike, quantization: str = "float32",
                        representative_dataset: Callable[[], Iterable[Mapping[str, np.ndarray]]] | None = None,
                        signature_key: str = "serving_default",
                        int8_scopes: Sequence[str] | None = None) -> bytes:
    """Convert one signature of a SavedModel with builtin ops only.

    quantization: "float32" (none), "dynamic" (int8 weights, float activations), "float16" (float16 weights),
    "int8" (int8 weights and activations calibrated on `representative_dataset`, a callable returning an
    iterable of {input name: array} dicts; float inputs/outputs are kept, and the few operators without an
    int8 kernel stay float), "int16x8" (int8 weights, int16 activations, calibrated the same way: TFLite's
    16x8 scheme, 256 times finer activation steps than int8; operators without a 16x8 kernel stay float).
    int8_scopes (int8 only): quantize only the operators whose output tensor name lies under one of these
    top-level name scopes (e.g. ("decoder",) for the Keras layer "decoder", exported as "decoder_1/..."); every
    other operator keeps float weights and activations (TensorFlow's QuantizationDebugger denylist, the public
    way to do selective quantization).
    """
    import tensorflow as tf

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    conv = tf.lite.TFLiteConverter.from_saved_model(os.fspath(saved_model_dir), signature_keys=[signature_key])
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    conv.allow_custom_ops = False
    if quantization == "dynamic":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    elif quantization == "float16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif quantization in ("int8", "int16x8"):
        if representative_dataset is None:
            raise ValueError(f"{quantization} quantization needs a representative dataset")
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        # Integer first, float builtins as the fallback for ops without an integer kernel (EXP, CUMSUM,
        # comparisons of the duration path): the interface stays float32 (inference_input/output_type default).
        integer = (tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if quantization == "int8"
                   else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8)
        conv.target_spec.supported_ops = [integer, tf.lite.OpsSet.TFLITE_BUILTINS]

        def gen():
            for sample in representative_dataset():
                yield {k: np.asarray(v) for k, v in sample.items()}

        conv.representative_dataset = gen
    try:
        if quantization == "int8" and int8_scopes:
            return _selective_int8(conv, os.fspath(saved_model_dir), signature_key, gen, int8_scopes)
        return conv.convert()
    except Exception as e:
        lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
        # The converter's message is long; keep the lines that name the unsupported ops.
        named = [ln for ln in lines if ln.startswith(("TF Select ops:", "Custom ops:", "Flex ops:"))]
        detail = "; ".join(named) if named else (lines[-1] if lines else type(e).__name__)
        if named:
            detail += " (no TFLite builtin for these ops; only builtin ops are allowed)"
        raise ExportError(f"TFLite conversion ({quantization}) of {os.fspath(saved_model_dir)} failed: "
                          f"{detail}") from e


def _selective_int8(conv, saved_model_dir: str, signature_key: str, gen, scopes: Sequence[str]) -> bytes:
    import re

    import tensorflow as tf

    # Tensor names as the converter gives them (fused ops join several names with ";").
    plain = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir, signature_keys=[signature_key]).convert()
    names = [d["name"] for d in tf.lite.Interpreter(model_content=plain).get_tensor_details()]
    inside = re.compile(r"^(%s)(_\d+)?/" % "|".join(re.escape(s) for s in scopes))
    denylist = sorted({n for n in names if n and not any(inside.match(part) for part in n.split(";") if part)})
    if len(denylist) == len(set(names)):
        raise ExportError(f"int8: no operator lies under the scopes {list(scopes)}")
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=denylist)
    debugger = tf.lite.experimental.QuantizationDebugger(converter=conv, debug_dataset=gen, debug_options=options)
    return debugger.get_nondebug_quantized_model()


# --------------------------------------------------------------------------------------------- running

def interpreter_backends() -> dict[str, Callable[..., Any]]:
    """The TFLite interpreters importable here: {"ai-edge-litert", "tflite-runtime", "tensorflow"} -> class.

    Discovery is runtime.interpreters' (the one place that knows the interpreters and how to import them)."""
    from ..runtime.interpreters import RUNTIMES, InterpreterUnavailable, import_interpreter

    out: dict[str, Callable[..., Any]] = {}
    for name in RUNTIMES:
        try:
            out[name] = import_interpreter(name)[1].Interpreter
        except InterpreterUnavailable:  # not installed or broken (e.g. numpy 2 with an old wheel)
            pass
    return out


class SignatureModel:
    """A .tflite file's signature runner: call with numpy inputs by name, get {output name: array}."""

    def __init__(self, model: bytes | str | os.PathLike, backend: str = "ai-edge-litert",
                 signature_key: str = "serving_default", num_threads: int | None = None):
        backends = interpreter_backends()
        if backend not in backends:
            raise ValueError(f"TFLite interpreter {backend!r} is not available (have {sorted(backends)})")
        cls = backends[backend]
        kwargs = {"num_threads": num_threads} if num_threads else {}
        if isinstance(model, (bytes, bytearray)):
            self.interpreter = cls(model_content=bytes(model), **kwargs)
        else:
            path = os.fspath(model)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{path}: no such TFLite file")
            self.interpreter = cls(model_path=path, **kwargs)
        self.backend = backend
        self.runner = self.interpreter.get_signature_runner(signature_key)
        self.input_details = self.runner.get_input_details()
        self.output_details = self.runner.get_output_details()

    def __call__(self, **inputs) -> dict[str, np.ndarray]:
        feed = {}
        for name, detail in self.input_details.items():
            if name not in inputs:
                raise ValueError(f"missing input {name!r} (inputs: {sorted(self.input_details)})")
            value = np.asarray(inputs[name], dtype=detail["dtype"])
            if tuple(value.shape) != tuple(detail["shape"]):
                raise ValueError(f"input {name!r} must have shape {list(detail['shape'])}, got {list(value.shape)}")
            feed[name] = value
        return {k: np.array(v) for k, v in self.runner(**feed).items()}


def smoke_run(model: bytes | str | os.PathLike, inputs: Mapping[str, np.ndarray] | None = None,
              backends: Iterable[str] | None = None, signature_key: str = "serving_default"
              ) -> dict[str, dict[str, np.ndarray]]:
    """Load and invoke the model once in each backend (all available ones by default) on `inputs` (zeros
    when None); returns {backend: {output: array}}. Raises ExportError naming the backend that cannot load
    or run it, or that gives non-finite float outputs."""
    available = interpreter_backends()
    names = list(available) if backends is None else list(backends)
    out = {}
    for name in names:
        try:
            m = SignatureModel(model, name, signature_key)
            feed = inputs if inputs is not None else {k: np.zeros(d["shape"], d["dtype"])
                                                      for k, d in m.input_details.items()}
            result = m(**feed)
        except Exception as e:  # noqa: BLE001 - reported with the backend's name
            raise ExportError(f"the model does not load/run in {name}: {type(e).__name__}: "
                              f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}") from e
        bad = [k for k, v in result.items() if v.dtype.kind == "f" and not np.all(np.isfinite(v))]
        if bad:
            raise ExportError(f"the model gives non-finite {bad} in {name} on zero input")
        out[name] = result
    return out


__all__ = ["ExportError", "ModelInfo", "inspect_model", "check_model", "convert_saved_model",
           "interpreter_backends", "SignatureModel", "smoke_run", "FORBIDDEN_OPS", "SLOW_OPS", "QUANTIZATIONS"]
