"""Student losses as the reference computes them (janvainer/speedyspeech code/losses.py, code/pytorch_ssim).

    mel L1     sum |p*m - t*m| / sum(m)          m = 1 on frames < mel length (all mel channels)
    mel SSIM   1 - mean(ssim_map(p*m, t*m))     the mean runs over the WHOLE padded batch [B, T, n_mels]
    durations  smooth-L1(l*m, log(max(d, 1))*m) summed / sum(m)   m = 1 on phonemes < phoneme length

SSIM, exactly as the reference's pytorch_ssim: the mel spectrogram is a one-channel image [T, n_mels]; an 11x11
Gaussian window (sigma 1.5, normalised 1-D taps, outer product) with ZERO padding of 5 on every side ("same"
output size); C1 = 0.01^2, C2 = 0.03^2 (data range taken as 1, although the mels are standardised); and the
mean of the SSIM map over every position of the batch, padded frames included (both inputs are zero there, so
the map is 1 and those positions add no loss but count in the mean).

`tf.image.ssim` is not used because it differs in two ways that change the value: it only evaluates windows
that fit inside the image ("valid" filtering, no zero padding, so the 5 frames/bands at each edge are not
centres), and it averages per image, then over the batch. Hence our own `ssim_map` (a separable Gaussian
filter: two 1-D convolutions, the same window as the reference's 2-D outer product).

Every loss is also available as (sum, count) "terms" so that a distributed training step can divide each
replica's sum by the count over the GLOBAL batch (see training/student.py); `loss = sum / count` on one device.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_C1 = 0.01 ** 2
SSIM_C2 = 0.03 ** 2


def gaussian_taps(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian taps centred on size // 2 (float32), as pytorch_ssim's `gaussian`."""
    x = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(x ** 2) / (2.0 * sigma ** 2))
    return (g / g.sum()).astype(np.float32)


def _gaussian_filter(images, size: int, sigma: float):
    """Zero-padded 'same' Gaussian filtering of [N, H, W] images (separable: along H, then along W)."""
    taps = tf.constant(gaussian_taps(size, sigma))
    x = images[..., None]
    x = tf.nn.conv2d(x, tf.reshape(taps, [size, 1, 1, 1]), strides=1, padding="SAME")
    x = tf.nn.conv2d(x, tf.reshape(taps, [1, size, 1, 1]), strides=1, padding="SAME")
    return x[..., 0]


def ssim_map(x, y, window_size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA, c1: float = SSIM_C1,
             c2: float = SSIM_C2):
    """Per-position SSIM of two batches of one-channel images [B, H, W] (float32), reference-exact.

    Images smaller than the window work too (zero padding); the result has the input's shape.
    """
    x = tf.cast(x, tf.float32)
    y = tf.cast(y, tf.float32)
    b = tf.shape(x)[0]
    # One filtering pass over the five statistics stacked along the batch.
    stats = _gaussian_filter(tf.concat([x, y, x * x, y * y, x * y], axis=0), window_size, sigma)
    mu_x, mu_y, e_xx, e_yy, e_xy = (stats[i * b:(i + 1) * b] for i in range(5))
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    var_x, var_y, cov = e_xx - mu_xx, e_yy - mu_yy, e_xy - mu_xy
    return ((2.0 * mu_xy + c1) * (2.0 * cov + c2)) / ((mu_xx + mu_yy + c1) * (var_x + var_y + c2))


def frame_mask(lengths, max_len, dtype=tf.float32):
    """[B, T] with 1 on positions < lengths."""
    return tf.sequence_mask(lengths, max_len, dtype=dtype)


def l1_terms(pred, target, lengths):
    """(sum of |pred - target| over valid frames and all channels, number of those values). pred/target
    [B, T, C]; lengths [B]."""
    pred = tf.cast(pred, tf.float32)
    target = tf.cast(target, tf.float32)
    m = frame_mask(lengths, tf.shape(pred)[1])[..., None]
    total = tf.reduce_sum(tf.abs(pred * m - target * m))
    count = tf.reduce_sum(m) * tf.cast(tf.shape(pred)[2], tf.float32)
    return total, count


def ssim_terms(pred, target, lengths, window_size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA, frames=None):
    """(sum of 1 - SSIM over every position of the padded batch, B*T*C). Frames past `lengths` are set to 0
    in both spectrograms first, as the reference does.

    frames: the batch's length T before any further padding (data.student_dataset(pad_multiple=...)): only
    positions t < frames count, so the terms equal those of the batch padded to T alone (the reference's
    batches: its Gaussian window sees zeros past T either way)."""
    pred = tf.cast(pred, tf.float32)
    target = tf.cast(target, tf.float32)
    m = frame_mask(lengths, tf.shape(pred)[1])[..., None]
    smap = ssim_map(pred * m, target * m, window_size, sigma)
    if frames is None:
        return tf.reduce_sum(1.0 - smap), tf.cast(tf.size(smap), tf.float32)
    keep = tf.sequence_mask(frames, tf.shape(smap)[1], dtype=tf.float32)[None, :, None]
    count = tf.cast(tf.shape(smap)[0] * tf.shape(smap)[2], tf.float32) * tf.cast(frames, tf.float32)
    return tf.reduce_sum((1.0 - smap) * keep), count


def duration_targets(durations):
    """The reference's duration target: log(d) with d < 1 raised to 1 (so 0-frame phonemes target 0)."""
    d = tf.cast(durations, tf.float32)
    return tf.math.log(tf.maximum(d, 1.0))


def smooth_l1(x, beta: float = 1.0):
    """Elementwise smooth L1 (torch.nn.functional.smooth_l1_loss, reduction='none'): 0.5 x^2 / beta where
    |x| < beta, else |x| - 0.5 beta. Equals the Huber loss for beta = 1. Written out because Keras's
    `losses.huber` averages over the last axis, and the reference's masking needs the elementwise values."""
    a = tf.abs(x)
    if beta <= 0:
        return a
    return tf.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta)


def huber_terms(log_durations, durations, lengths, beta: float = 1.0):
    """(sum of smooth-L1(predicted log durations - log(max(d, 1))) over valid phonemes, their number).
    log_durations, durations [B, N]; lengths [B]."""
    pred = tf.cast(log_durations, tf.float32)
    m = frame_mask(lengths, tf.shape(pred)[1])
    target = duration_targets(durations)
    total = tf.reduce_sum(smooth_l1(pred * m - target * m, beta))
    return total, tf.reduce_sum(m)


def masked_l1(pred, target, lengths):
    total, count = l1_terms(pred, target, lengths)
    return tf.math.divide_no_nan(total, count)


def masked_ssim_loss(pred, target, lengths):
    total, count = ssim_terms(pred, target, lengths)
    return tf.math.divide_no_nan(total, count)


def masked_huber(log_durations, durations, lengths, beta: float = 1.0):
    total, count = huber_terms(log_durations, durations, lengths, beta)
    return tf.math.divide_no_nan(total, count)


__all__ = [
    "SSIM_WINDOW", "SSIM_SIGMA", "SSIM_C1", "SSIM_C2", "gaussian_taps", "ssim_map", "frame_mask", "l1_terms",
    "ssim_terms", "duration_targets", "smooth_l1", "huber_terms", "masked_l1", "masked_ssim_loss",
    "masked_huber",
]
