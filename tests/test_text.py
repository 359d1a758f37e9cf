"""Text front end: normalisation, phonemisation (offline), ids, sentences and chunks."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from speedyspeech_tf import text as T
from speedyspeech_tf.config import SYMBOLS, UNK_ID, PAD_ID

REPO = Path(__file__).resolve().parents[1]
SP = T.SPACE_ID
PUNCT = sorted(T.PUNCTUATION_IDS)


def joined(text: str) -> str:
    """Phonemes as one string, "_" for the space symbol (easier to read in assertions)."""
    return " ".join("_" if p == " " else p for p in T.text_to_phonemes(text))


@pytest.fixture
def tagger():
    """Restore the default POS tagger choice after a test that changes it."""
    yield T.set_pos_tagger
    T.set_pos_tagger(None)


# ---------------------------------------------------------------------------------------------------------
# The whole LJ Speech corpus, offline, in a fresh interpreter
# ---------------------------------------------------------------------------------------------------------

_OFFLINE_SCRIPT = textwrap.dedent(r"""
    import json, socket, sys, time

    class _BlockedSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            raise OSError("network access blocked by the test")

    def _blocked(*args, **kwargs):
        raise OSError("network access blocked by the test")

    socket.socket = _BlockedSocket
    socket.create_connection = _blocked
    socket.getaddrinfo = _blocked

    import nltk, nltk.downloader  # imported only to make every download attempt fail loudly
    download_attempts = []
    def _no_download(*args, **kwargs):
        download_attempts.append(repr(args))
        raise RuntimeError("nltk download attempted")
    nltk.download = _no_download
    nltk.downloader.download = _no_download
    nltk.downloader.Downloader.download = lambda self, *a, **k: _no_download(*a, **k)

    from speedyspeech_tf import text as T

    lines = [l.rstrip("\n").split("|", 1) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
    problems = []

    def check(uid, ids):
        bad = [i for i in ids if not 2 <= i < len(T.SYMBOLS)]
        if bad:
            problems.append(f"{uid}: ids outside 2..77 (<pad>/<unk>): {bad[:5]}")
        if ids[0] == T.SPACE_ID or ids[-1] == T.SPACE_ID:
            problems.append(f"{uid}: starts or ends with a space")
        if any(a == b == T.SPACE_ID for a, b in zip(ids, ids[1:])):
            problems.append(f"{uid}: two spaces in a row")

    t0 = time.perf_counter()
    check(lines[0][0], T.text_to_ids(lines[0][1]))
    t1 = time.perf_counter()
    lengths = []
    for uid, text in lines[1:]:
        ids = T.text_to_ids(text)
        check(uid, ids)
        lengths.append(len(ids))
    t2 = time.perf_counter()
    print(json.dumps({
        "n": len(lines), "first_call_s": t1 - t0, "ms_per_sentence": (t2 - t1) / (len(lines) - 1) * 1e3,
        "max_ids": max(lengths), "mean_ids": sum(lengths) / len(lengths), "problems": problems[:20],
        "n_problems": len(problems), "download_attempts": download_attempts, "tagger": T.pos_tagger_name(),
        "tensorflow_imported": "tensorflow" in sys.modules, "g2p_en_imported": "g2p_en" in sys.modules,
    }))
""")


def test_all_ljspeech_transcripts_offline(ljspeech_transcripts):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO))
    env.pop("SPEEDYSPEECH_POS_TAGGER", None)
    proc = subprocess.run([sys.executable, "-c", _OFFLINE_SCRIPT, str(ljspeech_transcripts)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nLJ Speech: {r['n']} transcripts, first call {r['first_call_s']:.2f} s, then "
          f"{r['ms_per_sentence']:.3f} ms/sentence on average; ids per sentence max {r['max_ids']}, "
          f"mean {r['mean_ids']:.1f}; POS tagger {r['tagger']}")
    assert r["n"] == 13100
    assert r["n_problems"] == 0, r["problems"]
    assert r["download_attempts"] == []
    assert not r["tensorflow_imported"], "the text front end must not import TensorFlow"
    assert not r["g2p_en_imported"], "g2p_en's import runs nltk.download; it must never be imported"


# ---------------------------------------------------------------------------------------------------------
# Symbols and ids
# ---------------------------------------------------------------------------------------------------------

def test_symbol_table_is_the_reference_one():
    assert T.SYMBOL_TO_ID == {s: i for i, s in enumerate(SYMBOLS)}
    assert len(SYMBOLS) == 78 and SYMBOLS[SP] == " " and SYMBOLS[-1] == "\\-"
    assert [SYMBOLS[i] for i in PUNCT] == [".", ",", "?", "!", "\\-"]


def test_reference_spacing_and_punctuation():
    # g2p_en (and so the reference) joins every token, punctuation included, with a space.
    assert T.text_to_phonemes("Hello, world.") == \
        ["HH", "AH0", "L", "OW1", " ", ",", " ", "W", "ER1", "L", "D", " ", "."]
    assert joined("Is it?") == "IH1 Z _ IH1 T _ ?"
    assert joined("Stop!") == "S T AA1 P _ !"
    # dashes are the table's "\-" symbol; hyphenated words are separate words
    assert joined("wait -- what") == "W EY1 T _ \\- _ W AH1 T"
    assert joined("wait \u2014 what") == joined("wait - what") == joined("wait -- what")
    assert joined("forty-two") == joined("forty two") == "F AO1 R T IY0 _ T UW1"
    # ; and : are commas; runs of punctuation collapse to one symbol; leading punctuation is dropped
    assert joined("one; two: three") == joined("one, two, three")
    assert joined("well...") == joined("well.") == joined("well\u2026")
    assert joined("what?!") == joined("what?") and joined("what!.") == joined("what!")
    assert joined("-- , hello") == joined("hello")
    # quotes and brackets are dropped
    assert joined('"Hello" (world)') == joined("Hello world")


def test_ids_round_trip():
    ids = T.text_to_ids("The quick brown fox, it seems, jumps -- over the lazy dog?!")
    phonemes = T.ids_to_phonemes(ids)
    assert T.phonemes_to_ids(phonemes) == ids
    assert all(2 <= i < 78 for i in ids)
    every = list(range(78))
    assert T.phonemes_to_ids(T.ids_to_phonemes(every)) == every
    assert T.ids_to_phonemes([PAD_ID, UNK_ID]) == ["<pad>", "<unk>"]
    assert T.phonemes_to_ids(["-"]) == T.phonemes_to_ids(["\\-"])  # g2p_en's spelling of the dash


def test_bad_ids_and_symbols_raise_clearly():
    with pytest.raises(ValueError, match="'XX1'"):
        T.phonemes_to_ids(["AA1", "XX1"])
    assert T.phonemes_to_ids(["AA1", "XX1"], strict=False) == [T.SYMBOL_TO_ID["AA1"], UNK_ID]
    with pytest.raises(TypeError):
        T.phonemes_to_ids("AA1")
    for bad in (78, -1, 2.5, "x"):
        with pytest.raises(ValueError, match="position 1"):
            T.ids_to_phonemes([3, bad])


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "...", "!?", " - , . ", "\U0001F600", "\u4e2d\u6587",
                                  "\U0001F600 !", "''", "()", "\"\""])
def test_empty_or_unpronounceable_text_raises(text):
    with pytest.raises(ValueError, match="empty text|nothing pronounceable"):
        T.text_to_ids(text)


def test_non_str_raises():
    with pytest.raises(TypeError, match="str"):
        T.text_to_ids(b"bytes")


def test_unknown_characters_are_dropped():
    assert T.text_to_ids("hello \U0001F600 world \u4e2d\u6587") == T.text_to_ids("hello world")
    assert T.text_to_ids("caf\u00e9 na\u00efve r\u00e9sum\u00e9") == T.text_to_ids("cafe naive resume")
    assert T.text_to_ids("Stra\u00dfe") == T.text_to_ids("Strasse")
    assert T.text_to_ids("a\u00a0b\u200bc") == T.text_to_ids("a bc")
    assert T.text_to_ids("x_y*z ~ | \\ ^") == T.text_to_ids("x y z")


# ---------------------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------------------

NORMALIZATION_CASES = [
    # numbers
    ("I have 3 apples", "I have three apples"),
    ("0, 13, 42, 100, 101, 999", "zero, thirteen, forty-two, one hundred, one hundred one, nine hundred ninety-nine"),
    ("1,234,567 people", "one million two hundred thirty-four thousand five hundred sixty-seven people"),
    ("007", "zero zero seven"),
    ("-5 degrees", "minus five degrees"),
    ("3.14 and .5 and 0.5", "three point one four and point five and zero point five"),
    ("in 3D", "in three D"),
    # ordinals
    ("the 3rd of May", "the third of May"),
    ("1st 2nd 4th 12th 21st 100th 1,000th", "first second fourth twelfth twenty-first one hundredth one thousandth"),
    # years
    ("In 1984 we", "In nineteen eighty-four we"),
    ("1900 1905 1066 1215", "nineteen hundred nineteen oh five ten sixty-six twelve fifteen"),
    ("2000 2005 2010 2024", "two thousand two thousand five twenty ten twenty twenty-four"),
    ("the 1980s and the 90s", "the nineteen eighties and the nineties"),
    ("from 1990\u20131995", "from nineteen ninety to nineteen ninety-five"),
    ("12345", "twelve thousand three hundred forty-five"),
    # currency and percentages
    ("$3.50", "three dollars and fifty cents"),
    ("$1 and $0.01 and $2.5", "one dollar and one cent and two dollars and fifty cents"),
    ("\u00a35 or \u00a32.50", "five pounds or two pounds and fifty pence"),
    ("\u20ac10, \u00a51000", "ten euros, one thousand yen"),
    ("$2 million", "two million dollars"),
    ("$1.5 billion", "one point five billion dollars"),
    ("50\u00a2", "fifty cents"),
    ("50% and 3.5 %", "fifty percent and three point five percent"),
    # times, signs
    ("at 3:30 or 10:00 or 9:05", "at three thirty or ten o'clock or nine oh five"),
    ("No. 5 and #7", "number five and number seven"),
    ("salt & pepper", "salt and pepper"),
    # abbreviations
    ("Mr. Smith and Mrs. Smith met Dr. Jones", "Mister Smith and Missus Smith met Doctor Jones"),
    ("St. Paul's Cathedral on Baker St.", "Saint Paul's Cathedral on Baker Street."),
    ("apples, pears, etc. are fruit", "apples, pears, et cetera are fruit"),
    ("apples, pears, etc. Then more.", "apples, pears, et cetera. Then more."),
    ("e.g. this, i.e. that", "for example this, that is that"),
    ("Ali vs. Frazier", "Ali versus Frazier"),
    ("Smith Bros. Inc.", "Smith Brothers Incorporated."),
    ("H. G. Wells", "H G Wells"),
    ("the U.S. Army", "the U.S. Army"),
    # Unicode punctuation, whitespace
    ("\u201cHello,\u201d she said\u2014\u2018really\u2019\u2026 ok",
     "\"Hello,\" she said -- 'really'... ok"),
    ("it\u2019s", "it's"),
    ("a\u00a0b\u2009c\u3000d", "a b c d"),
    ("  a \t b\n\n c  ", "a b c"),
    ("caf\u00e9 \U0001F600 \u4e2d", "cafe"),
]


@pytest.mark.parametrize("text,expected", NORMALIZATION_CASES)
def test_normalize_text(text, expected):
    out = T.normalize_text(text)
    assert out == expected
    assert T.normalize_text(out) == out  # idempotent
    assert out.isascii()


def test_number_words():
    assert T.cardinal(0) == "zero"
    assert T.cardinal(1_000_001) == "one million one"
    assert T.cardinal(999_999_999_999_999_999).startswith("nine hundred ninety-nine quadrillion")
    assert T.cardinal(10 ** 18) == "one " + "zero " * 17 + "zero"
    assert T.ordinal(3) == "third" and T.ordinal(20) == "twentieth" and T.ordinal(1000) == "one thousandth"
    assert T.year(1776) == "seventeen seventy-six" and T.year(1800) == "eighteen hundred"


_ALPHABET = list("aeAgImMrsStT019 .,;:?!-'\"$\u00a3\u20ac\u00a2%#&()") + [
    "Mr", "St", "etc", "e.g.", "U.S.", "\u2014", "\u2013", "\u2019", "\u00e9", "\U0001F600", "1984", "3rd",
    "\u00a0", "\n", "No", "p.m.", "vs", "Inc", "th", "\u2026", "\u00bd"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_ALPHABET), max_size=25).map("".join))
def test_normalize_and_phonemize_invariants(text):
    norm = T.normalize_text(text)
    assert norm.isascii() and T.normalize_text(norm) == norm
    try:
        phonemes = T.text_to_phonemes(text)
    except ValueError:
        return
    assert phonemes and phonemes[0] != " " and phonemes[-1] != " "
    assert all(p in T.SYMBOL_TO_ID and p not in ("<pad>", "<unk>") for p in phonemes)
    for a, b in zip(phonemes, phonemes[1:]):
        assert not (a == b == " ")
        assert not (a in T.PUNCTUATION_SYMBOLS and b in T.PUNCTUATION_SYMBOLS)


# ---------------------------------------------------------------------------------------------------------
# Pronunciation
# ---------------------------------------------------------------------------------------------------------

def test_dictionary_words_use_the_first_cmudict_entry():
    assert joined("the cat") == "DH AH0 _ K AE1 T"
    assert joined("a") == "AH0"
    assert joined("Caxton's debtors' king's") == "K AE1 K S T AH0 N Z _ D EH1 T ER0 Z _ K IH1 NG Z"


def test_possessive_of_unknown_word():
    base = T.word_pronunciation("zeiner")
    assert T.word_pronunciation("zeiner's") == base + ("Z",)
    assert T.word_pronunciation("kate's")[-1] == "S"  # voiceless ending
    assert T.word_pronunciation("bush's")[-2:] == ("IH0", "Z")  # sibilant ending


def test_initialisms():
    assert joined("the F.B.I.") == "DH AH0 _ EH2 F B IY2 AY1 _ ."
    assert joined("U.S. Army") == "Y UW2 EH1 S _ AA1 R M IY0"  # CMU entry "u.s."
    assert joined("at 5 p.m.") == "AE1 T _ F AY1 V _ P IY1 EH1 M _ ."


def test_out_of_vocabulary_words_get_phonemes():
    for word in ["activationist", "zopyrus", "mohrenschildt", "qwxzvbn"]:
        assert word not in T.cmu_dict()
        pron = T.word_pronunciation(word)
        assert pron and all(p in T.PHONEME_SET for p in pron), (word, pron)


def test_oov_network_matches_g2p_en(monkeypatch):
    """Our numpy GRU reproduces g2p_en's own predict() on its weights (imported here with downloads stubbed)."""
    import socket

    def blocked(*a, **k):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket, "create_connection", blocked)
    nltk = pytest.importorskip("nltk")
    attempts = []
    monkeypatch.setattr(nltk, "download", lambda *a, **k: attempts.append(a) or False)
    g2p_module = pytest.importorskip("g2p_en.g2p")
    ref = g2p_module.G2p.__new__(g2p_module.G2p)  # G2p() would load NLTK's cmudict corpus: build it by hand
    ref.graphemes = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
    ref.phonemes = ["<pad>", "<unk>", "<s>", "</s>"] + list(T.PHONEMES)
    ref.g2idx = {g: i for i, g in enumerate(ref.graphemes)}
    ref.idx2p = dict(enumerate(ref.phonemes))
    ref.load_variables()
    rng = random.Random(0)
    words = ["hosty", "hidell", "calcraft", "nebuchadnezzar", "roominghouse", "palmprint", "courvoisier",
             "mohrenschildt", "activationist", "zeiner's", "o'brien", "a", "x", "zzzzzzzzzzzzzzzzzzzzzzzzz"]
    words += ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 16)))
              for _ in range(150)]
    model = T.oov_model()
    mismatches = [(w, ref.predict(w), model.predict(w)) for w in words if ref.predict(w) != model.predict(w)]
    assert not mismatches, mismatches[:5]


def test_homographs_with_textblob_tagger(tagger):
    pytest.importorskip("textblob")
    tagger("textblob")
    assert T.pos_tagger_name() == "textblob"
    ph = joined("I refuse to collect the refuse.").split(" _ ")
    assert ph[1] == "R IH0 F Y UW1 Z" and ph[5] == "R EH1 F Y UW2 Z"
    ph = joined("I have read it. I will read it.").split(" _ ")
    assert ph[2] == "R EH1 D" and ph[7] == "R IY1 D"
    ph = joined("I object to the object.").split(" _ ")
    assert ph[1] == "AH0 B JH EH1 K T" and ph[4] == "AA1 B JH EH0 K T"
    ph = joined("We live here. A live broadcast.").split(" _ ")
    assert ph[1] == "L IH1 V" and ph[5] == "L AY1 V"
    ph = joined("He used to go. It is used daily.").split(" _ ")
    assert ph[1] == "Y UW1 S T" and ph[7] == "Y UW1 Z D"


def test_homographs_with_nltk_tagger(tagger):
    tagger("nltk")
    try:
        T.pos_tagger_name()
    except ValueError as e:
        pytest.skip(f"NLTK's averaged perceptron tagger data is not installed (never downloaded): {e}")
    ph = joined("I refuse to collect the refuse.").split(" _ ")
    assert ph[1] == "R IH0 F Y UW1 Z" and ph[5] == "R EH1 F Y UW2 Z"


def test_homographs_without_tagger_use_the_documented_fallback(tagger):
    tagger("none")
    assert T.pos_tagger_name() == "none"
    ph = joined("I refuse to collect the refuse.").split(" _ ")
    assert ph[1] == ph[5] == "R EH1 F Y UW2 Z"  # the "otherwise" reading of homographs.en
    assert joined("read") == "R IY1 D"


def test_bad_tagger_name(tagger):
    with pytest.raises(ValueError, match="spacy"):
        tagger("spacy")


# ---------------------------------------------------------------------------------------------------------
# Sentences and chunks
# ---------------------------------------------------------------------------------------------------------

def test_split_sentences():
    text = ("Mr. Smith went to Washington. He slept! Did he? Yes\u2026 \"Really?\" he asked. "
            "J. F. Kennedy was president. The value is 3.5 now.\n\nNew paragraph\nwithout an end\n\nLast one")
    assert T.split_sentences(text) == [
        "Mr. Smith went to Washington.", "He slept!", "Did he?", "Yes\u2026", "\"Really?\" he asked.",
        "J. F. Kennedy was president.", "The value is 3.5 now.", "New paragraph without an end", "Last one"]
    assert T.split_sentences("") == [] and T.split_sentences("  \n ") == []
    assert T.split_sentences("e.g. this. And St. Paul.") == ["e.g. this.", "And St. Paul."]


def test_chunk_ids_examples():
    a, b, c = T.SYMBOL_TO_ID["AA1"], T.SYMBOL_TO_ID["B"], T.SYMBOL_TO_ID["K"]
    comma, period = T.SYMBOL_TO_ID[","], T.SYMBOL_TO_ID["."]
    # fits: unchanged
    assert T.chunk_ids([a, SP, b], 3) == [[a, SP, b]]
    # punctuation preferred over a later space
    seq = [a, a, SP, comma, SP, b, b, SP, c, c, SP, a]
    assert T.chunk_ids(seq, 10) == [[a, a, SP, comma], [b, b, SP, c, c, SP, a]]
    # no punctuation: the last space that fits
    seq = [a, a, SP, b, b, SP, c, c]
    assert T.chunk_ids(seq, 6) == [[a, a, SP, b, b], [c, c]]
    # one long word: hard split
    assert T.chunk_ids([a] * 7, 3) == [[a] * 3, [a] * 3, [a]]
    # real sentence: every chunk fits and ends at a comma where one is available
    ids = T.text_to_ids("Printing, in the only sense with which we are at present concerned, differs from "
                        "most if not from all the arts and crafts represented in the Exhibition.")
    chunks = T.chunk_ids(ids, 40)
    assert len(chunks) > 1 and all(len(ch) <= 40 for ch in chunks)
    assert chunks[0] == T.text_to_ids("Printing,")
    assert T.chunk_ids([], 5) == [] and T.chunk_ids([SP, SP], 5) == []
    for bad in (0, -3, 2.5, True, "4"):
        with pytest.raises(ValueError, match="max_len"):
            T.chunk_ids([a], bad)


_ID_STRATEGY = st.sampled_from([SP] * 6 + PUNCT + list(range(2, 72)))


@settings(max_examples=400, deadline=None)
@given(st.lists(_ID_STRATEGY, max_size=120), st.integers(min_value=1, max_value=40))
def test_chunk_ids_properties(seq, max_len):
    chunks = T.chunk_ids(seq, max_len)
    stripped = seq
    while stripped and stripped[0] == SP:
        stripped = stripped[1:]
    while stripped and stripped[-1] == SP:
        stripped = stripped[:-1]
    if len(stripped) <= max_len:
        assert chunks == ([stripped] if stripped else [])
    pos = 0
    for k, chunk in enumerate(chunks):
        assert 1 <= len(chunk) <= max_len
        assert chunk[0] != SP and chunk[-1] != SP
        while seq[pos] == SP:  # only spaces are removed, and only between chunks (and at the ends)
            pos += 1
        assert seq[pos:pos + len(chunk)] == chunk
        start, pos = pos, pos + len(chunk)
        if k == len(chunks) - 1:
            continue
        window = seq[start:start + max_len + 1]  # ids that could have gone into this chunk, +1 for a space
        content = [i for i, x in enumerate(window[:max_len]) if x != SP and x not in T.PUNCTUATION_IDS]
        if not content:
            continue
        punct_after_content = [i for i in range(content[0] + 1, max_len) if window[i] in T.PUNCTUATION_IDS]
        spaces_after_content = [i for i in range(content[0] + 1, len(window)) if window[i] == SP]
        if punct_after_content:  # a punctuation split was possible: right after the last one
            assert chunk == window[:punct_after_content[-1] + 1]
        elif spaces_after_content:  # else at the last space that fits
            expected = window[:spaces_after_content[-1]]
            while expected[-1] == SP:
                expected = expected[:-1]
            assert chunk == expected
        else:  # else a hard split at max_len
            assert chunk == window[:max_len]
    assert all(x == SP for x in seq[pos:])
