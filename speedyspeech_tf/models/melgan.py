"""MelGAN vocoder (Kumar et al. 2019) in Keras: generator, multi-scale discriminator, weight normalisation.

Layer for layer the version SpeedySpeech ships (seungwonpark/melgan v0.1-alpha; see
../shared/reference/README.md): every convolution weight-normalised and *zero*-padded, LeakyReLU 0.01
(PyTorch's default slope) in both networks, generator input (log_mel + 5) / 5, the last generator layer a
stride-1 transposed convolution 32 -> 1 (kernel 7, padding 3) and tanh. Later seungwonpark versions use
reflection padding and LeakyReLU 0.2; their checkpoints have other keys and are refused by the importer.

Layouts are channels-last: the generator takes mel [B, T, n_mels] (natural-log mel, not standardised) and
returns audio [B, T * hop_length] in [-1, 1] (before any int16 scaling); the discriminator takes audio
[B, N] or [B, N, 1] and returns, per scale, (list of 6 feature maps [B, L_j, C_j], score [B, L, 1]).

PyTorch -> Keras padding: a PyTorch Conv1d with stride 1 and padding d(k-1)/2 is Keras padding="same";
a ConvTranspose1d with kernel 2f, stride f, padding f/2 is Keras/TF conv_transpose padding="same" (TF crops
(k - f) // 2 = f/2 samples at the start, like PyTorch), so no cropping ops are needed and shapes stay static.
The strided discriminator convs (PyTorch padding 20 != TF "same") use explicit ZeroPadding1D + "valid".
"""
from __future__ import annotations

from typing import Iterator

import keras
import numpy as np
import tensorflow as tf

from ..config import SILENCE_LOG_MEL, MelGANConfig
from .windows import WindowSpan, default_context, generator_receptive_field, iter_stitched, plan_windows


def _config_from(keras_config: dict) -> MelGANConfig:
    from ..config import from_dict
    return from_dict(MelGANConfig, keras_config["config"])


# --------------------------------------------------------------------------------------------------------
# Weight normalisation
# --------------------------------------------------------------------------------------------------------


@tf.function(jit_compile=True, reduce_retracing=True)
def _grouped_conv1d(x, kernel, strides, padding, dilation_rate):
    # TensorFlow's CPU kernels do not implement grouped convolutions; XLA does. keras.ops.conv falls back to
    # XLA too, but through a tf.function it creates anew in every call, which in eager mode re-traces (and
    # warns) on every call; one module-level function is traced once per shape. (Training/inference only:
    # the discriminator is never exported.)
    return tf.nn.convolution(x, kernel, strides=strides, padding=padding, dilations=dilation_rate)


def _norm_over_all_but_last(v):
    # Keras conv kernels are [k, in/groups, out] and transposed-conv kernels [k, out, in]: the PyTorch
    # weight-norm dim 0 (Conv1d: out channels; ConvTranspose1d: *in* channels) is the last Keras axis.
    return keras.ops.sqrt(keras.ops.sum(keras.ops.square(v), axis=(0, 1), keepdims=True))


class _WeightNormConvBase(keras.layers.Layer):
    """Weight-normalised 1-D (transposed) convolution: kernel = g * v / ||v||, norm per last kernel axis.

    Written by hand because Keras 3 has no WeightNormalization wrapper (it lived in TensorFlow Addons,
    which is discontinued and does not support Keras 3). Trainable variables `g` [C], `v` (the kernel
    shape) and `bias`; the normalised kernel is recomputed in every call, so gradients reach g and v
    (inside tf.function too). `folded_kernel()` gives the plain kernel for inference/export.
    """

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, padding: str = "same",
                 dilation_rate: int = 1, groups: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.strides = int(strides)
        self.padding = padding
        self.dilation_rate = int(dilation_rate)
        self.groups = int(groups)

    def _kernel_shape(self, in_channels: int) -> tuple:
        raise NotImplementedError

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        shape = self._kernel_shape(in_channels)
        # PyTorch's default init: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)), bias likewise; g starts
        # at ||v|| so that the initial kernel is v (as torch.nn.utils.weight_norm does).
        fan_in = shape[0] * shape[1]
        bound = 1.0 / float(np.sqrt(fan_in))
        self.v = self.add_weight(name="v", shape=shape,
                                 initializer=keras.initializers.RandomUniform(-bound, bound))
        v = self.v

        def g_init(shape, dtype=None):
            return keras.ops.reshape(_norm_over_all_but_last(v), shape)

        self.g = self.add_weight(name="g", shape=(shape[-1],), initializer=g_init)
        self.bias = self.add_weight(name="bias", shape=(self.filters,),
                                    initializer=keras.initializers.RandomUniform(-bound, bound))

    def folded_kernel(self):
        """g * v / ||v|| (the epsilon only guards an all-zero v; PyTorch uses none)."""
        norm = keras.ops.maximum(_norm_over_all_but_last(self.v), 1e-12)
        return self.v * (self.g / norm)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, dilation_rate=self.dilation_rate, groups=self.groups)
        return config


class WeightNormConv1D(_WeightNormConvBase):
    """Weight-normalised Conv1D (kernel [k, in/groups, out], g per output channel), channels-last."""

    def _kernel_shape(self, in_channels):
        if in_channels % self.groups or self.filters % self.groups:
            raise ValueError(f"{self.name}: groups {self.groups} must divide the channels "
                             f"{in_channels} -> {self.filters}")
        return (self.kernel_size, in_channels // self.groups, self.filters)

    def call(self, x):
        kernel = self.folded_kernel()
        if self.groups > 1:
            y = _grouped_conv1d(x, kernel, self.strides, self.padding.upper(), self.dilation_rate)
        else:
            y = keras.ops.conv(x, kernel, strides=self.strides, padding=self.padding,
                               dilation_rate=self.dilation_rate, data_format="channels_last")
        return y + self.bias


class WeightNormConv1DTranspose(_WeightNormConvBase):
    """Weight-normalised Conv1DTranspose (kernel [k, out, in], g per *input* channel as in PyTorch)."""

    def _kernel_shape(self, in_channels):
        if self.groups != 1 or self.dilation_rate != 1:
            raise ValueError(f"{self.name}: grouped or dilated transposed convolutions are not supported")
        return (self.kernel_size, self.filters, in_channels)

    def call(self, x):
        y = keras.ops.conv_transpose(x, self.folded_kernel(), strides=self.strides, padding=self.padding,
                                     data_format="channels_last")
        return y + self.bias


def _conv(weight_norm: bool, filters: int, kernel_size: int, name: str, **kwargs):
    cls = WeightNormConv1D if weight_norm else keras.layers.Conv1D
    return cls(filters, kernel_size, name=name, **kwargs)


def _conv_transpose(weight_norm: bool, filters: int, kernel_size: int, name: str, **kwargs):
    cls = WeightNormConv1DTranspose if weight_norm else keras.layers.Conv1DTranspose
    return cls(filters, kernel_size, name=name, **kwargs)


# --------------------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------------------


class ResidualStack(keras.layers.Layer):
    """Blocks x + conv_k(lrelu(conv_k,dilated(lrelu(x)))) for each dilation (reference ResStack)."""

    def __init__(self, channels: int, kernel_size: int, dilations, slope: float, weight_norm: bool, **kwargs):
        super().__init__(**kwargs)
        self.slope = slope
        self.dilated = []
        self.pointwise = []
        for i, d in enumerate(dilations):
            self.dilated.append(_conv(weight_norm, channels, kernel_size, f"block{i}_dilated",
                                      dilation_rate=int(d), padding="same"))
            self.pointwise.append(_conv(weight_norm, channels, kernel_size, f"block{i}_conv",
                                        padding="same"))

    def build(self, input_shape):
        shape = (None, None, int(input_shape[-1]))
        for dilated, conv in zip(self.dilated, self.pointwise):
            dilated.build(shape)
            conv.build(shape)

    def call(self, x, sample_mask=None):
        for dilated, conv in zip(self.dilated, self.pointwise):
            y = dilated(keras.ops.leaky_relu(x, self.slope))
            if sample_mask is not None:
                y = y * sample_mask
            y = conv(keras.ops.leaky_relu(y, self.slope))
            if sample_mask is not None:
                y = y * sample_mask
            x = x + y
        return x


class MelGANGenerator(keras.Model):
    """mel [B, T, n_mels] (natural log) -> audio [B, T * hop_length] in [-1, 1].

    weight_norm=True (training, reference import) uses weight-normalised layers; weight_norm=False uses plain
    Keras Conv1D/Conv1DTranspose (inference/export), its output layer a Conv1D (the reference's stride-1
    transposed conv with the kernel flipped). `fold_weight_norm()` turns the first into the second.

    `valid_frames` ([B] ints, optional): frames at or past an item's valid length are treated as absent,
    i.e. every layer's activations there are zeroed, which makes a mel padded to a fixed length give exactly
    the audio of the unpadded mel on its valid part (for static-shape export of short utterances).
    """

    def __init__(self, config: MelGANConfig | None = None, weight_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.config = config = config or MelGANConfig()
        self.weight_norm = bool(weight_norm)
        slope = config.generator_leaky_slope
        self.input_conv = _conv(weight_norm, config.generator_channels, config.input_kernel_size, "input_conv",
                                padding="same")
        self.upsample = []
        self.stacks = []
        channels = config.generator_channels
        for i, f in enumerate(config.upsample_factors):
            channels //= 2
            self.upsample.append(_conv_transpose(weight_norm, channels, 2 * f, f"upsample{i}", strides=f,
                                                 padding="same"))
            self.stacks.append(ResidualStack(channels, config.resstack_kernel_size, config.resstack_dilations,
                                             slope, weight_norm, name=f"resstack{i}"))
        if weight_norm:
            self.output_conv = WeightNormConv1DTranspose(1, config.output_kernel_size, padding="same",
                                                         name="output_conv")
        else:
            self.output_conv = keras.layers.Conv1D(1, config.output_kernel_size, padding="same",
                                                   name="output_conv")

    def build(self, input_shape=None):
        # Explicit, so that the weights exist without a forward pass.
        cfg = self.config
        self.input_conv.build((None, None, cfg.n_mels))
        channels = cfg.generator_channels
        for up, stack in zip(self.upsample, self.stacks):
            up.build((None, None, channels))
            channels //= 2
            stack.build((None, None, channels))
        self.output_conv.build((None, None, channels))

    def call(self, mel, valid_frames=None, training=None):
        cfg = self.config
        if len(mel.shape) != 3 or mel.shape[-1] != cfg.n_mels:
            raise ValueError(f"MelGAN generator expects mel [batch, frames, {cfg.n_mels}] (channels last), "
                             f"got shape {tuple(mel.shape)}")
        slope = cfg.generator_leaky_slope
        x = (mel + cfg.mel_shift) / cfg.mel_divisor
        mask = None
        if valid_frames is not None:
            n_frames = keras.ops.shape(mel)[1]
            valid = keras.ops.cast(keras.ops.reshape(valid_frames, (-1,)), "int32")
            mask = self._mask(valid, n_frames, 1)
            x = x * mask
        x = self.input_conv(x)
        rate = 1
        for up, stack, f in zip(self.upsample, self.stacks, cfg.upsample_factors):
            if mask is not None:
                x = x * mask
            x = up(keras.ops.leaky_relu(x, slope))
            rate *= f
            if mask is not None:
                mask = self._mask(valid, n_frames, rate)
                x = x * mask
            x = stack(x, sample_mask=mask)
        x = self.output_conv(keras.ops.leaky_relu(x, slope))
        if mask is not None:
            x = x * mask
        # squeeze, not [:, :, 0]: a reshape rather than a STRIDED_SLICE in TFLite
        return keras.ops.squeeze(keras.ops.tanh(x), axis=-1)

    @staticmethod
    def _mask(valid, n_frames, rate):
        positions = keras.ops.arange(n_frames * rate, dtype="int32")
        mask = keras.ops.cast(positions[None, :] < (valid * rate)[:, None], "float32")
        return mask[:, :, None]

    def build_for(self) -> "MelGANGenerator":
        """Create the weights; returns self."""
        if not self.built:
            self.build((None, None, self.config.n_mels))
        return self

    def conv_layers(self) -> list:
        """Every convolution in a fixed order (the same for both weight_norm settings)."""
        layers = [self.input_conv]
        for up, stack in zip(self.upsample, self.stacks):
            layers.append(up)
            for a, b in zip(stack.dilated, stack.pointwise):
                layers += [a, b]
        layers.append(self.output_conv)
        return layers

    def fold_weight_norm(self) -> "MelGANGenerator":
        """A new generator with plain Conv1D/Conv1DTranspose weights (kernel = g v / ||v||): same audio.

        For inference and export (fewer ops, no norm computation per call). A folded generator is returned
        as is (calling this twice is harmless).
        """
        if not self.weight_norm:
            return self
        if not self.built:
            self.build_for()
        plain = MelGANGenerator(self.config, weight_norm=False, name=self.name + "_folded").build_for()
        for src, dst in zip(self.conv_layers(), plain.conv_layers()):
            kernel = keras.ops.convert_to_numpy(src.folded_kernel())
            bias = keras.ops.convert_to_numpy(src.bias)
            if src is self.output_conv:
                # stride-1 transposed conv [k, out, in] == conv [k, in, out] with the taps reversed
                kernel = kernel[::-1].transpose(0, 2, 1)
            dst.set_weights([kernel, bias])
        return plain

    def receptive_field(self) -> tuple[int, int]:
        return generator_receptive_field(self.config)

    def get_config(self):
        from ..config import to_dict
        return {"config": to_dict(self.config), "weight_norm": self.weight_norm, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(_config_from(config), weight_norm=config.get("weight_norm", True), name=config.get("name"))


# --------------------------------------------------------------------------------------------------------
# Discriminator
# --------------------------------------------------------------------------------------------------------


class ScaleDiscriminator(keras.layers.Layer):
    """One MelGAN discriminator: audio [B, N, 1] -> (6 feature maps [B, L_j, C_j], score [B, L, 1])."""

    def __init__(self, config: MelGANConfig, **kwargs):
        super().__init__(**kwargs)
        c = config
        self.slope = c.disc_leaky_slope
        ch = c.disc_channels
        self.convs = [WeightNormConv1D(ch[0], c.disc_first_kernel, padding="same", name="conv0")]
        self.pads = [None]
        for i, groups in enumerate(c.disc_groups):
            self.pads.append(keras.layers.ZeroPadding1D(c.disc_down_kernel // 2, name=f"pad{i + 1}"))
            self.convs.append(WeightNormConv1D(ch[i + 1], c.disc_down_kernel, strides=c.disc_down_stride,
                                               groups=groups, padding="valid", name=f"conv{i + 1}"))
        self.pads.append(None)
        self.convs.append(WeightNormConv1D(ch[5], c.disc_post_kernel, padding="same", name="conv5"))
        self.score_conv = WeightNormConv1D(1, c.disc_score_kernel, padding="same", name="score")

    def build(self, input_shape):
        # Explicit, so that creating the weights needs no forward pass (XLA-compiling the grouped convs).
        channels = int(input_shape[-1])
        for conv in self.convs:
            conv.build((None, None, channels))
            channels = conv.filters
        self.score_conv.build((None, None, channels))

    def call(self, x):
        features = []
        for pad, conv in zip(self.pads, self.convs):
            if pad is not None:
                x = pad(x)
            x = keras.ops.leaky_relu(conv(x), self.slope)
            features.append(x)
        return features, self.score_conv(x)


class MultiScaleDiscriminator(keras.Model):
    """audio [B, N] or [B, N, 1] -> [(features, score) for each scale]; scale i sees the audio
    average-pooled i times (kernel 4, stride 2, zero padding 2 counted in the average, like PyTorch's
    AvgPool1d(count_include_pad=True)). Scores are raw (least-squares GAN, no sigmoid)."""

    def __init__(self, config: MelGANConfig | None = None, **kwargs):
        super().__init__(**kwargs)
        self.config = config = config or MelGANConfig()
        self.discriminators = [ScaleDiscriminator(config, name=f"scale{i}") for i in range(config.disc_scales)]
        self.pool_pad = keras.layers.ZeroPadding1D(config.disc_pool_padding, name="pool_pad")
        self.pool = keras.layers.AveragePooling1D(config.disc_pool_kernel, config.disc_pool_stride,
                                                  padding="valid", name="pool")

    def build(self, input_shape=None):
        for disc in self.discriminators:
            disc.build((None, None, 1))

    def call(self, audio, training=None):
        if len(audio.shape) == 2:
            audio = audio[:, :, None]
        if len(audio.shape) != 3 or audio.shape[-1] != 1:
            raise ValueError(f"MelGAN discriminator expects audio [batch, samples] or [batch, samples, 1], "
                             f"got shape {tuple(audio.shape)}")
        outputs = []
        x = audio
        for i, disc in enumerate(self.discriminators):
            if i > 0:
                x = self.pool(self.pool_pad(x))
            outputs.append(disc(x))
        return outputs

    def get_config(self):
        from ..config import to_dict
        return {"config": to_dict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(_config_from(config), name=config.get("name"))


# --------------------------------------------------------------------------------------------------------
# Both together (checkpoints carry both for fine-tuning)
# --------------------------------------------------------------------------------------------------------


class MelGAN(keras.Model):
    """Holds `.generator` (weight-normalised) and `.discriminator`; calling it runs the generator."""

    def __init__(self, config: MelGANConfig | None = None, **kwargs):
        super().__init__(**kwargs)
        self.config = config = config or MelGANConfig()
        self.generator = MelGANGenerator(config, name="generator")
        self.discriminator = MultiScaleDiscriminator(config, name="discriminator")

    def build(self, input_shape=None):
        self.generator.build((None, None, self.config.n_mels))
        self.discriminator.build((None, None, 1))

    def call(self, mel, valid_frames=None, training=None):
        return self.generator(mel, valid_frames=valid_frames, training=training)

    def get_config(self):
        from ..config import to_dict
        return {"config": to_dict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(_config_from(config), name=config.get("name"))


def build_melgan(config: MelGANConfig | None = None) -> MelGAN:
    """A MelGAN with all weights created (checkpoint builder for kind "melgan")."""
    config = config or MelGANConfig()
    model = MelGAN(config)
    model.build((None, None, config.n_mels))
    return model


# --------------------------------------------------------------------------------------------------------
# Windowed inference
# --------------------------------------------------------------------------------------------------------


def _as_batch(mel, n_mels: int) -> tuple[np.ndarray, bool]:
    mel = np.asarray(mel, dtype=np.float32)
    shape = mel.shape
    squeeze = mel.ndim == 2
    if squeeze:
        mel = mel[None]
    if mel.ndim != 3 or mel.shape[-1] != n_mels or mel.shape[1] < 1:
        raise ValueError(f"mel must be [frames, {n_mels}] or [batch, frames, {n_mels}] with frames >= 1, "
                         f"got shape {shape}")
    return mel, squeeze


def iter_generate_windowed(generator: MelGANGenerator, mel, window: int = 64, context: int | None = None,
                           fixed_length: bool = False) -> Iterator[np.ndarray]:
    """Yield the audio of `mel` window by window ([B, w * hop] numpy chunks, in order; see generate_windowed)."""
    cfg = generator.config
    mel, squeeze = _as_batch(mel, cfg.n_mels)
    if context is None:
        context = default_context(cfg)
    length = window + 2 * context
    n_frames = mel.shape[1]

    def run(chunk, valid):
        if valid < chunk.shape[1]:
            # Short utterance padded to the fixed window length: mask the padding away in every layer.
            frames = tf.constant(np.full((chunk.shape[0],), valid, np.int32))
            return keras.ops.convert_to_numpy(generator(tf.constant(chunk), valid_frames=frames, training=False))
        return keras.ops.convert_to_numpy(generator(tf.constant(chunk), training=False))

    for out in iter_stitched(run, mel, window, context, cfg.hop_length,
                             frames=length if fixed_length and n_frames < length else None,
                             pad_value=SILENCE_LOG_MEL):
        yield out[0] if squeeze else out


def generate_windowed(generator: MelGANGenerator, mel, window: int = 64, context: int | None = None,
                      fixed_length: bool = False) -> np.ndarray:
    """Vocode `mel` ([T, n_mels] or [B, T, n_mels]) in windows of `window` frames; returns the audio
    ([T * hop] or [B, T * hop]) equal to `generator(mel)` (float32 rounding aside).

    Each call sees window + 2*context frames (fewer only when the whole mel is shorter than that, unless
    `fixed_length`, which pads such a mel to the full window length and masks it via `valid_frames`, so
    every call has the same static shape). `context` defaults to the generator's receptive field
    (`default_context`: 7 frames for the reference architecture), which makes the result exact; see
    `speedyspeech_tf.models.windows` for the derivation and how the utterance edges are handled.
    """
    chunks = list(iter_generate_windowed(generator, mel, window=window, context=context,
                                         fixed_length=fixed_length))
    return np.concatenate(chunks, axis=-1)


__all__ = [
    "MelGAN", "MelGANGenerator", "MultiScaleDiscriminator", "ScaleDiscriminator", "ResidualStack",
    "WeightNormConv1D", "WeightNormConv1DTranspose", "build_melgan", "generate_windowed",
    "iter_generate_windowed", "generator_receptive_field", "default_context", "plan_windows", "WindowSpan",
]
