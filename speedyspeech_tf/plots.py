"""PNG plots a person looks at during training: attention matrices and mel spectrograms (shared by all trainers).

Matplotlib with the Agg canvas, used through `matplotlib.figure.Figure` directly (no pyplot): no global backend
switch, no GUI, nothing left open between calls, safe in worker threads and headless servers. Nothing here
imports TensorFlow; `figure_to_rgb` gives the uint8 image that `tf.summary.image` takes.

    fig = attention_figure(weights, durations=d, labels=symbols, title="LJ001-0001")
    save_png(fig, "RUN_DIR/plots/epoch_0003_LJ001-0001.png")
    image = figure_to_rgb(fig)            # [H, W, 3] uint8

or the one-call helpers `plot_attention`, `plot_mels`, `plot_alignment_summary`.
"""
from __future__ import annotations

import io
import os
from typing import Sequence

import numpy as np

from .config import write_atomic

DPI = 100


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _as_2d(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    return a


def _path_from_durations(durations) -> np.ndarray:
    """Durations [N] -> phoneme index of every frame [sum(d)]."""
    d = np.maximum(np.asarray(durations, np.int64), 0)
    return np.repeat(np.arange(d.size), d)


def _draw_attention(ax, weights: np.ndarray, path: np.ndarray | None, labels: Sequence[str] | None,
                    title: str | None) -> None:
    T, N = weights.shape
    im = ax.imshow(weights.T, origin="lower", aspect="auto", interpolation="none", cmap="viridis",
                   extent=(-0.5, T - 0.5, -0.5, N - 0.5))
    if path is not None and len(path):
        frames = np.arange(len(path))
        ax.step(frames, path, where="mid", color="red", linewidth=0.9, alpha=0.8, label="alignment")
        ax.legend(loc="upper left", fontsize=7, framealpha=0.6)
    ax.set_xlabel("frame")
    ax.set_ylabel("phoneme")
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(-0.5, N - 0.5)
    if labels is not None and len(labels) == N and N <= 120:
        ax.set_yticks(np.arange(N))
        ax.set_yticklabels(["_" if s == " " else s for s in labels], fontsize=max(3, 8 - N // 25))
    if title:
        ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.01)


def _draw_mel(ax, mel: np.ndarray, title: str | None, vmin=None, vmax=None) -> None:
    im = ax.imshow(mel.T, origin="lower", aspect="auto", interpolation="none", cmap="magma", vmin=vmin, vmax=vmax)
    ax.set_ylabel("mel band")
    if title:
        ax.set_title(title, fontsize=9)
    ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.01)


def attention_figure(weights, *, durations=None, path=None, labels: Sequence[str] | None = None,
                     title: str | None = None):
    """Attention [T frames, N phonemes] as an image (phonemes up, frames right), optionally with an alignment
    overlaid in red: `durations` [N] (frames per phoneme) or `path` [T] (phoneme index per frame). `labels`
    name the phonemes on the y axis (up to 120; a space is shown as "_")."""
    w = _as_2d(weights, "attention")
    if durations is not None and path is not None:
        raise ValueError("give durations or path, not both")
    if durations is not None:
        if len(np.asarray(durations).reshape(-1)) != w.shape[1]:
            raise ValueError(f"{len(np.asarray(durations).reshape(-1))} durations for {w.shape[1]} phonemes")
        path = _path_from_durations(durations)
    elif path is not None:
        path = np.asarray(path).reshape(-1)
    T, N = w.shape
    fig = _figure(min(16.0, 4.0 + T / 40.0), min(12.0, 3.0 + N / 12.0))
    _draw_attention(fig.add_subplot(1, 1, 1), w, path, labels, title)
    fig.tight_layout()
    return fig


def mel_figure(mels: Sequence, titles: Sequence[str] | None = None, *, shared_scale: bool = True,
               suptitle: str | None = None):
    """Mel spectrograms [T, n_mels] stacked vertically (e.g. target over prediction), on one colour scale
    when shared_scale."""
    arrays = [_as_2d(m, f"mel {i}") for i, m in enumerate(mels)]
    if not arrays:
        raise ValueError("no spectrograms to plot")
    if titles is not None and len(titles) != len(arrays):
        raise ValueError(f"{len(titles)} titles for {len(arrays)} spectrograms")
    vmin = vmax = None
    if shared_scale:
        vmin = float(min(a.min() for a in arrays))
        vmax = float(max(a.max() for a in arrays))
    T = max(a.shape[0] for a in arrays)
    fig = _figure(min(16.0, 4.0 + T / 40.0), 2.4 * len(arrays) + (0.4 if suptitle else 0.0))
    for i, a in enumerate(arrays):
        ax = fig.add_subplot(len(arrays), 1, i + 1)
        _draw_mel(ax, a, titles[i] if titles else None, vmin, vmax)
        ax.set_xlim(-0.5, T - 0.5)
    ax.set_xlabel("frame")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def alignment_summary_figure(target, predicted, weights, *, durations=None, labels: Sequence[str] | None = None,
                             title: str | None = None):
    """Target mel, predicted mel and attention (with the extracted alignment) of one item, on a shared frame
    axis: what the trainers plot every epoch."""
    tgt = _as_2d(target, "target mel")
    pred = _as_2d(predicted, "predicted mel")
    w = _as_2d(weights, "attention")
    T = max(tgt.shape[0], pred.shape[0], w.shape[0])
    N = w.shape[1]
    fig = _figure(min(16.0, 5.0 + T / 40.0), 5.0 + min(8.0, N / 12.0))
    grid = fig.add_gridspec(3, 1, height_ratios=[1, 1, max(1.2, min(3.5, N / 25.0))])
    vmin, vmax = float(min(tgt.min(), pred.min())), float(max(tgt.max(), pred.max()))
    ax0 = fig.add_subplot(grid[0])
    _draw_mel(ax0, tgt, "target", vmin, vmax)
    ax1 = fig.add_subplot(grid[1], sharex=ax0)
    _draw_mel(ax1, pred, "predicted (teacher forcing)", vmin, vmax)
    ax2 = fig.add_subplot(grid[2], sharex=ax0)
    path = _path_from_durations(durations) if durations is not None else None
    _draw_attention(ax2, w, path, labels, "attention" + (" + extracted alignment" if path is not None else ""))
    ax0.set_xlim(-0.5, T - 0.5)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def figure_to_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def figure_to_rgb(fig) -> np.ndarray:
    """The rendered figure as uint8 [H, W, 3] (for tf.summary.image after adding a batch axis)."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def save_png(fig, path: str | os.PathLike) -> str:
    """Write the figure as PNG atomically (temporary file + rename); creates the folder. Returns the path."""
    path = os.fspath(path)
    write_atomic(path, figure_to_png(fig))
    return path


def plot_attention(path: str | os.PathLike, weights, **kwargs) -> str:
    """attention_figure(...) written to `path` (PNG)."""
    return save_png(attention_figure(weights, **kwargs), path)


def plot_mels(path: str | os.PathLike, mels: Sequence, titles: Sequence[str] | None = None, **kwargs) -> str:
    """mel_figure(...) written to `path` (PNG)."""
    return save_png(mel_figure(mels, titles, **kwargs), path)


def plot_alignment_summary(path: str | os.PathLike, target, predicted, weights, **kwargs) -> str:
    """alignment_summary_figure(...) written to `path` (PNG)."""
    return save_png(alignment_summary_figure(target, predicted, weights, **kwargs), path)


__all__ = [
    "attention_figure", "mel_figure", "alignment_summary_figure", "figure_to_png", "figure_to_rgb", "save_png",
    "plot_attention", "plot_mels", "plot_alignment_summary",
]
