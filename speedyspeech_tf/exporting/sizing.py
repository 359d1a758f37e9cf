"""Choosing the student's fixed buffer sizes (N phoneme slots, F mel frames) from real LJ Speech data.

No TensorFlow. `sentence_length_stats` runs the project's text front end over transcripts (the 13,100 lines of
ljspeech_transcripts.txt: `id|text`); `frames_per_symbol` reads real clips (an LJ Speech layout folder) and
divides each clip's mel frame count by its symbol count; `overflow_rate` pairs the two to estimate how often a
sentence that fits N slots needs more than F frames. The defaults in config.ExportConfig and their reasoning
(config.EXPORT_SIZE_REASONING) come from these numbers (benchmarks/export_accuracy.py --sizes prints them).

`phonemes_for_frames` is the rule that pairs N with F (the default N = 176 for F = 1152, and the N of every
extra, smaller student of `export --student-sizes`, ExportConfig.student_buckets).
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence

import numpy as np


# Mean mel frames per symbol of real LJ Speech speech (the 32 clips of ljspeech_mini: 5.4 to 7.6, mean 6.5; see
# config.EXPORT_SIZE_REASONING): the rate at which N - pad_symbols symbols are expected to fill F frames.
FRAMES_PER_SYMBOL = 6.5


def phonemes_for_frames(num_frames: int, pad_symbols: int = 5, frames_per_symbol: float = FRAMES_PER_SYMBOL,
                        multiple: int = 8) -> int:
    """N for a student of F frames: the largest multiple of `multiple` whose N - pad_symbols text symbols, at
    `frames_per_symbol` (the LJ Speech mean), need at most F frames. F = 1152 -> 176 (the default pair),
    512 -> 80, 384 -> 64, 256 -> 40. Raises ValueError when F leaves no room for a symbol."""
    n = (pad_symbols + int(num_frames // frames_per_symbol)) // multiple * multiple
    if n <= pad_symbols:
        raise ValueError(f"F = {num_frames} frames hold no symbol at {frames_per_symbol} frames per symbol "
                         f"with {pad_symbols} padding slots")
    return n


def student_buckets(sizes: Iterable[int], num_phonemes: int, num_frames: int, pad_symbols: int = 5) -> tuple:
    """ExportConfig.student_buckets for extra students of F = `sizes` frames beside the main (N, F) one: each
    {"student_file": "student-F.tflite", "max_phonemes": phonemes_for_frames(F), "max_frames": F}, smallest
    first. ValueError (naming the size) for a size not smaller than the main student's F or N."""
    out: list[dict] = []
    for f in sorted({int(x) for x in sizes}):
        if f < 1 or f >= num_frames:
            raise ValueError(f"student size {f}: must be a frame count F between 1 and the main student's "
                             f"F = {num_frames} (exclusive)")
        n = phonemes_for_frames(f, pad_symbols)
        if n >= num_phonemes:
            raise ValueError(f"student size {f}: N = {n} phoneme slots by the sizing rule, not fewer than the "
                             f"main student's N = {num_phonemes}; leave it out or raise --max-phonemes")
        if out and out[-1]["max_phonemes"] == n:
            raise ValueError(f"student sizes {out[-1]['max_frames']} and {f} both get N = {n} phoneme slots: "
                             "leave one out")
        out.append({"student_file": f"student-{f}.tflite", "max_phonemes": n, "max_frames": f})
    return tuple(out)


def read_transcripts(path: str | os.PathLike) -> list[str]:
    """`id|text` lines (LJ Speech's normalized transcripts; metadata.csv's 3-column rows also work)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such transcript file")
    out = []
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            fields = line.split("|")
            if len(fields) < 2:
                raise ValueError(f"{path}:{number}: expected 'id|text', got {line[:60]!r}")
            out.append(fields[-1] if len(fields) == 3 and fields[-1].strip() else fields[1])
    return out


def _text_to_ids() -> Callable[[str], list[int]]:
    from ..text import text_to_ids

    return text_to_ids


def symbol_counts(texts: Iterable[str], text_to_ids: Callable[[str], Sequence[int]] | None = None) -> np.ndarray:
    """Symbols per text as the front end produces them (before the runtime's padding)."""
    fn = text_to_ids or _text_to_ids()
    return np.array([len(fn(t)) for t in texts], np.int64)


def sentence_length_stats(counts: np.ndarray, pad_symbols: int = 5, candidates=(128, 144, 160, 176, 192)) -> dict:
    """Mean/percentiles of symbols per sentence and, per candidate N, the share that would be split."""
    counts = np.asarray(counts)
    pct = np.percentile(counts, [50, 90, 95, 99, 100])
    return {
        "sentences": int(counts.size), "mean": float(counts.mean()), "median": float(pct[0]),
        "p90": float(pct[1]), "p95": float(pct[2]), "p99": float(pct[3]), "max": int(pct[4]),
        "split_share": {int(n): float(np.mean(counts + pad_symbols > n)) for n in candidates},
    }


def frames_per_symbol(corpus_dir: str | os.PathLike, hop_length: int = 256,
                      text_to_ids: Callable[[str], Sequence[int]] | None = None) -> np.ndarray:
    """Mel frames (samples // hop + 1, the feature extractor's count) per symbol of each clip of a corpus in
    the LJ Speech layout (metadata.csv + wavs/)."""
    import soundfile as sf

    fn = text_to_ids or _text_to_ids()
    corpus_dir = os.fspath(corpus_dir)
    meta = os.path.join(corpus_dir, "metadata.csv")
    rates = []
    for item_id, text in _metadata(meta):
        wav = os.path.join(corpus_dir, "wavs", item_id + ".wav")
        frames = sf.info(wav).frames // hop_length + 1
        rates.append(frames / len(fn(text)))
    return np.array(rates, np.float64)


def _metadata(path: str):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: not found (a corpus in the LJ Speech layout has metadata.csv)")
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            fields = line.rstrip("\n").split("|")
            if len(fields) >= 2:
                yield fields[0], (fields[2] if len(fields) == 3 and fields[2].strip() else fields[1])


def overflow_rate(counts: np.ndarray, rates: np.ndarray, num_frames: int) -> float:
    """Share of (sentence, speaking rate) pairs whose frame count (symbols * frames per symbol) exceeds F:
    every sentence's symbol count paired with every measured rate."""
    est = np.asarray(counts, np.float64)[:, None] * np.asarray(rates, np.float64)[None, :]
    return float(np.mean(est > num_frames))


__all__ = ["FRAMES_PER_SYMBOL", "phonemes_for_frames", "student_buckets",
           "read_transcripts", "symbol_counts", "sentence_length_stats", "frames_per_symbol", "overflow_rate"]
