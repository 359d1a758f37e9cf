"""Word boundaries from Festival's phone timings (durations.word_times_from_timings) and the benchmark that
compares them with the runtime's word timestamps (benchmarks/word_boundaries.py)."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from speedyspeech_tf.durations import word_spans, word_times_from_timings

REPO = Path(__file__).resolve().parents[1]
FPS = 100.0  # 10 ms frames: times below are whole frames

# "Hello button, world." as the front end gives it: symbols and the word index of each (-1: a space)
SYMBOLS = ["HH", "AH0", "L", "OW1", " ", "B", "AH1", "T", "AH0", "N", ",", " ", "W", "ER1", "L", "D", "."]
OWNERS = [0, 0, 0, 0, -1, 1, 1, 1, 1, 1, 2, -1, 3, 3, 3, 3, 4]
# Festival's phones of it (stressless names, None = pau): leading silence, a pause at the comma, trailing
# silence; "button" ends in the syllabic `en` (one phone, mapped to N) against our AH0 N
PHONES = [(None, 0.0, 0.2), ("HH", 0.2, 0.25), ("AH", 0.25, 0.3), ("L", 0.3, 0.38), ("OW", 0.38, 0.5),
          ("B", 0.5, 0.55), ("AH", 0.55, 0.65), ("T", 0.65, 0.7), ("N", 0.7, 0.82), (None, 0.82, 1.0),
          ("W", 1.0, 1.06), ("ER", 1.06, 1.16), ("L", 1.16, 1.22), ("D", 1.22, 1.3), (None, 1.3, 1.5)]
EXPECTED = {0: (0.2, 0.5), 1: (0.5, 0.82), 3: (1.0, 1.3)}  # word -> Festival's (start, end) s


def test_word_spans_follow_the_phonemes_not_spaces_or_punctuation():
    d = [3, 1, 2, 4, 2, 1, 1, 1, 1, 2, 5, 1, 2, 2, 2, 2, 6]
    ends = np.cumsum(d)
    spans = word_spans(SYMBOLS, OWNERS, d)
    assert [w for w, _, _ in spans] == [0, 1, 3]  # the comma and the full stop own no phoneme
    assert spans[0] == (0, 0, int(ends[3]))
    assert spans[1] == (1, int(ends[4]), int(ends[9]))  # after the space, up to N (not the comma)
    assert spans[2] == (3, int(ends[11]), int(ends[15]))
    with pytest.raises(ValueError):
        word_spans(SYMBOLS, OWNERS, d[:-1])


def test_festival_word_boundaries_are_exact_on_known_timings():
    out = word_times_from_timings(SYMBOLS, OWNERS, PHONES, 150, FPS)
    assert [w for w, *_ in out] == [0, 1, 3]
    for w, start, end, t_start, t_end in out:
        assert (start, end) == pytest.approx(EXPECTED[w], abs=1e-9), w
        # the training targets: whole frames, within one frame of Festival (a space between two words takes a
        # frame from a neighbour); the first word's target starts at 0 (it absorbs the leading silence)
        assert abs(t_end - EXPECTED[w][1] * FPS) <= 1
        assert t_start == 0 if w == 0 else abs(t_start - EXPECTED[w][0] * FPS) <= 1


def test_festival_word_boundaries_with_an_unpaired_last_phoneme_use_the_target():
    phones = [p for p in PHONES if p[0] != "D"]  # the voice dropped the D of "world"
    phones[-1] = (None, 1.22, 1.5)
    out = {w: rest for w, *rest in word_times_from_timings(SYMBOLS, OWNERS, phones, 150, FPS)}
    start, end, _, t_end = out[3]
    assert start == pytest.approx(1.0)
    assert end == pytest.approx(t_end / FPS) and 122 < t_end < 150  # between L's end and the full stop's
    assert out[1][1] == pytest.approx(0.82)  # the other words are untouched


def _bench():
    spec = importlib.util.spec_from_file_location("word_boundaries_bench", REPO / "benchmarks" / "word_boundaries.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_benchmark_statistics_leave_out_only_the_first_start():
    bench = _bench()
    rows = [  # one sentence of three words: ours vs Festival (s)
        {"position": 0, "ours_start": 0.0, "ours_end": 0.30, "festival_start": 0.2, "festival_end": 0.32},
        {"position": 1, "ours_start": 0.30, "ours_end": 0.50, "festival_start": 0.32, "festival_end": 0.60},
        {"position": 2, "ours_start": 0.70, "ours_end": 0.90, "festival_start": 0.70, "festival_end": 0.91},
    ]
    e = bench.boundary_errors_ms(rows, "ours")
    np.testing.assert_allclose(e["word ends"], [-20, -100, -10], atol=1e-9)
    np.testing.assert_allclose(np.sort(e["all boundaries"]), [-100, -20, -20, -10, 0], atol=1e-9)
    np.testing.assert_allclose(e["word durations"], [-80, -10], atol=1e-9)
    s = bench.stats(e["word ends"])
    assert s["mean"] == pytest.approx(130 / 3) and s["median"] == pytest.approx(20)
    assert s["within"] == pytest.approx(2 / 3) and s["bias"] == pytest.approx(-130 / 3)


def _festival():
    from speedyspeech_tf.demo_corpus import festival_problem

    problem = festival_problem()
    if problem:
        pytest.skip(f"needs Festival with the SLT voice: {problem}")


def test_real_festival_words_map_to_festivals_own_word_labels(tmp_path):
    """On a real Festival sentence, the phones taken as each word's start and end carry Festival's own label of
    that word; then the benchmark runs end to end on it (bundled voice, no BENCHMARKS.md)."""
    _festival()
    from speedyspeech_tf.audio import num_frames
    from speedyspeech_tf.demo_corpus import load_phone_timings, make_demo_corpus
    from speedyspeech_tf.text import plan_phrases
    from speedyspeech_tf.config import SYMBOLS as TABLE

    corpus = tmp_path / "corpus"
    make_demo_corpus(corpus, 2, voice="festival", seed=1000, workers=1, progress=False)
    utt = "DEMO-00002"
    data = json.loads((corpus / "phone_timings" / f"{utt}.json").read_text())
    phrases, _, _ = plan_phrases(data["text"])
    symbols, owners, words = [], [], []
    for ph in phrases:
        ids, own = ph.ids_and_owners()
        if symbols:
            symbols.append(" ")
            owners.append(-1)
        symbols += [TABLE[i] for i in ids]
        owners += [o + len(words) if o >= 0 else -1 for o in own]
        words += ph.words
    out = word_times_from_timings(symbols, owners, load_phone_timings(corpus, utt),
                                  num_frames(data["num_samples"]), 22050 / 256)
    starts, ends = {}, {}
    previous_end = 0.0
    for p in data["phones"]:
        if p["word"]:
            starts[round(previous_end, 6)] = p["word"]
            ends[round(p["end"], 6)] = p["word"]
        previous_end = p["end"]
    norm = lambda s: re.sub(r"[^a-z0-9]", "", s.lower())  # noqa: E731
    assert len(out) >= 8
    for w, start, end, _, _ in out:
        assert norm(ends[round(end, 6)]) == norm(words[w].text)
        assert norm(starts[round(start, 6)]) == norm(words[w].text)

    bench = _bench()
    voice = REPO / "voices" / "slt"
    if not (voice / "config.json").is_file():
        pytest.skip(f"no bundled voice at {voice}")
    assert bench.main(["--corpus", str(corpus), "--sentences", "2", "--work", str(tmp_path / "work"),
                       "--no-benchmarks-md"]) == 0
    assert (tmp_path / "work" / "word_boundaries.csv").is_file()
    assert bench.main(["--corpus", str(tmp_path / "nothing"), "--no-benchmarks-md",
                       "--work", str(tmp_path / "work")]) == 2
