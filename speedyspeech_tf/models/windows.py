"""Receptive field of the vocoders (MelGAN, HiFi-GAN), the window plan for windowed (streaming) vocoding, and
the one function that runs a vocoder window by window and stitches the audio (`iter_stitched`).

No TensorFlow (numpy and the standard library), so the TensorFlow-free runtime plans and stitches the windows
exactly as the exporter, the export's accuracy check and `models.melgan.generate_windowed` do.

Why windowed synthesis can equal whole-utterance synthesis exactly
------------------------------------------------------------------
Every layer of the reference generator is a convolution (or transposed convolution) with *zero* padding,
plus pointwise ops (LeakyReLU, tanh, residual sums). So the audio of mel frame F depends only on the input
frames [F - left, F + right] (its receptive field, computed exactly below), and at the utterance edges the
full-length call sees zeros in every layer's padding. A window of input frames [a, b) run on its own
therefore gives exactly the full-length audio for every output frame F with
    (F - left >= a  or  a == 0)  and  (F + right < b  or  b == T):
inside the utterance the window must carry `left`/`right` frames of real context; at an utterance edge
the window must *end at the edge* (no padding of the mel), so that the model's own zero padding is what
the full-length call applies there too. (Padding the mel with e.g. silence frames would not do: zero
padding of the hidden activations is not the same as any padding of the input.)
The windows planned here all have the same length L = window + 2 * context frames (static shapes for
export): interior windows are centred on their output span, the ones near an edge are shifted to start
at frame 0 or to end at frame T. An utterance shorter than L is one window of its own length; a static-shape
model pads it to L frames and masks (see `MelGANGenerator(valid_frames=...)`).

Receptive field of the default generator (upsample 8, 8, 2, 2 with kernels 16, 16, 4, 4 and paddings
4, 4, 1, 1; input and output kernels 7; residual stacks with dilations 1, 3, 9, kernel 3, i.e. 1+1 + 3+1 +
9+1 = 16 positions each side per stack). Walking back from the 256 samples [256F, 256F+255] of frame F:
  output conv (+-3)        [256F-3,  256F+258]     stack at 256/frame (+-16)  [256F-19, 256F+274]
  transposed conv x2       [128F-10, 128F+137]     stack at 128/frame         [128F-26, 128F+153]
  transposed conv x2       [64F-14,  64F+77]       stack at 64/frame          [64F-30,  64F+93]
  transposed conv x8       [8F-5,    8F+12]        stack at 8/frame           [8F-21,   8F+28]
  transposed conv x8       [F-4,     F+4]          input conv (+-3)           [F-7,     F+7]
(a transposed conv with kernel k, stride f, padding p maps output n to the inputs i with
0 <= n + p - i f <= k - 1). So (left, right) = (7, 7) frames and the default context is 7 frames (81 ms at
22,050 Hz); `generator_receptive_field` does this for any configuration, and tests/test_melgan.py checks it
against the support of the real network's response to a single frame.
"""
from __future__ import annotations

from typing import Callable, Iterator, NamedTuple

import numpy as np

from ..config import SILENCE_LOG_MEL, HiFiGANConfig, MelGANConfig


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _same_conv(lo: int, hi: int, k: int, d: int = 1) -> tuple[int, int]:
    """Stride-1 'same' conv: output n reads n - d(k-1)/2 .. n + d(k-1)/2."""
    r = d * (k - 1) // 2
    return lo - r, hi + r


def _transposed_conv(lo: int, hi: int, f: int) -> tuple[int, int]:
    """Transposed conv, kernel k = 2f, stride f, padding p = f/2: output n reads the inputs i with
    0 <= n + p - i*f <= k - 1."""
    k, p = 2 * f, f // 2
    return _ceil_div(lo + p - k + 1, f), (hi + p) // f


def _hifigan_receptive_field(cfg: HiFiGANConfig) -> tuple[int, int]:
    """HiFi-GAN: input conv, per stage a transposed conv and the mean of the residual blocks (each a chain of
    conv_k,d then conv_k,1 per dilation), output conv; the fused blocks read the union (widest) of their fields."""
    frame = 100 * (cfg.input_kernel_size + 10)
    lo, hi = frame * cfg.hop_length, (frame + 1) * cfg.hop_length - 1
    lo, hi = _same_conv(lo, hi, cfg.output_kernel_size)
    for u in reversed(cfg.upsample_rates):
        spans = []
        for k, dilations in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes):
            a, b = lo, hi
            for d in reversed(dilations):
                a, b = _same_conv(a, b, k, 1)
                a, b = _same_conv(a, b, k, d)
            spans.append((a, b))
        lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
        lo, hi = _transposed_conv(lo, hi, u)
    lo, hi = _same_conv(lo, hi, cfg.input_kernel_size)
    return frame - lo, hi - frame


def generator_receptive_field(cfg: MelGANConfig | HiFiGANConfig) -> tuple[int, int]:
    """(left, right): the audio of mel frame F depends on input frames [F - left, F + right] only.

    Exact for the architecture (interval arithmetic on integer positions, layer by layer backwards from
    the hop_length samples of one frame); with generic weights every frame in that range matters.
    MelGAN: (7, 7) frames; HiFi-GAN V1: see `_hifigan_receptive_field` (tests check both against the
    support of the real network's response to a single perturbed frame).
    """
    if isinstance(cfg, HiFiGANConfig):
        return _hifigan_receptive_field(cfg)
    # Walk backwards through the layers, carrying the interval [lo, hi] of positions at each resolution.
    frame = 10 * (cfg.input_kernel_size + sum(cfg.resstack_dilations) + 10)  # far from any edge
    lo, hi = frame * cfg.hop_length, (frame + 1) * cfg.hop_length - 1

    def same_conv(lo, hi, k, d=1):  # stride-1 'same' conv: output n reads n - d(k-1)/2 .. n + d(k-1)/2
        r = d * (k - 1) // 2
        return lo - r, hi + r

    def res_stack(lo, hi):
        for d in reversed(cfg.resstack_dilations):
            lo, hi = same_conv(lo, hi, cfg.resstack_kernel_size, 1)
            lo, hi = same_conv(lo, hi, cfg.resstack_kernel_size, d)
        return lo, hi

    lo, hi = same_conv(lo, hi, cfg.output_kernel_size)
    for f in reversed(cfg.upsample_factors):
        lo, hi = res_stack(lo, hi)
        # Transposed conv, kernel k = 2f, stride f, padding p = f/2: output n reads the inputs i with
        # 0 <= n + p - i*f <= k - 1.
        k, p = 2 * f, f // 2
        lo, hi = _ceil_div(lo + p - k + 1, f), (hi + p) // f
    lo, hi = same_conv(lo, hi, cfg.input_kernel_size)
    return frame - lo, hi - frame


def default_context(cfg: MelGANConfig | HiFiGANConfig) -> int:
    """Context frames each side of a window that make windowed synthesis exact: max(left, right)."""
    return max(generator_receptive_field(cfg))


class WindowSpan(NamedTuple):
    """One generator call: input frames [in_start, in_end) give the output frames [out_start, out_end).

    The output frames sit at [out_start - in_start, out_end - in_start) frames into the call's audio.
    """

    in_start: int
    in_end: int
    out_start: int
    out_end: int


def plan_windows(n_frames: int, window: int, context: int) -> list[WindowSpan]:
    """Windows of `window` output frames, each computed from window + 2*context input frames.

    Every span has in_end - in_start == min(window + 2 * context, n_frames); the output spans tile
    [0, n_frames) in order (the last one may be shorter than `window`).
    """
    for name, value, low in (("n_frames", n_frames, 1), ("window", window, 1), ("context", context, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    length = window + 2 * context
    if n_frames <= length:
        # Shorter than one window: one call covers it (every output frame is within `context` of an edge
        # or of the window's far side, so nothing is gained by splitting).
        return [WindowSpan(0, n_frames, 0, n_frames)]
    spans = []
    for start in range(0, n_frames, window):
        end = min(start + window, n_frames)
        in_start = min(max(start - context, 0), n_frames - length)
        spans.append(WindowSpan(in_start, in_start + length, start, end))
    return spans


def iter_stitched(run: Callable[[np.ndarray, int], np.ndarray], mel, window: int, context: int, hop_length: int,
                  *, frames: int | None = None, pad_value: float = SILENCE_LOG_MEL,
                  append: int = 0) -> Iterator[np.ndarray]:
    """Vocode `mel` ([T, n_mels], or [B, T, n_mels]: time is axis -2) window by window and yield the audio pieces
    (samples on the last axis) whose concatenation is the utterance's T * hop_length samples.

    run(chunk, valid) -> the audio of the whole chunk (chunk: the window's frames, time on axis -2; valid: how many
    of them are real, the rest being `pad_value` padding). Windows: plan_windows(T + append, window, context); each
    call's output span is kept. frames: the fixed length of every call (static-shape models: W + 2C); a mel
    shorter than that is padded at the end with `pad_value` frames (None: calls as long as the plan says).
    append: `pad_value` frames appended to the mel before planning and trimmed from the audio again (the runtime
    appends the reference's 5 silence frames); windows whose output lies wholly in them are not run.
    """
    mel = np.asarray(mel, np.float32)
    if mel.ndim not in (2, 3) or mel.shape[-2] < 1:
        raise ValueError(f"mel must be [frames, n_mels] or [batch, frames, n_mels] with frames >= 1, "
                         f"got shape {list(mel.shape)}")
    T = mel.shape[-2]
    if append:
        pad = np.full(mel.shape[:-2] + (append, mel.shape[-1]), pad_value, np.float32)
        mel = np.concatenate([mel, pad], axis=-2)
    for span in plan_windows(mel.shape[-2], window, context):
        if span.out_start >= T:
            break  # only appended frames' audio, which is trimmed anyway
        chunk = mel[..., span.in_start:span.in_end, :]
        valid = chunk.shape[-2]
        if frames is not None and valid < frames:
            pad = np.full(chunk.shape[:-2] + (frames - valid, chunk.shape[-1]), pad_value, np.float32)
            chunk = np.concatenate([chunk, pad], axis=-2)
        audio = np.asarray(run(chunk, valid))
        a = (span.out_start - span.in_start) * hop_length
        b = (min(span.out_end, T) - span.in_start) * hop_length
        yield np.array(audio[..., a:b], np.float32)


def stitched(run: Callable[[np.ndarray, int], np.ndarray], mel, window: int, context: int, hop_length: int,
             **kwargs) -> np.ndarray:
    """`iter_stitched`'s pieces concatenated."""
    return np.concatenate(list(iter_stitched(run, mel, window, context, hop_length, **kwargs)), axis=-1)


__all__ = ["generator_receptive_field", "default_context", "plan_windows", "WindowSpan", "iter_stitched", "stitched"]
