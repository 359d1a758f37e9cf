"""Import the authors' SpeedySpeech student and teacher checkpoints (PyTorch `.pth`) into our Keras models.

Every state-dict key maps to exactly one Keras variable (the `collate.stft.*` buffers of the reference's data
loading code and BatchNorm `num_batches_tracked` counters are ignored):

    PyTorch Conv1d weight [out, in, k]  -> Keras Conv1D kernel [k, in, out]
    Embedding weight [vocab, dim]       -> PaddedEmbedding embeddings [vocab, dim]
    BatchNorm weight / bias / running_mean / running_var -> gamma / beta / moving_mean / moving_variance

The model configuration is read from the checkpoint's shapes (vocabulary, channels, n_mels, kernel sizes,
number of blocks); dilations cannot be seen in weights, so they are the reference's when the number of blocks
is the reference's, and otherwise must be given (`config=`). A checkpoint that does not fit fails with a
message naming the first offending key. No PyTorch needed.
"""
from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from ..config import StudentConfig, TeacherConfig
from .pth import load_pth


class ReferenceImportError(ValueError):
    """A reference checkpoint does not fit the model (or is not the kind of checkpoint expected)."""


IGNORED_PREFIXES = ("collate.",)
IGNORED_SUFFIXES = ("num_batches_tracked",)


# --------------------------------------------------------------------------------------------------------
# state-dict helpers
# --------------------------------------------------------------------------------------------------------


def _describe(src) -> str:
    return os.fspath(src) if isinstance(src, (str, os.PathLike)) else "checkpoint"


def load_state_dict(pth_or_dict) -> tuple[OrderedDict, str]:
    """A `.pth` path, a loaded checkpoint dict ({'state_dict': ...}) or a state dict -> (state dict, name)."""
    name = _describe(pth_or_dict)
    ckpt = load_pth(pth_or_dict) if isinstance(pth_or_dict, (str, os.PathLike)) else pth_or_dict
    if not isinstance(ckpt, dict):
        raise ReferenceImportError(f"{name}: expected a checkpoint dict, found {type(ckpt).__name__}")
    sd = ckpt.get("state_dict", ckpt)
    if not isinstance(sd, dict) or not all(isinstance(k, str) for k in sd):
        raise ReferenceImportError(f"{name}: no state dict of named tensors found")
    out = OrderedDict()
    for key, value in sd.items():
        if key.startswith(IGNORED_PREFIXES) or key.endswith(IGNORED_SUFFIXES):
            continue
        out[key] = np.asarray(value)
    return out, name


def _need(sd, key, name, ndim=None):
    if key not in sd:
        raise ReferenceImportError(f"{name}: checkpoint lacks {key!r} (needed to read the model's shape); "
                                   "is it a checkpoint of this model?")
    arr = sd[key]
    if ndim is not None and arr.ndim != ndim:
        raise ReferenceImportError(f"{name}: {key} has shape {list(arr.shape)}, expected {ndim} dimensions")
    return arr


def _count_blocks(sd, pattern: str) -> int:
    """Number of distinct indices i for keys matching `pattern` (a regex with one group for i)."""
    rx = re.compile(pattern)
    idx = {int(m.group(1)) for k in sd for m in [rx.match(k)] if m}
    return len(idx)


def _indices(sd, pattern: str) -> list[int]:
    rx = re.compile(pattern)
    return sorted({int(m.group(1)) for k in sd for m in [rx.match(k)] if m})


def _dilations(count: int, default: tuple, what: str, name: str) -> tuple:
    if count == len(default):
        return tuple(default)
    raise ReferenceImportError(
        f"{name}: the checkpoint has {count} {what} (the reference has {len(default)}); dilations cannot be "
        "read from the weights: pass a config with the right dilations")


# --------------------------------------------------------------------------------------------------------
# config inference
# --------------------------------------------------------------------------------------------------------


def infer_student_config(sd, name="checkpoint") -> StudentConfig:
    d = StudentConfig()
    vocab, channels = _need(sd, "encoder.prenet.0.weight", name, 2).shape
    n_mels = _need(sd, "decoder.post_net2.1.weight", name, 3).shape[0]
    enc_k = _need(sd, "encoder.res_blocks.0.blocks.0.0.weight", name, 3).shape[2]
    dec_k = _need(sd, "decoder.res_blocks.0.blocks.0.0.weight", name, 3).shape[2]
    n_enc = _count_blocks(sd, r"encoder\.res_blocks\.(\d+)\.")
    n_dec = _count_blocks(sd, r"decoder\.res_blocks\.(\d+)\.")
    dp = _indices(sd, r"duration_predictor\.layers\.(\d+)\.blocks\.")
    dp_kernels = tuple(int(_need(sd, f"duration_predictor.layers.{i}.blocks.0.0.weight", name, 3).shape[2])
                       for i in dp)
    return StudentConfig(
        num_symbols=int(vocab), channels=int(channels), n_mels=int(n_mels),
        encoder_kernel_size=int(enc_k),
        encoder_dilations=_dilations(n_enc, d.encoder_dilations, "encoder residual blocks", name),
        decoder_kernel_size=int(dec_k),
        decoder_dilations=_dilations(n_dec, d.decoder_dilations, "decoder residual blocks", name),
        duration_kernel_sizes=dp_kernels,
    )


def infer_teacher_config(sd, name="checkpoint") -> TeacherConfig:
    d = TeacherConfig()
    vocab, channels = _need(sd, "txt_encoder.embedding.weight", name, 2).shape
    filt = _need(sd, "txt_encoder.layers.2.filter.weight", name, 3)
    n_mels = _need(sd, "audio_encoder.layers.0.weight", name, 3).shape[1]
    att_hidden = _need(sd, "attention.fc_query.weight", name, 3).shape[0]
    n_txt = _count_blocks(sd, r"txt_encoder\.layers\.(\d+)\.filter\.")
    n_aud = _count_blocks(sd, r"audio_encoder\.layers\.(\d+)\.filter\.")
    n_dec = _count_blocks(sd, r"audio_decoder\.layers\.(\d+)\.filter\.")
    return TeacherConfig(
        num_symbols=int(vocab), channels=int(channels), hidden_channels=int(filt.shape[0]),
        kernel_size=int(filt.shape[2]), n_mels=int(n_mels), attention_hidden_channels=int(att_hidden),
        text_encoder_dilations=_dilations(n_txt, d.text_encoder_dilations, "text-encoder blocks", name),
        audio_encoder_dilations=_dilations(n_aud, d.audio_encoder_dilations, "audio-encoder blocks", name),
        decoder_dilations=_dilations(n_dec, d.decoder_dilations, "decoder blocks", name),
    )


# --------------------------------------------------------------------------------------------------------
# key -> variable maps
# --------------------------------------------------------------------------------------------------------

# transform name -> (PyTorch array -> Keras array)
_TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "conv": lambda w: np.transpose(w, (2, 1, 0)),  # [out, in, k] -> [k, in, out]
    "same": lambda w: w,
}
_INVERSE_SHAPE = {"conv": lambda s: (s[2], s[1], s[0]), "same": lambda s: tuple(s)}


class _WeightMap:
    def __init__(self):
        self.entries: "OrderedDict[str, tuple[Any, str]]" = OrderedDict()

    def add(self, key, variable, transform="same"):
        assert key not in self.entries, key
        self.entries[key] = (variable, transform)

    def conv(self, prefix, layer):
        """A keras Conv1D (or our ZeroPaddedConv1D)."""
        conv = getattr(layer, "conv", layer)
        self.add(prefix + ".weight", conv.kernel, "conv")
        self.add(prefix + ".bias", conv.bias)

    def bn(self, prefix, layer):
        self.add(prefix + ".weight", layer.gamma)
        self.add(prefix + ".bias", layer.beta)
        self.add(prefix + ".running_mean", layer.moving_mean)
        self.add(prefix + ".running_var", layer.moving_variance)

    def res_block(self, prefix, block):
        # reference: blocks.j = Sequential(Conv1d [0], ZeroTemporalPad [1], ReLU [2], BatchNorm [3])
        for j, (conv, norm) in enumerate(zip(block.convs, block.norms)):
            self.conv(f"{prefix}.blocks.{j}.0", conv)
            self.bn(f"{prefix}.blocks.{j}.3", norm)

    def gated(self, prefix, block):
        self.conv(prefix + ".filter", block.filter)
        self.conv(prefix + ".gate", block.gate)
        self.conv(prefix + ".conv1x1_resid", block.resid)


def student_weight_map(model) -> "OrderedDict[str, tuple[Any, str]]":
    m = _WeightMap()
    enc = model.encoder
    m.add("encoder.prenet.0.weight", enc.embedding.embeddings)
    m.conv("encoder.prenet.1", enc.prenet_conv)
    for i, block in enumerate(enc.res_blocks):
        m.res_block(f"encoder.res_blocks.{i}", block)
    m.conv("encoder.post_net1.0", enc.post_conv1)
    m.bn("encoder.post_net2.1", enc.post_norm)
    m.conv("encoder.post_net2.2", enc.post_conv2)
    dec = model.decoder
    for i, block in enumerate(dec.res_blocks):
        m.res_block(f"decoder.res_blocks.{i}", block)
    m.conv("decoder.post_net1.0", dec.post_conv1)
    m.res_block("decoder.post_net2.0", dec.post_block)
    m.conv("decoder.post_net2.1", dec.out_conv)
    dp = model.duration_predictor
    for i, block in enumerate(dp.blocks):
        m.res_block(f"duration_predictor.layers.{i}", block)
    m.conv(f"duration_predictor.layers.{len(dp.blocks)}", dp.out_conv)
    return m.entries


def teacher_weight_map(model) -> "OrderedDict[str, tuple[Any, str]]":
    m = _WeightMap()
    txt = model.text_encoder
    # txt_encoder.layers = [Conv1d, ReLU, blocks..., Conv1d]
    m.add("txt_encoder.embedding.weight", txt.embedding.embeddings)
    m.conv("txt_encoder.layers.0", txt.conv_in)
    for i, block in enumerate(txt.blocks):
        m.gated(f"txt_encoder.layers.{2 + i}", block)
    m.conv(f"txt_encoder.layers.{2 + len(txt.blocks)}", txt.conv_out)
    # audio_encoder.layers = [Conv1d, ReLU, blocks...]
    aud = model.audio_encoder
    m.conv("audio_encoder.layers.0", aud.conv_in)
    for i, block in enumerate(aud.blocks):
        m.gated(f"audio_encoder.layers.{2 + i}", block)
    # audio_decoder.layers = [blocks..., (Conv1d, ReLU) x3, Conv1d, Sigmoid]
    dec = model.audio_decoder
    n = len(dec.blocks)
    for i, block in enumerate(dec.blocks):
        m.gated(f"audio_decoder.layers.{i}", block)
    for j, conv in enumerate(dec.convs):
        m.conv(f"audio_decoder.layers.{n + 2 * j}", conv)
    m.conv(f"audio_decoder.layers.{n + 2 * len(dec.convs)}", dec.conv_out)
    att = model.attention
    for name in ("fc_query", "fc_keys", "fc_values", "fc_out"):
        m.conv(f"attention.{name}", getattr(att, name))
    return m.entries


def assign_state_dict(model, sd: "OrderedDict[str, np.ndarray]", weight_map, name="checkpoint") -> None:
    """Check every key and shape (first problem raises ReferenceImportError), then assign all variables."""
    mapped = {id(v) for v, _ in weight_map.values()}
    unmapped = [w.path for w in model.weights if id(w) not in mapped]
    if unmapped:  # a bug in the map, not in the checkpoint
        raise AssertionError(f"model weights without a checkpoint key: {unmapped[:5]}")
    values = []
    for key, arr in sd.items():
        if key not in weight_map:
            raise ReferenceImportError(f"{name}: key {key!r} (shape {list(arr.shape)}) is not used by the model")
        variable, transform = weight_map[key]
        expected = _INVERSE_SHAPE[transform](tuple(variable.shape))
        if tuple(arr.shape) != tuple(expected):
            raise ReferenceImportError(f"{name}: {key} has shape {list(arr.shape)}, the model expects "
                                       f"{list(expected)}")
        values.append((variable, _TRANSFORMS[transform](arr).astype(np.float32)))
    missing = [k for k in weight_map if k not in sd]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise ReferenceImportError(f"{name}: checkpoint lacks {missing[0]!r}{more}, which the model needs")
    for variable, value in values:
        variable.assign(value)


# --------------------------------------------------------------------------------------------------------
# importers
# --------------------------------------------------------------------------------------------------------


def import_student(pth_or_dict, config: StudentConfig | None = None):
    """Reference SpeedySpeech checkpoint -> (SpeedySpeechStudent with its weights, StudentConfig)."""
    from ..models.student import build_student

    sd, name = load_state_dict(pth_or_dict)
    if not any(k.startswith(("encoder.", "decoder.", "duration_predictor.")) for k in sd):
        raise ReferenceImportError(f"{name}: not a SpeedySpeech student checkpoint (no encoder./decoder./"
                                   "duration_predictor. keys)")
    cfg = config or infer_student_config(sd, name)
    model = build_student(cfg)
    assign_state_dict(model, sd, student_weight_map(model), name)
    return model, cfg


def import_teacher(pth_or_dict, config: TeacherConfig | None = None):
    """Reference DurationExtractor checkpoint -> (DurationExtractor with its weights, TeacherConfig)."""
    from ..models.teacher import build_teacher

    sd, name = load_state_dict(pth_or_dict)
    if not any(k.startswith("txt_encoder.") for k in sd):
        raise ReferenceImportError(f"{name}: not a duration-extractor (teacher) checkpoint (no txt_encoder. keys)")
    cfg = config or infer_teacher_config(sd, name)
    model = build_teacher(cfg)
    assign_state_dict(model, sd, teacher_weight_map(model), name)
    return model, cfg


# --------------------------------------------------------------------------------------------------------
# runners: the reference's stored outputs, computed by our model from the stored inputs
# --------------------------------------------------------------------------------------------------------

STUDENT_INPUTS = ("phonemes", "phoneme_lengths", "given_durations")
TEACHER_INPUTS = ("phonemes", "phoneme_lengths", "spectrograms")


def run_student_reference(model, npz) -> dict[str, np.ndarray]:
    """Every output of student_seed0.npz: encoder_out, log_durations, decoder_in_given_durations,
    mel_given_durations, durations_inference, mel_inference (eval mode). That fixture is the reference's
    batched forward, where padding reaches the convolutions: the model runs with mask_padding off for it."""
    import tensorflow as tf

    phonemes = tf.constant(np.asarray(npz["phonemes"]), tf.int32)
    lengths = tf.constant(np.asarray(npz["phoneme_lengths"]), tf.int32)
    durations = tf.constant(np.asarray(npz["given_durations"]), tf.float32)
    masked = model.config.mask_padding
    model.config.mask_padding = False
    try:
        enc = model.encode(phonemes, training=False)
        log_d = model.predict_log_durations(enc, training=False)
        dec_in, _, _ = model.expand(enc, durations)
        mel_given = model.decode(dec_in, training=False)
        mel_inf, dur_inf, _ = model.infer(phonemes, lengths)
    finally:
        model.config.mask_padding = masked
    out = {"encoder_out": enc, "log_durations": log_d, "decoder_in_given_durations": dec_in,
           "mel_given_durations": mel_given, "durations_inference": dur_inf, "mel_inference": mel_inf}
    return {k: np.asarray(v) for k, v in out.items()}


def single_sentences(npz) -> list[tuple[np.ndarray, int]]:
    """The sentences of student_seed0_single.npz: (ids [1, L + 5] with the 5 trailing zeros, L) each."""
    out = []
    i = 0
    while f"phonemes_{i}" in npz:
        ids = np.asarray(npz[f"phonemes_{i}"], np.int32)
        out.append((ids, int(ids.shape[1]) - 5))
        i += 1
    return out


def run_student_single_reference(model, npz) -> dict[str, np.ndarray]:
    """durations_i and mel_i of student_seed0_single.npz (the reference's inference.py, one sentence at a
    time), from the model's `infer` (mask_padding on: the output does not depend on the buffer)."""
    import tensorflow as tf

    out = {}
    for i, (ids, length) in enumerate(single_sentences(npz)):
        mel, dur, frames = model.infer(tf.constant(ids), tf.constant([length], tf.int32))
        out[f"durations_{i}"] = np.asarray(dur)
        out[f"mel_{i}"] = np.asarray(mel)[:, :int(frames[0])]
    return out


def run_teacher_reference(model, npz) -> dict[str, np.ndarray]:
    """output_0 (decoded spectrogram) and output_1 (attention weights) of teacher_seed0.npz."""
    import tensorflow as tf

    decoded, weights = model({"phonemes": tf.constant(np.asarray(npz["phonemes"]), tf.int32),
                              "phoneme_lengths": tf.constant(np.asarray(npz["phoneme_lengths"]), tf.int32),
                              "mel": tf.constant(np.asarray(npz["spectrograms"]), tf.float32)}, training=False)
    return {"output_0": np.asarray(decoded), "output_1": np.asarray(weights)}


__all__ = [
    "ReferenceImportError", "import_student", "import_teacher", "run_student_reference", "run_teacher_reference",
    "run_student_single_reference", "single_sentences",
    "infer_student_config", "infer_teacher_config", "student_weight_map", "teacher_weight_map",
    "load_state_dict", "assign_state_dict", "STUDENT_INPUTS", "TEACHER_INPUTS",
]
