"""Building blocks shared by the teacher and the student (Keras 3 layers, channels-last [B, T, C]).

Everything here is written so that it runs unchanged inside `tf.function` (no Python-side state per call)
and converts to TFLite with builtin operators only (no tf.repeat / RaggedTensor / scatter).
"""
from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

# --------------------------------------------------------------------------------------------------------
# Positional encoding
# --------------------------------------------------------------------------------------------------------


def positional_encoding_denominators(channels: int) -> np.ndarray:
    """The per-channel divisors of the reference's positional encoding, float32, shape [channels].

    The reference (janvainer/speedyspeech, functional.py) writes `10.0**4**(cols/channels)`, which Python
    reads as 10^(4^(2i/C)) (not the paper's 10000^(2i/C)); released checkpoints were trained with it.
    Channel 2i (sine) and 2i+1 (cosine) share the divisor. Computed in float32 like the reference.
    """
    if channels % 2:
        raise ValueError(f"positional encoding needs an even number of channels, got {channels}")
    cols = (2 * np.arange(channels // 2, dtype=np.float32)) / np.float32(channels)
    denom = np.power(np.float32(10.0), np.power(np.float32(4.0), cols, dtype=np.float32), dtype=np.float32)
    return np.repeat(denom, 2).astype(np.float32)


def positional_encoding(positions, channels: int, weight: float = 1.0):
    """sin/cos positional encoding of (float) `positions` [...] -> [..., channels].

    Even channels: sin(w * pos / den_i), odd channels: cos(w * pos / den_i) (the reference's layout).
    Positions may be any real tensor (frame index over the utterance, or index within a phoneme), so the
    same code serves both student variants and the teacher's keys/queries.
    """
    denom = tf.constant(positional_encoding_denominators(channels))
    pos = tf.cast(positions, tf.float32)
    angle = (tf.constant(weight, tf.float32) * pos)[..., None] / denom
    even = tf.constant(np.arange(channels) % 2 == 0)
    # Both sin and cos of every angle, then pick per channel: SIN, COS and SELECT_V2 are TFLite builtins,
    # and unlike sin(x + pi/2) this keeps the cosine exact for large arguments.
    return tf.where(even, tf.sin(angle), tf.cos(angle))


def positional_encoding_table(length: int, channels: int, weight: float = 1.0) -> np.ndarray:
    """numpy version over positions 0..length-1 -> [length, channels] (for tests and the TF-free side)."""
    denom = positional_encoding_denominators(channels)
    angle = (np.float32(weight) * np.arange(length, dtype=np.float32))[:, None] / denom
    return np.where(np.arange(channels) % 2 == 0, np.sin(angle), np.cos(angle)).astype(np.float32)


# --------------------------------------------------------------------------------------------------------
# Embedding with a frozen padding row
# --------------------------------------------------------------------------------------------------------


class PaddedEmbedding(keras.layers.Layer):
    """Embedding whose row `padding_id` starts at zero and never receives gradient.

    Hand-written because keras.layers.Embedding has no equivalent of PyTorch's `padding_idx`. The row keeps
    whatever value it was loaded with (the random reference checkpoints have a non-zero row 0, which parity
    needs), it is only excluded from training.
    """

    def __init__(self, num_symbols: int, dim: int, padding_id: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_symbols = int(num_symbols)
        self.dim = int(dim)
        self.padding_id = int(padding_id)

    def build(self, input_shape=None):
        pad = self.padding_id

        def init(shape, dtype=None):
            w = keras.initializers.RandomNormal(stddev=1.0)(shape, dtype=dtype)  # as torch nn.Embedding
            return tf.tensor_scatter_nd_update(w, [[pad]], tf.zeros([1, shape[1]], w.dtype))

        self.embeddings = self.add_weight(name="embeddings", shape=(self.num_symbols, self.dim),
                                          initializer=init, trainable=True)

    def call(self, ids):
        ids = tf.cast(ids, tf.int32)
        table = self.embeddings
        rows = tf.range(self.num_symbols)[:, None]
        table = tf.where(rows == self.padding_id, tf.stop_gradient(table), table)
        return tf.gather(table, ids)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.dim,)


# --------------------------------------------------------------------------------------------------------
# Student: valid dilated convolution + zero padding of its output
# --------------------------------------------------------------------------------------------------------


class ZeroPaddedConv1D(keras.layers.Layer):
    """Conv1D without padding, then zeros padded onto its OUTPUT: floor(d(k-1)/2) before, the rest after.

    This is the reference's `Conv1d(k, dilation=d)` followed by `ZeroTemporalPad(k, d)`. It differs from
    "same" padding near the edges (the edge outputs are exactly zero instead of convolutions over padded
    input). The reference crashes when T < d(k-1)+1; here the input is first padded on the right with zeros
    so that the valid convolution has at least one output, and the result is cropped back to T. For
    T >= d(k-1)+1 nothing is padded and the result is the reference's exactly.
    """

    def __init__(self, filters: int, kernel_size: int, dilation: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.dilation = int(dilation)
        self.total_pad = self.dilation * (self.kernel_size - 1)
        self.pad_begin = self.total_pad // 2
        self.pad_end = self.total_pad - self.pad_begin
        self.conv = keras.layers.Conv1D(self.filters, self.kernel_size, dilation_rate=self.dilation,
                                        padding="valid", name="conv")

    def build(self, input_shape):
        self.conv.build((input_shape[0], None, input_shape[-1]))  # any length works (see call)

    def call(self, x, lengths=None):
        """lengths [B] (optional): each item's valid length. Outputs at t >= length - pad_end are zeroed, as
        the reference gives (its valid convolution has no output there) for the item alone, so padding past the
        length never reaches a valid output."""
        y = self._conv(x)
        if lengths is None:
            return y
        limit = tf.cast(lengths, tf.int32) - self.pad_end
        keep = tf.range(tf.shape(y)[1])[None, :] < limit[:, None]
        return y * tf.cast(keep, y.dtype)[..., None]

    def _conv(self, x):
        if self.total_pad == 0:
            return self.conv(x)
        need = self.total_pad + 1
        static_t = x.shape[1]
        short_possible = static_t is None or static_t < need
        if short_possible:
            t = tf.shape(x)[1]
            extra = tf.maximum(need - t, 0)
            x = tf.pad(x, tf.stack([[0, 0], tf.stack([0, extra]), [0, 0]]))
        y = self.conv(x)
        y = tf.pad(y, [[0, 0], [self.pad_begin, self.pad_end], [0, 0]])
        if short_possible:
            y = y[:, :t]
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)


class ResidualBlock(keras.layers.Layer):
    """The student's residual block: x + (n x [ZeroPaddedConv1D -> ReLU -> BatchNorm])(x)."""

    def __init__(self, channels: int, kernel_size: int, dilation: int, n: int = 2, epsilon: float = 1e-5,
                 momentum: float = 0.9, **kwargs):
        super().__init__(**kwargs)
        self.convs = [ZeroPaddedConv1D(channels, kernel_size, dilation, name=f"conv_{i}") for i in range(n)]
        self.norms = [keras.layers.BatchNormalization(axis=-1, epsilon=epsilon, momentum=momentum,
                                                      name=f"norm_{i}") for i in range(n)]

    def build(self, input_shape):
        shape = (input_shape[0], None, input_shape[-1])
        for conv, norm in zip(self.convs, self.norms):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm.build(shape)

    def call(self, x, training=False, lengths=None):
        y = x
        for conv, norm in zip(self.convs, self.norms):
            y = norm(tf.nn.relu(conv(y, lengths)), training=training)
        return x + y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


# --------------------------------------------------------------------------------------------------------
# Teacher: gated (WaveNet-style) residual block, causal or centred
# --------------------------------------------------------------------------------------------------------


class GatedResidualBlock(keras.layers.Layer):
    """x + conv1x1(tanh(filter(pad(x))) * sigmoid(gate(pad(x)))), the reference's WaveResidualBlock.

    Padding d(k-1) zeros: all before the input when `causal` (output t sees inputs <= t), else split
    floor/ceil before/after. No skip output and no dropout (the reference's defaults).

    Causal blocks can also run one frame at a time with an explicit state (the last d(k-1) inputs), see
    `initial_state` / `step`: running `step` over frames 0..T-1 from `initial_state` gives exactly `call`
    on the whole sequence, because the initial state is the zero padding.
    """

    def __init__(self, channels: int, hidden_channels: int, kernel_size: int, dilation: int,
                 causal: bool, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.kernel_size = int(kernel_size)
        self.dilation = int(dilation)
        self.causal = bool(causal)
        self.total_pad = self.dilation * (self.kernel_size - 1)
        if self.causal:
            self.pad_begin, self.pad_end = self.total_pad, 0
        else:
            self.pad_begin = self.total_pad // 2
            self.pad_end = self.total_pad - self.pad_begin
        self.filter = keras.layers.Conv1D(hidden_channels, kernel_size, dilation_rate=dilation, name="filter")
        self.gate = keras.layers.Conv1D(hidden_channels, kernel_size, dilation_rate=dilation, name="gate")
        self.resid = keras.layers.Conv1D(channels, 1, name="conv1x1_resid")

    def build(self, input_shape):
        shape = (input_shape[0], None, input_shape[-1])
        self.filter.build(shape)
        self.gate.build(shape)
        self.resid.build(tuple(shape[:-1]) + (self.filter.filters,))

    def _gated(self, padded):
        return tf.tanh(self.filter(padded)) * tf.sigmoid(self.gate(padded))

    def call(self, x):
        padded = tf.pad(x, [[0, 0], [self.pad_begin, self.pad_end], [0, 0]])
        return x + self.resid(self._gated(padded))

    def initial_state(self, batch_size):
        """Zero state for `step`: [B, d(k-1), C] (causal blocks only)."""
        if not self.causal:
            raise ValueError(f"{self.name}: only causal blocks can run step by step")
        return tf.zeros(tf.stack([batch_size, self.total_pad, self.channels]), tf.float32)

    def step(self, x, state):
        """x: [B, S, C] new frames (usually S = 1); state: the previous d(k-1) inputs.
        Returns (y [B, S, C], new state)."""
        if not self.causal:
            raise ValueError(f"{self.name}: only causal blocks can run step by step")
        window = tf.concat([state, x], axis=1)
        y = x + self.resid(self._gated(window))
        return y, window[:, tf.shape(window)[1] - self.total_pad:]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


# --------------------------------------------------------------------------------------------------------
# Length regulator
# --------------------------------------------------------------------------------------------------------

PE_VARIANTS = ("utterance", "phoneme", "none")


def regulate_length(encodings, durations, num_frames=None, positional_encoding_variant: str = "utterance",
                    pe_weight: float = 1.0, max_frames: int | None = None):
    """Expand phoneme encodings by their durations (frames per phoneme) and add a positional encoding.

    encodings [B, N, C]; durations [B, N] (int or float; truncated to integers like the reference's
    `.long()`, negatives count as 0; padding must have duration 0).
    num_frames: None -> F = the largest total duration in the batch (training; dynamic), at most `max_frames`
                when given (inference: a runaway prediction is cut there and flagged, never allocated);
                an int -> a fixed buffer of F frames (export: static shapes); frames past F are dropped.
    positional_encoding_variant: "utterance" (frame index 0..total-1, the reference's), "phoneme" (index
                within each phoneme, restarting at 0, the paper's), or "none".

    Frame f belongs to phoneme n iff cum[n-1] <= f < cum[n]; the alignment matrix [B, F, N] built from a
    cumulative sum and two comparisons is multiplied with the encodings (CUMSUM, LESS, BATCH_MATMUL... are
    TFLite builtins; tf.repeat / ragged / scatter are not in static form). Frames past an item's total are 0.

    Returns (expanded [B, F, C], frame_lengths [B] int32 = min(total, F), overflow [B] bool = total > F).
    """
    if positional_encoding_variant not in PE_VARIANTS:
        raise ValueError(f"positional_encoding_variant must be one of {PE_VARIANTS}, "
                         f"got {positional_encoding_variant!r}")
    encodings = tf.convert_to_tensor(encodings)
    dtype = encodings.dtype
    d = tf.maximum(tf.cast(tf.convert_to_tensor(durations), tf.int32), 0)  # float -> int truncates
    ends = tf.cumsum(d, axis=1)                      # [B, N]
    starts = ends - d                                # [B, N]
    total = tf.reduce_sum(d, axis=1)                 # [B]
    if num_frames is None:
        n_frames = tf.reduce_max(tf.concat([total, [0]], axis=0))
        if max_frames is not None:
            n_frames = tf.minimum(n_frames, int(max_frames))
    elif isinstance(num_frames, (int, np.integer)):
        n_frames = int(num_frames)
    else:  # a tensor (training: the target's frame count)
        n_frames = tf.cast(num_frames, tf.int32)
    frames = tf.range(n_frames, dtype=tf.int32)     # [F]
    f = frames[None, :, None]
    alignment = tf.logical_and(starts[:, None, :] <= f, f < ends[:, None, :])  # [B, F, N]
    alignment_f = tf.cast(alignment, dtype)
    expanded = tf.matmul(alignment_f, encodings)    # [B, F, C]
    valid = frames[None, :] < total[:, None]        # [B, F]
    if positional_encoding_variant != "none":
        channels = encodings.shape[-1]
        if positional_encoding_variant == "utterance":
            pos = tf.cast(frames, tf.float32)[None, :]                           # [1, F]
        else:
            start_of_frame = tf.matmul(alignment_f, tf.cast(starts, dtype)[:, :, None])[..., 0]  # [B, F]
            pos = tf.cast(frames, tf.float32)[None, :] - tf.cast(start_of_frame, tf.float32)
        pe = positional_encoding(pos, channels, pe_weight)
        expanded = expanded + tf.cast(pe, dtype) * tf.cast(valid, dtype)[..., None]
    frame_lengths = tf.minimum(total, n_frames)
    overflow = total > n_frames
    return expanded, frame_lengths, overflow


class LengthRegulator(keras.layers.Layer):
    """Keras wrapper of `regulate_length` (no weights). call(encodings, durations, num_frames=None)."""

    def __init__(self, positional_encoding_variant: str = "utterance", pe_weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if positional_encoding_variant not in PE_VARIANTS:
            raise ValueError(f"positional_encoding must be one of {PE_VARIANTS}, "
                             f"got {positional_encoding_variant!r}")
        self.variant = positional_encoding_variant
        self.pe_weight = float(pe_weight)

    def call(self, encodings, durations, num_frames=None):
        return regulate_length(encodings, durations, num_frames, self.variant, self.pe_weight)


SQRT_HALF = math.sqrt(0.5)  # the teacher scales values by it (the reference's torch.sqrt(0.5))

__all__ = [
    "positional_encoding", "positional_encoding_table", "positional_encoding_denominators", "PaddedEmbedding",
    "ZeroPaddedConv1D", "ResidualBlock", "GatedResidualBlock", "regulate_length", "LengthRegulator",
    "PE_VARIANTS", "SQRT_HALF",
]
