"""speedyspeech_tf.durations: the pure duration-extraction algorithm (numpy), against hand-made attention
matrices, a literal re-implementation of the reference's frame-by-frame procedure, and properties."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from speedyspeech_tf.durations import (TooFewFramesError, align_sequences, alignment_matrix, boundary_errors,
                                       check_alignable, durations_from_alignment, extract_durations,
                                       extract_durations_batch, fix_durations, monotonic_alignment_search,
                                       monotonic_argmax, stressless,
                                       uniform_durations)


# ----------------------------------------------------------------------------------------------- hand-made

def test_argmax_may_only_stay_or_advance_by_one():
    # Unconstrained argmax per frame: 0, 3, 3, 1, 2, 3. Frame 1 wants phoneme 3 but may only take 0 or 1;
    # frame 3 wants to go back to 1 but may only take 2 or 3.
    att = np.array([
        [0.9, 0.1, 0.0, 0.0],
        [0.1, 0.2, 0.0, 0.7],
        [0.0, 0.1, 0.3, 0.6],
        [0.1, 0.8, 0.1, 0.0],
        [0.0, 0.1, 0.6, 0.3],
        [0.0, 0.0, 0.2, 0.8],
    ])
    np.testing.assert_array_equal(monotonic_argmax(att), [0, 1, 2, 2, 2, 3])
    np.testing.assert_array_equal(extract_durations(att), [1, 1, 3, 1])
    # A window of 3 lets frame 1 jump three phonemes ahead.
    np.testing.assert_array_equal(monotonic_argmax(att, window=3)[:2], [0, 3])


def test_first_frame_may_take_phoneme_0_or_1_and_ties_take_the_lower_index():
    att = np.array([[0.1, 0.3, 0.6], [0.2, 0.4, 0.4], [0.0, 0.5, 0.5]])
    # frame 0: {0, 1} -> 1; frame 1: {1, 2} tie -> 1; frame 2: {1, 2} tie -> 1
    np.testing.assert_array_equal(monotonic_argmax(att), [1, 1, 1])
    assert list(extract_durations(att)) == [1, 1, 1]  # phonemes 0 and 2 never attended: 1 + 3 + 1 -> trimmed


def test_window_is_clipped_to_the_real_phonemes_and_padding_frames_are_minus_one():
    att = np.zeros((2, 5, 4))
    att[0, :, 3] = 10.0   # a padded phoneme (item 0 has 3 phonemes) with the largest attention everywhere
    att[0, :, 2] = 1.0
    att[0, :, 1] = 0.5
    att[1] = np.eye(5, 4)[:, ::-1]  # item 1: 2 frames
    idx = monotonic_argmax(att, phoneme_lengths=[3, 4], frame_lengths=[5, 2])
    np.testing.assert_array_equal(idx[0], [1, 2, 2, 2, 2])  # walks right but never onto phoneme 3
    np.testing.assert_array_equal(idx[1, 2:], [-1, -1, -1])


def test_nan_rows_and_all_minus_inf_rows_do_not_crash():
    att = np.array([[np.nan, 1.0], [-np.inf, -np.inf], [2.0, 0.0]])
    np.testing.assert_array_equal(monotonic_argmax(att), [1, 1, 1])


def test_counts_give_skipped_phonemes_one_frame():
    np.testing.assert_array_equal(durations_from_alignment([0, 0, 2, 2, 2, -1], 4), [2, 1, 3, 1])
    with pytest.raises(ValueError, match="picks phoneme 4"):
        durations_from_alignment([0, 4], 3)


def test_fix_up_reduces_the_largest_and_never_below_one():
    # The reference's one-round trim of [3, 1, 1] to 3 frames would give [2, 0, 1].
    np.testing.assert_array_equal(fix_durations([3, 1, 1], 3), [1, 1, 1])
    np.testing.assert_array_equal(fix_durations([5, 1, 3, 1], 8), [4, 1, 2, 1])     # one round: 5 and 3
    np.testing.assert_array_equal(fix_durations([4, 4, 1, 1], 9), [3, 4, 1, 1])     # tie: lower index first
    np.testing.assert_array_equal(fix_durations([2, 2, 2], 6), [2, 2, 2])           # nothing to do
    with pytest.raises(ValueError, match="fewer than"):
        fix_durations([1, 1], 3)


def test_too_few_frames_is_a_clear_error():
    with pytest.raises(TooFewFramesError, match="2 frames for 3 phonemes"):
        fix_durations([1, 1, 1], 2)
    with pytest.raises(TooFewFramesError, match="2 frames for 3 phonemes"):
        extract_durations(np.ones((2, 3)))
    with pytest.raises(TooFewFramesError, match="batch item 1: 1 frames for 2 phonemes"):
        extract_durations_batch(np.ones((2, 4, 3)), [2, 2], [4, 1])
    assert check_alignable([("a", 3, 2), ("b", 2, 2), ("c", 5, 9)]) == ["a"]


def test_batch_equals_items():
    rng = np.random.default_rng(0)
    att = rng.normal(size=(3, 40, 12))
    plen, flen = [12, 7, 3], [40, 25, 9]
    batch = extract_durations_batch(att, plen, flen)
    for b in range(3):
        np.testing.assert_array_equal(batch[b], extract_durations(att[b], plen[b], flen[b]))


def test_alignment_matrix():
    m = alignment_matrix([2, 1, 0, 3])
    assert m.shape == (6, 4)
    np.testing.assert_array_equal(m.argmax(1), [0, 0, 1, 3, 3, 3])
    np.testing.assert_array_equal(m.sum(0), [2, 1, 0, 3])


# ---------------------------------------------------------------------- the reference, step by step

def _reference_durations(logits_padded, plen, flen):
    """The reference procedure, literally: DurationExtractor.generate(window=1, spectrograms=...) over a padded
    batch (masks from idx_mask only: padded phonemes may be attended), then fertilities_improper (zero rows in
    the item's slice go to its last phoneme; counts of consecutive runs; unattended phonemes get 1) and
    smooth_fertilities (1 frame off each of the `extra` largest). Returns (improper, smoothed)."""
    T, N = logits_padded.shape
    idx = 0
    rows = []
    for t in range(T):
        allowed = (np.arange(N) >= idx) & (np.arange(N) <= idx + 1)
        z = np.where(allowed, logits_padded[t], -np.inf)
        w = np.exp(z - z.max())
        w /= w.sum()
        rows.append(w)
        idx = int(np.argmax(w))
    a = np.array(rows)[:flen, :plen].copy()
    a[~(a > 0).any(axis=1), -1] = 1
    am = np.argmax(a, axis=1)
    fert = np.ones(plen, np.int64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(am)) + 1])
    fert[am[starts]] = np.diff(np.concatenate([starts, [len(am)]]))
    improper = fert.copy()
    extra = int(fert.sum() - flen)
    if extra:
        fert[np.argpartition(fert, -extra)[-extra:]] -= 1
    return improper, fert


@pytest.mark.parametrize("seed", range(40))
def test_equals_the_reference_procedure_on_padded_items(seed):
    rng = np.random.default_rng(seed)
    plen = int(rng.integers(2, 15))
    flen = int(rng.integers(plen, 4 * plen + 2))
    pad_n, pad_t = int(rng.integers(1, 4)), int(rng.integers(0, 5))
    # A rough diagonal plus noise, as a half-trained teacher gives, with padded frames and phonemes (the padded
    # phonemes continue the diagonal, so the reference's frames do step onto them near the end).
    t = np.arange(flen + pad_t)[:, None] / flen
    n = np.arange(plen + pad_n)[None, :] / plen
    logits = -30 * (t - n) ** 2 + rng.normal(scale=2.0, size=(flen + pad_t, plen + pad_n))
    improper, smoothed = _reference_durations(logits, plen, flen)
    untrimmed = durations_from_alignment(monotonic_argmax(logits, plen, flen), plen)
    np.testing.assert_array_equal(untrimmed, improper)  # the clipped window gives the reference's counts
    ours = extract_durations(logits, plen, flen)
    assert ours.sum() == flen and ours.min() >= 1
    if smoothed.min() >= 1:
        extra = int(improper.sum() - flen)
        v = np.sort(improper)[::-1]
        if 0 < extra < plen and v[extra - 1] == v[extra]:
            # argpartition breaks ties among equal counts at the threshold in its own order
            np.testing.assert_array_equal(np.sort(ours), np.sort(smoothed))
        else:
            np.testing.assert_array_equal(ours, smoothed)


# ------------------------------------------------------------------------------------------- properties

@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_attention_matrix_gives_valid_durations(data):
    n = data.draw(st.integers(1, 12), label="phonemes")
    t = data.draw(st.integers(n, 60), label="frames")
    att = data.draw(hnp.arrays(np.float64, (t, n), elements=st.floats(allow_nan=True, allow_infinity=True)),
                    label="attention")
    d = extract_durations(att)
    assert d.shape == (n,) and d.min() >= 1 and d.sum() == t


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_monotone_alignment_gives_valid_durations(data):
    n = data.draw(st.integers(1, 15), label="phonemes")
    t = data.draw(st.integers(n, 80), label="frames")
    picks = sorted(data.draw(st.lists(st.integers(0, n - 1), min_size=t, max_size=t), label="picks"))
    d = fix_durations(durations_from_alignment(picks, n), t)
    assert d.shape == (n,) and d.min() >= 1 and d.sum() == t
    # Phonemes that got frames keep at least one and the order of frames is kept: the durations rebuild an
    # alignment that is monotone too.
    assert np.all(np.diff(alignment_matrix(d).argmax(1)) >= 0)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10), st.integers(0, 9))
def test_fewer_frames_than_phonemes_always_raises(n, deficit):
    t = max(0, n - 1 - deficit)
    with pytest.raises(TooFewFramesError):
        extract_durations(np.zeros((max(t, 1), n)), n, t)


# ------------------------------------------------------------------------------------ timing comparison

def test_align_sequences_finds_insertions_deletions_and_substitutions():
    a = ["DH", "AH", "K", "AE", "T"]
    b = ["DH", "AH", "AH", "K", "AA", "T"]
    pairs = align_sequences(a, b)
    assert (None, 2) in pairs or (None, 1) in pairs
    assert (3, 4) in pairs and (4, 5) in pairs and (0, 0) in pairs
    assert align_sequences([], ["A"]) == [(None, 0)]


def test_boundary_errors_against_timings():
    fps = 10.0  # frame t centred at t / 10 s
    symbols = ["HH", "AH0", "L", "OW1", " ", "."]
    durations = [3, 2, 2, 3, 1, 1]          # HH [0,3) AH [3,5) L [5,7) OW [7,10)
    phones = [(None, 0.0, 0.25), ("HH", 0.25, 0.3), ("AH", 0.3, 0.5), ("L", 0.5, 0.75), ("OW", 0.75, 1.0),
              (None, 1.0, 1.2)]
    r = boundary_errors(symbols, durations, phones, fps)
    # voice boundaries in frames: HH [3, 3) -> ends 3; AH [3, 5); L [5, 8); OW [8, 10)
    assert r["matched"] == 4 and r["ours"] == 4 and r["reference"] == 4
    np.testing.assert_array_equal(r["errors"], [0, 0, 0, 0, 1, 1, 0])  # HH's start left out
    r2 = boundary_errors(symbols, durations, phones, fps, skip_first_start=False)
    assert r2["errors"].size == 8 and r2["errors"][0] == 3
    with pytest.raises(ValueError, match="6 symbols but 2 durations"):
        boundary_errors(symbols, [1, 2], phones, fps)


def test_helpers():
    assert stressless("AH0") == "AH" and stressless("ZH") == "ZH" and stressless(" ") == " "
    d = uniform_durations(7, 30)
    assert d.sum() == 30 and d.max() - d.min() <= 1


# ------------------------------------------------------------------------------ Viterbi (--method viterbi)

def test_viterbi_passes_a_skipped_phoneme_where_the_greedy_rule_sticks():
    # The attention looks at phonemes 0, 2 and 3 and never at 1 (a space a young teacher skips).
    att = np.full((9, 4), 1e-4)
    att[0:3, 0] = att[3:6, 2] = att[6:9, 3] = 1.0
    greedy = extract_durations(att)
    np.testing.assert_array_equal(greedy, [6, 1, 1, 1])  # stuck on phoneme 0: 1 is never ahead of it
    path = monotonic_alignment_search(np.log(att))
    np.testing.assert_array_equal(path, [0, 0, 1, 2, 2, 2, 3, 3, 3])
    np.testing.assert_array_equal(durations_from_alignment(path, 4), [2, 1, 3, 3])


def _brute_force_best(scores):
    """Score of the best monotone path (start 0, end N-1, steps 0/1), enumerating where each phoneme starts."""
    import itertools

    t, n = scores.shape
    best = -np.inf
    for starts in itertools.combinations(range(1, t), n - 1):
        path = np.repeat(np.arange(n), np.diff((0,) + starts + (t,)))
        best = max(best, scores[np.arange(t), path].sum())
    return best


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_viterbi_is_the_best_monotone_path(data):
    n = data.draw(st.integers(1, 4))
    t = data.draw(st.integers(n, 8))
    scores = data.draw(hnp.arrays(np.float64, (t, n), elements=st.floats(-20, 0, allow_nan=False)))
    path = monotonic_alignment_search(scores)
    assert path[0] == 0 and path[-1] == n - 1 and set(np.diff(path)) <= {0, 1}
    d = durations_from_alignment(path, n)
    assert d.min() >= 1 and d.sum() == t
    assert scores[np.arange(t), path].sum() == pytest.approx(_brute_force_best(scores), abs=1e-9)


def test_viterbi_needs_a_frame_per_phoneme():
    with pytest.raises(TooFewFramesError, match="2 frames for 3 phonemes"):
        monotonic_alignment_search(np.zeros((2, 3)))
