"""speedyspeech_tf.plots: PNG files and RGB images of attention matrices and mel spectrograms."""
from __future__ import annotations

import numpy as np
import pytest

from speedyspeech_tf.plots import (alignment_summary_figure, attention_figure, figure_to_rgb, mel_figure,
                                   plot_alignment_summary, plot_attention, plot_mels)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _red_pixels(image: np.ndarray) -> int:
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return int(np.sum((r > 200) & (g < 90) & (b < 90)))


def test_attention_png_with_and_without_the_alignment_overlay(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.uniform(size=(40, 6))
    w /= w.sum(1, keepdims=True)
    path = plot_attention(tmp_path / "sub" / "att.png", w, durations=[5, 10, 5, 10, 5, 5],
                          labels=["HH", "AH0", " ", "L", "OW1", "."], title="item")
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC
    with_overlay = figure_to_rgb(attention_figure(w, durations=[5, 10, 5, 10, 5, 5]))
    without = figure_to_rgb(attention_figure(w))
    assert with_overlay.dtype == np.uint8 and with_overlay.ndim == 3 and with_overlay.shape[2] == 3
    assert _red_pixels(with_overlay) > 50 and _red_pixels(without) == 0  # viridis has no red: the path is red
    assert not list(tmp_path.joinpath("sub").glob(".tmp-*"))  # written atomically, nothing left behind


def test_mels_and_summary(tmp_path):
    rng = np.random.default_rng(1)
    target, pred = rng.uniform(size=(50, 80)), rng.uniform(size=(50, 80))
    w = np.eye(50, 7)
    for p in (plot_mels(tmp_path / "m.png", [target, pred], ["target", "predicted"], suptitle="x"),
              plot_alignment_summary(tmp_path / "s.png", target, pred, w, durations=[10, 5, 5, 10, 10, 5, 5])):
        with open(p, "rb") as f:
            assert f.read(8) == PNG_MAGIC
    img = figure_to_rgb(alignment_summary_figure(target, pred, w))
    assert img.shape[0] > 300 and img.shape[1] > 400


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="3 durations for 6 phonemes"):
        attention_figure(np.ones((10, 6)), durations=[1, 2, 3])
    with pytest.raises(ValueError, match="attention must be 2-D"):
        attention_figure(np.ones(10))
    with pytest.raises(ValueError, match="empty"):
        attention_figure(np.ones((0, 3)))
    with pytest.raises(ValueError, match="1 titles for 2 spectrograms"):
        mel_figure([np.ones((3, 4)), np.ones((3, 4))], ["a"])
    with pytest.raises(ValueError, match="not both"):
        attention_figure(np.ones((3, 3)), durations=[1, 1, 1], path=[0, 1, 2])
