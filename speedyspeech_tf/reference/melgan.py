"""Import the reference MelGAN checkpoint (seungwonpark/melgan v0.1-alpha, as SpeedySpeech ships it).

The checkpoint is `{'model_g': state_dict, 'model_d': state_dict, 'step', 'epoch', 'hp_str', 'githash', ...}`
with every convolution in weight-norm form (`weight_g`, `weight_v`, `bias`). PyTorch layouts:
Conv1d weight [out, in/groups, k] -> Keras [k, in/groups, out]; ConvTranspose1d weight [in, out, k] ->
Keras [k, out, in] (both: transpose(2, 1, 0)); weight_g [C, 1, 1] -> g [C] (C = PyTorch dim 0, which is the
*input* channel count for a transposed conv). A state dict saved after remove_weight_norm (plain `weight`)
is accepted too: v = weight, g = ||weight||.

Key map (generator: nn.Sequential indices; discriminator: discriminators.{scale}.discriminator.{layer}):
  generator.0                       input conv             generator.{2+3i}        upsampling i
  generator.{3+3i}.layers.{j}.1     stack i, block j dilated conv     ...layers.{j}.3   its second conv
  generator.{2+3n}                  output (transposed) conv, n = number of upsampling stages
  discriminators.{s}.discriminator.{l}.0   conv l = 0..5       discriminators.{s}.discriminator.6   score conv
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import numpy as np

from ..config import MelGANConfig

_CHECKPOINT_HINT = "a seungwonpark/melgan v0.1-alpha checkpoint (as shipped with SpeedySpeech)"


def _generator_map(generator) -> list[tuple[str, Any]]:
    """(PyTorch prefix, Keras weight-norm layer) for every generator convolution, in PyTorch order."""
    pairs = [("generator.0", generator.input_conv)]
    n = len(generator.upsample)
    for i, (up, stack) in enumerate(zip(generator.upsample, generator.stacks)):
        pairs.append((f"generator.{2 + 3 * i}", up))
        for j, (dilated, conv) in enumerate(zip(stack.dilated, stack.pointwise)):
            pairs.append((f"generator.{3 + 3 * i}.layers.{j}.1", dilated))
            pairs.append((f"generator.{3 + 3 * i}.layers.{j}.3", conv))
    pairs.append((f"generator.{2 + 3 * n}", generator.output_conv))
    return pairs


def _discriminator_map(discriminator) -> list[tuple[str, Any]]:
    pairs = []
    for s, disc in enumerate(discriminator.discriminators):
        for l, conv in enumerate(disc.convs):
            pairs.append((f"discriminators.{s}.discriminator.{l}.0", conv))
        pairs.append((f"discriminators.{s}.discriminator.{len(disc.convs)}", disc.score_conv))
    return pairs


def _expected_shapes(layer) -> dict[str, tuple]:
    """PyTorch parameter shapes of one of our weight-norm layers: v is [k, a, b] -> torch [b, a, k]."""
    k, a, b = (int(d) for d in layer.v.shape)
    return {"weight_g": (b, 1, 1), "weight_v": (b, a, k), "bias": (int(layer.bias.shape[0]),)}


def _load_state_dict(what: str, source: str, state: Mapping[str, Any], pairs,
                     hint: str = _CHECKPOINT_HINT) -> list[tuple[Any, list]]:
    """Check every key and shape (first problem raises ValueError naming the key); return layer weights.
    `pairs`: (PyTorch prefix, our weight-norm layer) in PyTorch order; `hint` says what checkpoint was expected."""
    if not isinstance(state, Mapping):
        raise ValueError(f"{source}: {what} is not a state dict (got {type(state).__name__})")
    expected_keys = set()
    assignments = []
    for prefix, layer in pairs:
        shapes = _expected_shapes(layer)
        plain = f"{prefix}.weight"
        if f"{prefix}.weight_v" not in state and plain in state:
            # weight norm removed before saving: weight = g v/||v|| with v = weight, g = ||weight||
            keys = {"weight": plain, "bias": f"{prefix}.bias"}
            expected = {"weight": shapes["weight_v"], "bias": shapes["bias"]}
        else:
            keys = {name: f"{prefix}.{name}" for name in ("weight_g", "weight_v", "bias")}
            expected = shapes
        values = {}
        for name, key in keys.items():
            expected_keys.add(key)
            if key not in state:
                raise ValueError(f"{source}: {what} has no {key!r} (expected shape {expected[name]}); "
                                 f"not {hint}")
            value = np.asarray(state[key], dtype=np.float32)
            if tuple(value.shape) != tuple(expected[name]):
                raise ValueError(f"{source}: {what}[{key!r}] has shape {tuple(value.shape)}, expected "
                                 f"{tuple(expected[name])}; the checkpoint is of another shape than "
                                 f"{hint}")
            values[name] = value
        if "weight" in values:
            v = values["weight"]
            g = np.sqrt(np.sum(v.astype(np.float64) ** 2, axis=(1, 2))).astype(np.float32)
        else:
            v, g = values["weight_v"], values["weight_g"].reshape(-1)
        # Keras order of our weight-norm layers' variables: v, g, bias
        assignments.append((layer, [v.transpose(2, 1, 0), g, values["bias"]]))
    unexpected = [k for k in state if k not in expected_keys]
    if unexpected:
        raise ValueError(f"{source}: {what} has unexpected key {unexpected[0]!r} (+{len(unexpected) - 1} more); "
                         f"not {hint}")
    return assignments


def infer_melgan_config(model_g: Mapping[str, Any], source: str) -> MelGANConfig:
    """The MelGANConfig of a reference generator state dict (the reference's, with its n_mels)."""
    key = "generator.0.weight_v" if "generator.0.weight_v" in model_g else "generator.0.weight"
    if key not in model_g:
        raise ValueError(f"{source}: model_g has no 'generator.0.weight_v'; not {_CHECKPOINT_HINT}")
    shape = np.shape(model_g[key])
    if len(shape) != 3:
        raise ValueError(f"{source}: model_g[{key!r}] has shape {tuple(shape)}, expected [512, n_mels, 7]")
    return MelGANConfig(n_mels=int(shape[1]))


def import_melgan(pth_or_dict, generator_only: bool = False):
    """Build our MelGAN from a reference checkpoint (path to .pth, or the loaded dict).

    Returns (MelGAN model with the weight-normalised generator and the discriminator, MelGANConfig).
    The config is the reference's with n_mels read from the checkpoint; any other difference in shape
    raises ValueError naming the first key that does not fit. `generator_only=True` accepts a checkpoint
    without `model_d` (the discriminator then keeps its fresh initial weights).
    """
    from ..models.melgan import build_melgan  # TensorFlow only when actually importing
    from .pth import load_pth

    if isinstance(pth_or_dict, (str, os.PathLike)):
        source = os.fspath(pth_or_dict)
        ckpt = load_pth(source)
    else:
        source = "checkpoint"
        ckpt = pth_or_dict
    if not isinstance(ckpt, Mapping) or "model_g" not in ckpt:
        keys = sorted(ckpt)[:8] if isinstance(ckpt, Mapping) else type(ckpt).__name__
        raise ValueError(f"{source}: no 'model_g' (found {keys}); not {_CHECKPOINT_HINT}")
    if "model_d" not in ckpt and not generator_only:
        raise ValueError(f"{source}: no 'model_d' (discriminator); pass generator_only=True to import the "
                         "generator alone")
    config = infer_melgan_config(ckpt["model_g"], source)
    model = build_melgan(config)
    assignments = _load_state_dict("model_g", source, ckpt["model_g"], _generator_map(model.generator))
    if "model_d" in ckpt:
        assignments += _load_state_dict("model_d", source, ckpt["model_d"],
                                        _discriminator_map(model.discriminator))
    for layer, weights in assignments:  # only once everything has been checked
        layer.set_weights(weights)
    return model, config


def _npz(npz) -> Mapping[str, np.ndarray]:
    if isinstance(npz, (str, os.PathLike)):
        path = os.fspath(npz)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: no such file")
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    return npz


def run_melgan_reference(model, npz) -> dict[str, np.ndarray]:
    """Run `model` (a MelGAN) on the reference inputs; outputs in the reference's layouts (channels first).

    `npz`: path or mapping with `mel` [B, n_mels, T] and/or `disc_input` [B, 1, N]. Returns `audio`
    [B, 1, T * hop] and, per scale i, `disc{i}_feature{j}` [B, C, L] and `disc{i}_score` [B, 1, L].
    """
    import tensorflow as tf

    data = _npz(npz)
    out: dict[str, np.ndarray] = {}
    if "mel" in data:
        mel = np.asarray(data["mel"], np.float32)
        if mel.ndim != 3 or mel.shape[1] != model.config.n_mels:
            raise ValueError(f"npz 'mel' must be [batch, {model.config.n_mels}, frames], got {mel.shape}")
        audio = model.generator(tf.constant(mel.transpose(0, 2, 1)), training=False)
        out["audio"] = np.asarray(audio)[:, None, :]
    if "disc_input" in data:
        x = np.asarray(data["disc_input"], np.float32)
        if x.ndim != 3 or x.shape[1] != 1:
            raise ValueError(f"npz 'disc_input' must be [batch, 1, samples], got {x.shape}")
        for i, (features, score) in enumerate(model.discriminator(tf.constant(x.transpose(0, 2, 1)))):
            for j, f in enumerate(features):
                out[f"disc{i}_feature{j}"] = np.asarray(f).transpose(0, 2, 1)
            out[f"disc{i}_score"] = np.asarray(score).transpose(0, 2, 1)
    if not out:
        raise ValueError("npz has neither 'mel' nor 'disc_input'")
    return out


__all__ = ["import_melgan", "infer_melgan_config", "run_melgan_reference"]
