"""Phoneme durations from the teacher's attention: the pure algorithm (numpy only, no TensorFlow).

The reference (janvainer/speedyspeech, code/extract_durations.py and DurationExtractor.generate with window=1)
turns a teacher's attention into durations in three steps, which this module implements:

1. Monotonic constrained argmax (`monotonic_argmax`). Frame t may only attend to the phoneme that frame t-1
   picked or the next one (`window` = 1 phoneme ahead); frame 0 may pick phoneme 0 or 1. Each frame picks the
   allowed phoneme with the largest attention (ties: the lower index, like numpy/torch argmax). The picked
   indices are therefore non-decreasing and move by at most one phoneme per frame.
   In the reference the window is not clipped to the item's phonemes: a frame may step onto a padded phoneme,
   and such frames are then given to the last phoneme. Stepping onto padding is only possible from the last
   real phoneme, and every later frame is then given to that last phoneme too, which is exactly what clipping
   the window to the real phonemes gives; so here the window is clipped (and the result no longer depends on
   how an item was padded in its batch).
2. Counts (`durations_from_alignment`): frames per phoneme; a phoneme no frame picked gets 1 frame.
3. Fix-up (`fix_durations`): step 2 adds one frame per skipped phoneme, so the counts sum to more than the
   frame count; the reference then takes 1 frame from each of the `extra` largest counts. That can leave a
   phoneme with 0 frames (e.g. counts [3, 1, 1] for 3 frames -> [2, 0, 1]); here a count is only reduced while
   it is above 1, in rounds: each round takes 1 frame from each of the largest counts above 1 (ties: lower
   index first), as many as frames are still in excess. When the reference result has no zero, this is the
   reference result (one round, the same counts; only the order among equal counts may differ).

Guarantee: for `frames >= phonemes` the durations are all >= 1 and sum to exactly `frames`, whatever the
attention matrix. `frames < phonemes` cannot satisfy both; it raises `TooFewFramesError` (a ValueError naming
the numbers). Callers that process a corpus check this up front (see `check_alignable`).

The second half of the module compares durations with reference phone timings (used by
benchmarks/duration_accuracy.py): an edit-distance alignment of two phone sequences and boundary errors.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


class TooFewFramesError(ValueError):
    """An item has fewer spectrogram frames than phonemes: no durations >= 1 can sum to its frame count."""


# ============================================================================================ the algorithm

def monotonic_argmax(attention, phoneme_lengths=None, frame_lengths=None, window: int = 1) -> np.ndarray:
    """Per-frame phoneme index under the monotonic window constraint (see the module docstring).

    attention: [T, N] (one item) or [B, T, N] (a batch) of attention weights or logits (any values that rank the
        phonemes of a frame; a softmax over the whole row ranks them the same as over the allowed ones).
    phoneme_lengths, frame_lengths: [B] (or ints for one item) real phonemes / frames of each item; default all.
    window: how many phonemes ahead of the previous frame's pick a frame may move (the reference uses 1).
    Returns int64 [T] (one item) or [B, T]; entries past an item's frame length are -1.
    """
    a = np.asarray(attention)
    single = a.ndim == 2
    if single:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"attention must be [T, N] or [B, T, N], got shape {np.shape(attention)}")
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    B, T, N = a.shape
    plen = _lengths(phoneme_lengths, B, N, "phoneme_lengths")
    flen = _lengths(frame_lengths, B, T, "frame_lengths")
    if np.any(plen < 1) and np.any(flen[plen < 1] > 0):
        raise ValueError("an item with frames has no phonemes (phoneme_lengths < 1)")
    a = np.where(np.isnan(a), -np.inf, a.astype(np.float64, copy=False))
    out = np.full((B, T), -1, np.int64)
    offsets = np.arange(window + 1)
    rows = np.arange(B)
    prev = np.zeros(B, np.int64)  # frame 0 may take phonemes 0 .. window
    limit = np.maximum(plen - 1, 0)
    for t in range(int(flen.max(initial=0))):
        cand = prev[:, None] + offsets[None, :]                  # [B, window+1]
        valid = cand <= limit[:, None]
        cand_c = np.minimum(cand, limit[:, None])
        scores = np.where(valid, a[rows[:, None], t, cand_c], -np.inf)
        # All -inf (e.g. -inf logits everywhere): stay on the previous phoneme.
        pick = np.where(np.isneginf(scores).all(axis=1), prev, cand_c[rows, np.argmax(scores, axis=1)])
        active = t < flen
        out[active, t] = pick[active]
        prev = np.where(active, pick, prev)
    return out[0] if single else out


def monotonic_alignment_search(scores, num_phonemes: int | None = None, num_frames: int | None = None
                               ) -> np.ndarray:
    """The most likely monotonic alignment (Viterbi), an alternative to the reference's greedy rule.

    scores: [T, N] log-probabilities of each frame attending each phoneme (e.g. a log-softmax of the teacher's
    attention logits over the item's phonemes). Among all paths that start at phoneme 0, end at phoneme N-1 and
    move 0 or 1 phoneme per frame (so every phoneme gets at least one frame), returns the per-frame phoneme
    indices [T] of the path with the largest sum of scores. Unlike the greedy window rule it cannot get stuck
    behind a phoneme the attention skips (a space or a punctuation mark that a briefly trained teacher never
    looks at): it sees the whole matrix. The durations (`durations_from_alignment`) are >= 1 and sum to T with
    no fix-up. This is the dynamic programme of Glow-TTS's monotonic alignment search (Kim et al. 2020); numpy
    has no such op, hence written out here: O(T * N), vectorised over the phonemes.
    """
    a = np.asarray(scores, np.float64)
    if a.ndim != 2:
        raise ValueError(f"scores must be [T, N], got shape {a.shape}")
    n = a.shape[1] if num_phonemes is None else int(num_phonemes)
    t = a.shape[0] if num_frames is None else int(num_frames)
    if not 1 <= n <= a.shape[1] or not 0 <= t <= a.shape[0]:
        raise ValueError(f"num_phonemes {n} / num_frames {t} outside the scores' shape {a.shape}")
    if t < n:
        raise TooFewFramesError(f"{t} frames for {n} phonemes: a monotonic path cannot give every phoneme a frame")
    a = np.where(np.isfinite(a[:t, :n]), a[:t, :n], -1e30)
    best = np.full((t, n), -np.inf)
    best[0, 0] = a[0, 0]
    moved = np.zeros((t, n), bool)  # frame i came from phoneme k-1 (True) or stayed on k (False)
    for i in range(1, t):
        stay = best[i - 1]
        step = np.concatenate(([-np.inf], best[i - 1, :-1]))
        moved[i] = step > stay
        best[i] = np.maximum(stay, step) + a[i]
    idx = np.empty(t, np.int64)
    k = n - 1
    for i in range(t - 1, -1, -1):
        idx[i] = k
        if i > 0 and moved[i, k]:
            k -= 1
    return idx


def durations_from_alignment(indices, num_phonemes: int) -> np.ndarray:
    """Frames per phoneme from per-frame phoneme indices [T] (entries < 0 are ignored as padding); phonemes
    that no frame picked get 1 frame (so the sum exceeds T by the number of such phonemes).

    For non-decreasing indices this is the reference's count of consecutive runs; for any other sequence each
    phoneme counts all frames that picked it."""
    idx = np.asarray(indices, np.int64).reshape(-1)
    idx = idx[idx >= 0]
    if num_phonemes < 1:
        raise ValueError(f"num_phonemes must be at least 1, got {num_phonemes}")
    if idx.size and idx.max() >= num_phonemes:
        raise ValueError(f"alignment picks phoneme {int(idx.max())}, but the item has {num_phonemes} phonemes")
    counts = np.bincount(idx, minlength=num_phonemes).astype(np.int64)
    counts[counts == 0] = 1
    return counts


def fix_durations(counts, num_frames: int) -> np.ndarray:
    """Reduce the largest counts (never below 1) until they sum to `num_frames` (see the module docstring).

    Raises TooFewFramesError when num_frames < len(counts), ValueError when the counts already sum to fewer
    than num_frames or hold a value < 1."""
    d = np.asarray(counts, np.int64).reshape(-1).copy()
    n = d.size
    num_frames = int(num_frames)
    if n == 0:
        raise ValueError("no phonemes")
    if num_frames < n:
        raise TooFewFramesError(f"{num_frames} frames for {n} phonemes: durations of at least 1 frame each "
                                "cannot sum to the frame count")
    if d.min() < 1:
        raise ValueError(f"counts must be at least 1, got {int(d.min())}")
    extra = int(d.sum()) - num_frames
    if extra < 0:
        raise ValueError(f"counts sum to {int(d.sum())}, fewer than the {num_frames} frames")
    index = np.arange(n)
    while extra > 0:
        eligible = index[d > 1]  # not empty: sum(d) > num_frames >= n
        k = min(extra, eligible.size)
        order = np.lexsort((eligible, -d[eligible]))  # largest first, lower index first among equals
        d[eligible[order[:k]]] -= 1
        extra -= k
    return d


def extract_durations(attention, num_phonemes: int | None = None, num_frames: int | None = None,
                      window: int = 1) -> np.ndarray:
    """The whole algorithm for one item: attention [T, N] -> int64 durations [num_phonemes] summing to
    num_frames (defaults: N and T; only attention[:num_frames, :num_phonemes] is used)."""
    a = np.asarray(attention)
    if a.ndim != 2:
        raise ValueError(f"attention must be [T, N], got shape {a.shape}")
    n = a.shape[1] if num_phonemes is None else int(num_phonemes)
    t = a.shape[0] if num_frames is None else int(num_frames)
    if not 1 <= n <= a.shape[1]:
        raise ValueError(f"num_phonemes {n} outside 1..{a.shape[1]}")
    if not 0 <= t <= a.shape[0]:
        raise ValueError(f"num_frames {t} outside 0..{a.shape[0]}")
    if t < n:
        raise TooFewFramesError(f"{t} frames for {n} phonemes: durations of at least 1 frame each cannot sum "
                                "to the frame count")
    idx = monotonic_argmax(a[:t, :n], window=window)
    return fix_durations(durations_from_alignment(idx, n), t)


def extract_durations_batch(attention, phoneme_lengths, frame_lengths, window: int = 1) -> list[np.ndarray]:
    """`extract_durations` over a padded batch [B, T, N]; returns one int64 array per item (the argmax runs
    vectorised over the batch)."""
    a = np.asarray(attention)
    if a.ndim != 3:
        raise ValueError(f"attention must be [B, T, N], got shape {a.shape}")
    plen = _lengths(phoneme_lengths, a.shape[0], a.shape[2], "phoneme_lengths")
    flen = _lengths(frame_lengths, a.shape[0], a.shape[1], "frame_lengths")
    bad = np.flatnonzero(flen < plen)
    if bad.size:
        b = int(bad[0])
        raise TooFewFramesError(f"batch item {b}: {flen[b]} frames for {plen[b]} phonemes: durations of at least "
                                "1 frame each cannot sum to the frame count")
    idx = monotonic_argmax(a, plen, flen, window=window)
    return [fix_durations(durations_from_alignment(idx[b, :flen[b]], int(plen[b])), int(flen[b]))
            for b in range(a.shape[0])]


def check_alignable(items: Iterable[tuple[str, int, int]]) -> list[str]:
    """Ids of the (id, num_phonemes, num_frames) items with fewer frames than phonemes."""
    return [item_id for item_id, n, t in items if t < n]


def alignment_matrix(durations) -> np.ndarray:
    """Durations [N] -> hard alignment [sum(d), N] (1 where frame t belongs to phoneme n), for plots/checks."""
    d = np.asarray(durations, np.int64)
    owner = np.repeat(np.arange(d.size), np.maximum(d, 0))
    m = np.zeros((owner.size, d.size), np.float32)
    m[np.arange(owner.size), owner] = 1.0
    return m


def _lengths(lengths, batch: int, maximum: int, name: str) -> np.ndarray:
    if lengths is None:
        return np.full(batch, maximum, np.int64)
    out = np.asarray(lengths, np.int64).reshape(-1)
    if out.size == 1 and batch != 1:
        out = np.full(batch, int(out[0]), np.int64)
    if out.size != batch:
        raise ValueError(f"{name}: {out.size} values for a batch of {batch}")
    if np.any(out < 0) or np.any(out > maximum):
        raise ValueError(f"{name} must lie in 0..{maximum}, got {out.tolist()}")
    return out


# ================================================================================ comparing with timings

def align_sequences(a: Sequence[str], b: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Levenshtein alignment of two symbol sequences (unit costs; on equal cost a match/substitution is
    preferred over a gap). Returns the aligned pairs (i, j) in order; None marks a gap."""
    n, m = len(a), len(b)
    cost = np.zeros((n + 1, m + 1), np.int64)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        ai = a[i - 1]
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + (ai != b[j - 1]), cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    pairs = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + (a[i - 1] != b[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def stressless(symbol: str) -> str:
    """'AH0' -> 'AH' (other symbols unchanged)."""
    return symbol.rstrip("012") if symbol[:1].isalpha() and symbol[:1].isupper() else symbol


def boundary_errors(symbols: Sequence[str], durations, phones: Sequence[tuple[str | None, float, float]],
                    frames_per_second: float, skip_first_start: bool = True) -> dict:
    """Compare durations with reference phone timings.

    symbols: our symbols of the item (phonemes with stress, spaces, punctuation); durations: frames per symbol.
    phones: (stressless ARPAbet or None for silence, start s, end s), e.g. demo_corpus.load_phone_timings.
    Our phonemes (spaces and punctuation left out) are aligned with the reference's non-silent phones by an
    edit-distance alignment over stressless names; for every exact match, the start and end of the phone are
    compared. Our boundary is a frame count (the frames before it); the reference's is the number of frames
    whose centre (frame t is centred at t / frames_per_second seconds) lies before its time.
    skip_first_start: leave out the start of the utterance's first phone (our symbol table has no silence
    symbol, so the first phoneme absorbs the leading silence by construction).
    Returns {"errors": int array of |ours - reference| in frames, "matched", "ours", "reference"}.
    """
    d = np.asarray(durations, np.int64)
    if len(symbols) != d.size:
        raise ValueError(f"{len(symbols)} symbols but {d.size} durations")
    ends = np.cumsum(d)
    starts = ends - d
    ours = [(stressless(s), int(starts[k]), int(ends[k])) for k, s in enumerate(symbols)
            if s[:1].isalpha() and s[:1].isupper()]
    ref = []
    for name, start, end in phones:
        if name is None:
            continue
        ref.append((name, _frames_before(start, frames_per_second), _frames_before(end, frames_per_second)))
    pairs = align_sequences([o[0] for o in ours], [r[0] for r in ref])
    errors = []
    matched = 0
    for i, j in pairs:
        if i is None or j is None or ours[i][0] != ref[j][0]:
            continue
        matched += 1
        if not (skip_first_start and i == 0):
            errors.append(abs(ours[i][1] - ref[j][1]))
        errors.append(abs(ours[i][2] - ref[j][2]))
    return {"errors": np.asarray(errors, np.int64), "matched": matched, "ours": len(ours), "reference": len(ref)}


def _frames_before(seconds: float, frames_per_second: float) -> int:
    """Number of frames whose centre t / frames_per_second lies before `seconds` (a tolerance of 1e-6 frame
    absorbs float rounding of times that fall exactly on a centre)."""
    return max(0, int(np.ceil(seconds * frames_per_second - 1e-6)))


def uniform_durations(num_symbols: int, num_frames: int) -> np.ndarray:
    """Frames spread as evenly as possible over the symbols (a baseline for benchmarks)."""
    if num_symbols < 1:
        raise ValueError("no symbols")
    edges = np.floor(np.arange(num_symbols + 1) * num_frames / num_symbols).astype(np.int64)
    return np.diff(edges)


# ================================================================================ durations from timings

def durations_from_timings(symbols: Sequence[str], phones: Sequence[tuple[str | None, float, float]],
                           num_frames: int, frames_per_second: float) -> np.ndarray:
    """Frames per symbol from a voice's own phone timings (Festival's; no teacher needed).

    symbols: our symbols of the item (phonemes with stress, spaces, punctuation); phones: (stressless ARPAbet
    or None for silence, start s, end s) as demo_corpus.load_phone_timings gives them; num_frames: the item's
    mel frames. Our phonemes are aligned with the voice's non-silent phones (edit distance over stressless
    names, as boundary_errors does): a phoneme paired with a phone ends where that phone ends (frame
    boundaries as in boundary_errors); the spaces and punctuation between two phonemes end where the next
    phoneme starts, so a pause goes to the first of them (the comma, not the space after it); the first symbol
    takes the leading silence and the last the trailing one. Boundaries the alignment leaves open are spread
    evenly between their neighbours. Every symbol gets at least one frame (from a neighbour) and the
    counts sum to num_frames. Raises TooFewFramesError when num_frames < len(symbols).
    """
    n = len(symbols)
    if n == 0:
        raise ValueError("no symbols")
    if num_frames < n:
        raise TooFewFramesError(f"{num_frames} frames for {n} symbols")
    is_phone = [s[:1].isalpha() and s[:1].isupper() for s in symbols]
    ours = [k for k in range(n) if is_phone[k]]
    ref = [(name, _frames_before(a, frames_per_second), _frames_before(b, frames_per_second))
           for name, a, b in phones if name is not None]
    pairs = align_sequences([stressless(symbols[k]) for k in ours], [r[0] for r in ref])
    start_of: dict[int, int] = {}
    end_of: dict[int, int] = {}
    for i, j in pairs:
        if i is not None and j is not None:
            start_of[ours[i]] = min(ref[j][1], num_frames)
            end_of[ours[i]] = min(ref[j][2], num_frames)
    ends = np.full(n, np.nan)
    for k in ours:
        if k in end_of:
            ends[k] = end_of[k]
    k = 0
    while k < n:  # a run of spaces/punctuation k..m-1 before phoneme m (or the end): the first takes the pause
        if is_phone[k]:
            k += 1
            continue
        m = k
        while m < n and not is_phone[m]:
            m += 1
        end = num_frames if m == n else start_of.get(m)
        if end is not None:
            for q in range(k, m):
                ends[q] = end - (m - 1 - q)
        k = m
    ends[n - 1] = num_frames
    # fill open boundaries evenly, then make them monotonic
    known = np.flatnonzero(~np.isnan(ends))
    prev_k, prev_v = -1, 0.0
    for kk in known:
        if kk - prev_k > 1:
            ends[prev_k + 1:kk] = prev_v + (ends[kk] - prev_v) * np.arange(1, kk - prev_k) / (kk - prev_k)
        prev_k, prev_v = kk, ends[kk]
    ends = np.maximum.accumulate(np.clip(np.round(ends), 0, num_frames)).astype(np.int64)
    d = np.diff(np.concatenate([[0], ends]))
    # at least one frame each, taken from the longer neighbour (else the longest symbol), so that the other
    # boundaries stay where the voice put them
    while d.min() < 1:
        k = int(np.argmin(d))
        need = 1 - int(d[k])
        near = [q for q in (k - 1, k + 1) if 0 <= q < n and d[q] > 1]
        donor = max(near, key=lambda q: d[q]) if near else int(np.argmax(d))
        take = min(need, int(d[donor]) - 1)
        if take <= 0:
            raise TooFewFramesError(f"{num_frames} frames for {n} symbols")
        d[donor] -= take
        d[k] += take
    assert int(d.sum()) == num_frames
    return d


def word_spans(symbols: Sequence[str], owners: Sequence[int], durations) -> list[tuple[int, int, int]]:
    """(word, start frame, end frame) of every word that owns a phoneme, in order: from the start of its first
    phoneme to the end of its last (as runtime/timing.py times words). owners: the word index of each symbol
    (-1 for spaces; punctuation owns no phoneme, so it is no word here); durations: frames per symbol."""
    d = np.asarray(durations, np.int64)
    if not len(symbols) == len(owners) == d.size:
        raise ValueError(f"{len(symbols)} symbols, {len(owners)} owners and {d.size} durations")
    ends = np.cumsum(d)
    spans: dict[int, list[int]] = {}
    for k, (s, w) in enumerate(zip(symbols, owners)):
        if w >= 0 and s[:1].isalpha() and s[:1].isupper():
            span = spans.setdefault(int(w), [int(ends[k] - d[k]), int(ends[k])])
            span[1] = int(ends[k])
    return [(w, a, b) for w, (a, b) in spans.items()]


def word_times_from_timings(symbols: Sequence[str], owners: Sequence[int],
                            phones: Sequence[tuple[str | None, float, float]], num_frames: int,
                            frames_per_second: float) -> list[tuple[int, float, float, int, int]]:
    """Where the voice's phone timings put each of our words: (word, start s, end s, target start frame,
    target end frame) per word that owns a phoneme (see word_spans).

    Our phonemes are paired with the voice's phones by the same alignment durations_from_timings uses; a
    word's start/end are the start of the phone paired with its first phoneme and the end of the phone paired
    with its last (seconds, unrounded). The targets are the word's frame boundaries in durations_from_timings
    (what a student trained on these timings learns: the first word's start is frame 0, since the first symbol
    takes the leading silence); where an end phoneme is unpaired, its time is the target boundary's."""
    is_phone = [s[:1].isalpha() and s[:1].isupper() for s in symbols]
    ours = [k for k in range(len(symbols)) if is_phone[k]]
    ref = [(name, a, b) for name, a, b in phones if name is not None]
    pairs = align_sequences([stressless(symbols[k]) for k in ours], [r[0] for r in ref])
    paired = {ours[i]: ref[j] for i, j in pairs if i is not None and j is not None}
    targets = word_spans(symbols, owners, durations_from_timings(symbols, phones, num_frames, frames_per_second))
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for k in ours:
        if owners[k] >= 0:
            first.setdefault(owners[k], k)
            last[owners[k]] = k
    out = []
    for w, a, b in targets:
        start = paired[first[w]][1] if first[w] in paired else a / frames_per_second
        end = paired[last[w]][2] if last[w] in paired else b / frames_per_second
        out.append((w, float(start), float(end), a, b))
    return out


__all__ = [
    "TooFewFramesError", "monotonic_argmax", "durations_from_alignment", "fix_durations", "extract_durations",
    "extract_durations_batch", "check_alignable", "alignment_matrix", "align_sequences", "stressless",
    "boundary_errors", "uniform_durations", "durations_from_timings", "word_spans", "word_times_from_timings",
]


def corpus_timing_durations(corpus_dir, cache_dir, progress: bool = True) -> tuple[dict, dict]:
    """durations_from_timings for every cached item of a corpus with phone timings (a Festival demo corpus).
    Returns ({item id: frames per symbol}, {item id: why it was skipped})."""
    from tqdm import tqdm

    from .data import load_cache
    from .demo_corpus import load_phone_timings
    from .text import ids_to_phonemes

    cache = load_cache(cache_dir)
    fps = cache.audio.sample_rate / cache.audio.hop_length
    out, skipped = {}, {}
    for item in tqdm(cache.items, desc="timing-durations", unit="item", disable=not progress):
        try:
            phones = load_phone_timings(corpus_dir, item["id"])
            symbols = ids_to_phonemes(item["phonemes"])
            out[item["id"]] = durations_from_timings(symbols, phones, int(item["frames"]), fps)
        except (TooFewFramesError, ValueError) as e:
            skipped[item["id"]] = str(e)
    return out, skipped


def register(subparsers) -> None:
    from .cli import add_command

    p = add_command(
        subparsers, "timing-durations",
        "durations from a corpus's own phone timings (Festival demo corpus; no teacher)",
        "Turn the phone timings of a demo corpus made with Festival (make-demo-corpus) into the student's "
        "durations file, without a teacher: each phoneme ends where the voice's phone ends; pauses go to the "
        "punctuation or space before the next word.",
        ("corpus_dir", "CORPUS_DIR", "corpus with phone_timings/ (make-demo-corpus)"),
        ("cache_dir", "CACHE_DIR", "its preprocessed cache (speedyspeech-tf preprocess)"),
        ("out_file", "OUT_FILE", "durations file to write (.npz)"))
    p.set_defaults(func=_cmd_timing_durations)


def _cmd_timing_durations(args) -> int:
    from .cli import CLIError
    from .data import save_durations

    try:
        durations, skipped = corpus_timing_durations(args.corpus_dir, args.cache_dir)
    except (FileNotFoundError, ValueError) as e:
        raise CLIError(str(e)) from None
    if not durations:
        raise CLIError(f"{args.corpus_dir}: no item has usable phone timings "
                       f"({next(iter(skipped.values()), 'no items')})")
    save_durations(args.out_file, durations)
    print(f"timing-durations: {len(durations)} items -> {args.out_file}"
          + (f" ({len(skipped)} skipped, e.g. {next(iter(skipped))}: {next(iter(skipped.values()))})"
             if skipped else ""))
    return 0
