"""The Android app's text front-end assets, and the shared test vectors of its pure-Java core.

    python -m speedyspeech_tf.android_assets --assets DIR        write the front-end assets into DIR
    python -m speedyspeech_tf.android_assets --vectors [PATH]    regenerate the Java core's test vectors
    python -m speedyspeech_tf.android_assets --check [PATH]      exit 1 when the committed vectors are stale

`speedyspeech-tf export ... --android-assets DIR` calls `write_assets(DIR)` after copying the models, so an app's
assets folder is filled by one command.

Front-end assets (`write_assets`), read by android_demo/core (org.speedyspeech.core.FrontEnd):
  frontend.json     format version, the 78-symbol table, file sizes and SHA-256 of the files below.
  cmudict.txt.gz    the CMU dictionary exactly as speedyspeech_tf/text/ uses it: every lower-case word that a
                    token can be (`[a-z']+` or an initialism like "u.s.") -> its FIRST pronunciation, ARPAbet with
                    stress as the `cmudict` package gives it. Gzip of UTF-8 text: a header line
                    `#speedyspeech-lexicon 1 <entries>`, then `word<TAB>PH PH ...` per line, sorted.
  homographs.txt    g2p_en's homograph table with the front end's corrections applied: `#speedyspeech-homographs 1 <n>`,
                    then `word|reading when tagged|reading otherwise|tag prefixes` per line.
  g2p_en_oov.bin    g2p_en's out-of-vocabulary network (its checkpoint20.npz, Apache-2.0), re-packed for Java:
                    `#speedyspeech-g2p 1\\n`, then per array: int32 name length, name, int32 rank, int32 dims,
                    float32 data, all little-endian.

Test vectors (`--vectors`, default android_demo/core/src/test/resources/vectors.tsv) are what the Python front end
gives, for the Java tests to reproduce exactly. ASCII TSV; text fields are JSON strings. Row types:
  ids      KIND SOURCE TEXT NORMALIZED IDS   text_to_ids (IDS "ERROR": text_to_ids raises ValueError)
  split    TEXT SENTENCES(JSON list)         split_sentences
  chunk    MAX_LEN IDS CHUNKS("|"-separated) chunk_ids
  halves   IDS HALVES("|"-separated | NONE)  runtime.synthesizer.split_in_two (overflow re-splits)
  windows  T W C SPANS(";"-separated)        models.windows.plan_windows
  vocode   T W C PIECES(";"-separated)       runtime Synthesizer.iter_vocode on mel[t] = t (hop 1, 1 mel band,
                                             silence -1) with a fake vocoder giving 1000 * mel + position: which
                                             window and samples each streamed piece comes from
  number   FUNCTION N WORDS                  cardinal / ordinal / year
  pcm      FLOAT INT16                       runtime.wav.float_to_pcm16 (float32 inputs)
  wav      SAMPLE_RATE FLOATS HEX            runtime.wav.AtomicWavWriter's file for FLOATS
KIND says what the Java core needs to reproduce a row's ids exactly (the documented exclusion rule):
  dict       every word is in the dictionary (directly, without apostrophes or as "X's" of a dictionary word)
             and none is a homograph: the lexicon alone reproduces it; these are the exact-match vectors.
  homograph  like dict, but with a homograph: ids as Python gives them with SPEEDYSPEECH_POS_TAGGER=none (every
             homograph read its "otherwise" way), which is what the Java core does. Python's default tagger can
             read these differently.
  oov        at least one word needs g2p_en's network: exact when the Java core has the g2p_en_oov.bin asset.
Sidecar files written next to the vectors: lexicon-subset.txt (the dictionary entries the rows use, in the asset
format, uncompressed), homographs.txt (the asset), export-config.json (a default ExportConfig as the export
writes it).

Sentences: the project's own (speedyspeech_tf.sentences generator, numbers and normalisation cases written here)
and a seeded sample of LJ Speech transcripts (public domain). The LJ rows are regenerated from the transcripts file
when it is there and otherwise kept from the existing vectors file, so the vectors never depend on /work/shared.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import re
import struct
import sys
from pathlib import Path
from typing import Iterable, Sequence

from .config import SYMBOLS, write_atomic

FORMAT_VERSION = 1
MANIFEST_FILE = "frontend.json"
LEXICON_FILE = "cmudict.txt.gz"
HOMOGRAPHS_FILE = "homographs.txt"
G2P_FILE = "g2p_en_oov.bin"
ASSET_FILES = (MANIFEST_FILE, LEXICON_FILE, HOMOGRAPHS_FILE, G2P_FILE)
LEXICON_HEADER = "#speedyspeech-lexicon"
HOMOGRAPHS_HEADER = "#speedyspeech-homographs"
G2P_HEADER = b"#speedyspeech-g2p 1\n"
G2P_ARRAYS = ("enc_emb", "enc_w_ih", "enc_w_hh", "enc_b_ih", "enc_b_hh", "dec_emb", "dec_w_ih", "dec_w_hh",
              "dec_b_ih", "dec_b_hh", "fc_w", "fc_b")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VECTORS = REPO / "android_demo" / "core" / "src" / "test" / "resources" / "vectors.tsv"
DEFAULT_LJ_TRANSCRIPTS = Path(os.environ.get("SPEEDYSPEECH_SHARED", REPO.parent / "shared")) / "data" / \
    "ljspeech_transcripts.txt"
LEXICON_SUBSET_FILE = "lexicon-subset.txt"
EXPORT_CONFIG_FILE = "export-config.json"

_LEXICON_KEY_RE = re.compile(r"[a-z']+|(?:[a-z]\.){2,}")

# --------------------------------------------------------------------------------------------------------------
# Assets
# --------------------------------------------------------------------------------------------------------------


def lexicon_entries() -> list[tuple[str, tuple[str, ...]]]:
    """(word, first pronunciation) for every dictionary word a token of the front end can be, sorted."""
    from . import text

    cmu = text.cmu_dict()
    return sorted((w, tuple(prons[0])) for w, prons in cmu.items() if _LEXICON_KEY_RE.fullmatch(w) and prons)


def lexicon_text(entries: Iterable[tuple[str, Sequence[str]]]) -> str:
    entries = list(entries)
    lines = [f"{LEXICON_HEADER} {FORMAT_VERSION} {len(entries)}"]
    lines += [f"{w}\t{' '.join(p)}" for w, p in entries]
    return "\n".join(lines) + "\n"


def homographs_text() -> str:
    from . import text

    table = text.homograph_table()
    lines = [f"{HOMOGRAPHS_HEADER} {FORMAT_VERSION} {len(table)}"]
    for word in sorted(table):
        pron1, pron2, prefixes = table[word]
        if any("|" in p or "," in p for p in prefixes):
            raise ValueError(f"homograph {word!r}: tag prefix with '|' or ','")
        lines.append(f"{word}|{' '.join(pron1)}|{' '.join(pron2)}|{','.join(prefixes)}")
    return "\n".join(lines) + "\n"


def g2p_bytes() -> bytes:
    """g2p_en's checkpoint20.npz re-packed as G2P_HEADER + (name, rank, dims, float32 LE data) per array."""
    import numpy as np

    from . import text

    path = os.path.join(text.g2p_en_dir(), "checkpoint20.npz")
    weights = np.load(path)
    out = io.BytesIO()
    out.write(G2P_HEADER)
    for name in G2P_ARRAYS:
        a = np.ascontiguousarray(weights[name], dtype="<f4")
        if a.ndim not in (1, 2):
            raise ValueError(f"{path}: array {name} has rank {a.ndim}, expected 1 or 2")
        out.write(struct.pack("<i", len(name)) + name.encode("ascii"))
        out.write(struct.pack("<i", a.ndim) + struct.pack(f"<{a.ndim}i", *a.shape))
        out.write(a.tobytes())
    return out.getvalue()


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:  # reproducible bytes
        f.write(data)
    return buf.getvalue()


def write_assets(directory: str | os.PathLike) -> list[str]:
    """Write the front-end assets (see the module docstring) into `directory` (created). Returns their paths."""
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out}: not a directory (expected an Android assets folder)")
    out.mkdir(parents=True, exist_ok=True)
    files = {
        LEXICON_FILE: _gzip(lexicon_text(lexicon_entries()).encode("utf-8")),
        HOMOGRAPHS_FILE: homographs_text().encode("utf-8"),
        G2P_FILE: g2p_bytes(),
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "symbols": list(SYMBOLS),
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(files.items())},
        "written_by": "speedyspeech_tf.android_assets.write_assets",
        "notes": "CMU dictionary (first pronunciation per word), g2p_en homograph table with speedyspeech_tf.text's "
                 "corrections, g2p_en out-of-vocabulary network (Apache-2.0)",
    }
    files[MANIFEST_FILE] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    paths = []
    for name in ASSET_FILES:
        path = out / name
        write_atomic(path, files[name])
        paths.append(str(path))
    return paths


# --------------------------------------------------------------------------------------------------------------
# Which dictionary entries a word uses, and whether it needs the out-of-vocabulary network
# --------------------------------------------------------------------------------------------------------------

def word_route(word: str) -> tuple[str, set[str]]:
    """("dict" | "oov", dictionary keys the lookup chain probes that exist) for a lower-case word token, following
    text.word_pronunciation step by step (tests/test_android_vectors.py checks the two agree)."""
    from . import text

    cmu = text.cmu_dict()
    keys: set[str] = set()
    if word in cmu:
        return "dict", {word}
    bare = word.strip("'")
    if not bare:
        return "dict", keys
    if bare in cmu:
        return "dict", {bare}
    if bare.endswith("'s") and len(bare) > 2:
        if text.word_pronunciation(bare[:-2]):
            route, base_keys = word_route(bare[:-2])
            return route, base_keys
    letters = bare.replace("'", "")
    if letters in cmu:
        return "dict", {letters}
    return "oov", keys


def sentence_analysis(sentence: str) -> tuple[str, set[str]]:
    """(kind, dictionary keys used) of a sentence; kind is "dict", "homograph" or "oov" (see the module docstring).
    Sentences the front end rejects are "dict" (nothing to look up)."""
    from . import text

    try:
        normalized = text.normalize_text(sentence)
    except (TypeError, ValueError):
        return "dict", set()
    homographs = text.homograph_table()
    cmu = text.cmu_dict()
    kind = "dict"
    keys: set[str] = set()
    for tok in text.tokenize(normalized):
        if tok in ("-", ".", ",", "?", "!"):
            continue
        low = tok.lower()
        if tok.endswith("."):
            if low in cmu:
                keys.add(low)
            continue
        if low in homographs:
            if kind == "dict":
                kind = "homograph"
            continue
        route, used = word_route(low)
        keys |= used
        if route == "oov":
            kind = "oov"
    return kind, keys


# --------------------------------------------------------------------------------------------------------------
# Sentences for the vectors
# --------------------------------------------------------------------------------------------------------------

GENERATOR_SENTENCES = 120
GENERATOR_SEED = 2024
NUMBER_SENTENCES = 140
NUMBER_SEED = 7
LJ_SAMPLE = 100
LJ_SEED = 0

_NOUNS = ("ticket", "coat", "lamp", "horse", "map", "boat", "chair", "clock", "book", "basket", "kettle", "ring")
_PEOPLE = ("Anna", "the farmer", "my sister", "the driver", "our teacher", "the old man", "Peter", "the nurse")
_PLACES = ("the station", "the market", "the harbor", "the museum", "the bakery", "the school", "the bridge")


def _number_tokens(rng: random.Random) -> dict[str, str]:
    """One random instance of every number format the normaliser knows."""
    def grouped(n):
        return f"{n:,}"

    def digits(k):
        return str(rng.randrange(10 ** (k - 1), 10 ** k))

    k = rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 7, 9, 12, 15, 18, 19, 21])
    return {
        "int": rng.choice([digits(k), "0", "007", "10", "100", "1000000", str(10 ** 18), str(10 ** 18 - 1)]),
        "grouped": grouped(rng.choice([1000, 1234, 56789, 1234567, 1000000, 987654321, 12345678901234567890])),
        "decimal": rng.choice([f"{rng.randrange(0, 1000)}.{rng.randrange(0, 100)}", f".{rng.randrange(1, 99)}",
                               f"{grouped(rng.randrange(1000, 99999))}.{rng.randrange(1, 9)}", "3.14159", "0.05"]),
        "money": rng.choice(["$", "\u00a3", "\u20ac", "\u00a5"]) + rng.choice(
            [str(rng.randrange(0, 200)), f"{rng.randrange(0, 50)}.{rng.randrange(0, 100):02d}", "1", "1.01", "0.01",
             "0.99", "1,000", "2.5", "3.456", "100.00", "0.00", f"{rng.randrange(1, 9)}.{rng.randrange(1, 9)} million",
             f"{rng.randrange(2, 900)} billion", "1.5 Thousand", "12,500.75"]),
        "cents": f"{rng.choice([1, 5, 25, 50, 99, 1000])}\u00a2",
        "time": rng.choice([f"{rng.randrange(0, 24)}:{rng.randrange(0, 60):02d}", "10:00", "7:05", "12:30",
                            "23:59", "0:00"]),
        "percent": rng.choice([f"{rng.randrange(0, 101)}%", f"{rng.randrange(0, 100)}.{rng.randrange(0, 10)} %",
                               "100%", "1,000%"]),
        "ordinal": rng.choice([f"{n}{s}" for n, s in ((1, "st"), (2, "nd"), (3, "rd"), (4, "th"), (11, "th"),
                                                       (12, "th"), (13, "th"), (21, "st"), (22, "nd"), (40, "th"),
                                                       (101, "st"), (112, "th"), (1000, "th"), (1000000, "th"))]
                              + [f"{rng.randrange(1, 200)}th", "1,000th", "2ND", "3Rd"]),
        "year": str(rng.choice([1066, 1492, 1800, 1900, 1905, 1984, 1999, 2000, 2001, 2005, 2009, 2010, 2024,
                                rng.randrange(1000, 3000)])),
        "decade": rng.choice(["1980s", "1920s", "1800s", "90's", "60s", "2000s", "1990's"]),
        "negative": rng.choice(["-5", "-$5", "-3.2", "-0.5", "-1,000", "-.75", "-\u00a33"]),
        "hash": f"#{rng.randrange(1, 100)}",
        "no": f"No. {rng.randrange(1, 50)}",
        "range": f"{rng.randrange(1900, 1950)}\u2013{rng.randrange(1950, 2000)}",
        "version": rng.choice(["1.2.3", "2.0.1", "10.4.22"]),
    }


_NUMBER_TEMPLATES = (
    "{person} paid {money} for the {noun}.",
    "The {noun} was sold for {money} at {place}.",
    "We counted {int} birds near {place}.",
    "There were {grouped} people at the fair.",
    "The recipe needs {decimal} cups of flour.",
    "It costs {cents} at {place}!",
    "The train leaves {place} at {time}.",
    "Meet me at {time}, not at {time2}.",
    "Prices rose by {percent} last year.",
    "{person} finished {ordinal} in the race.",
    "The bridge was built in {year}.",
    "Music from the {decade} is popular again.",
    "The temperature fell to {negative} degrees.",
    "Take bus {hash} to {place}.",
    "Room {no} is on the left.",
    "The war lasted from {range}.",
    "Version {version} of the program is out.",
    "Is it {int} or {grouped}?",
    "{person} was born in {year} and moved in {year2}.",
    "About {percent} of {int} votes, that is {decimal} each.",
    "The {ordinal} chapter costs {money}; the {ordinal2} one is free.",
    "Call {int} now!",
)


def number_sentences(n: int = NUMBER_SENTENCES, seed: int = NUMBER_SEED) -> list[str]:
    """Seeded sentences with numbers in every format the normaliser knows (written for this project)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        template = _NUMBER_TEMPLATES[i % len(_NUMBER_TEMPLATES)]
        a, b = _number_tokens(rng), _number_tokens(rng)
        fields = dict(a, time2=b["time"], year2=b["year"], ordinal2=b["ordinal"], noun=rng.choice(_NOUNS),
                      person=rng.choice(_PEOPLE), place=rng.choice(_PLACES))
        s = template.format(**fields)
        out.append(s[0].upper() + s[1:])
    return out


# Written for this project: normalisation, punctuation, Unicode and tokenisation cases.
NORMALIZATION_SENTENCES = (
    "Hello, world.", "Is it?", "Stop!", "wait -- what", "wait \u2014 what", "wait - what", "forty-two",
    "one; two: three", "well...", "well\u2026", "what?!", "what!.", "-- , hello", '"Hello" (world)',
    "[Brackets] and {braces} and <angles>", "A/B testing", "rock 'n' roll", "'tis the season", "James's book",
    "the dogs' bowls", "it's", "o'clock", "''", "'hello'", "Tom's and Chris's and Liz's cats",
    "U.S. troops", "The F.B.I. agent", "at 5 p.m.", "in the U.S.", "U.S.A.", "x.y.z.", "e.g. this", "I.E. that",
    "cf. the others", "viz. two", "Mr. Smith", "MR. SMITH", "Mrs. Smith and Dr. Jones", "Prof. X vs. Y",
    "St. Paul lives on Main St.", "Main St. is long", "No. 5", "no. 7 please", "Smith Bros. Inc.",
    "John Smith Jr. Esq. left.", "He works at Acme Co. Then he rests.", "Apples, pears, etc.", "Etc. and so on",
    "H. G. Wells wrote it.", "J. R. R. Tolkien", "Jan. Feb. Mar.", "approx. ten", "Rd. closed", "Sept. 5",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 Zo\u00eb", "Stra\u00dfe", "\u00c6sop and \u00f8resund",
    "\u0141\u00f3d\u017a",
    "\u00fearn and \u00d0", "\u0131stanbul", "\u2018quoted\u2019 and \u201cdouble\u201d", "\u00abguillemets\u00bb",
    "\u201elow\u201c quotes", "prime\u2032s", "it\u02bcs", "it\u00b4s", "it`s", "co\u2010operate",
    "non\u2011breaking", "figure\u2012dash", "bullet\u2043hyphen", "minus \u22125", "\ufe63small", "full\uff0dwidth",
    "a\u2013b", "1990\u20131995", "$5\u2013$10", "a\u2015b", "a\u2e3ab\u2e3bc", "and\u2026then",
    "non\u00a0breaking space", "ogham\u1680space", "em\u2003space", "thin\u2009space", "line\u2028break",
    "para\u2029break", "narrow\u202fspace", "math\u205fspace", "ideographic\u3000space", "tab\there",
    "new\nline", "carriage\rreturn", "form\ffeed", "vertical\x0btab", "zero\u200bwidth", "soft\u00adhyphen",
    "joiner\u200d\u200cmarks", "word\u2060joiner", "\ufeffbom", "Acme\u2122 and \u00a9 and \u00ae",
    "\u00bd cup", "\u00bc mile", "\u00be full", "salt & pepper", "me@home", "2 + 2 = 4", "30\u00b0 today",
    "3 \u00d7 4", "\u6f22\u5b57 and emoji \U0001f600 here", "\u0645\u0631\u062d\u0628\u0627 hello",
    "\u0663 and \u0661\u0662", "\uff11\uff12\uff13", "\U0001d7d8 math digit", "\U0001e951\U0001e952 adlam",
    "\u0967\u0968 devanagari", "file\x1cseparator", "next\x85line", "unit\x1fsep",
    "HELLO WORLD", "hello world", "Hello    World", "  padded  ", "...", "", "   ", "?!", "--", "123",
    "-5", "5-", "5 - 3", "a.b.c", "3.14.15", "1.2.3", "v1.2", "A1 steak", "B-52", "COVID-19", "24/7",
    "1/2 cup", "9-to-5", "$.50", "$5.", "5.", "50 %", "50%.", "5 percent.", "5 %,", "#1!", "#", "Q&A",
    "AT&T", "Ph.D.", "M.D.s", "a.m.", "A.M.", "OK.", "ok", "TV", "it's 5 o'clock", "don't", "can't",
    "won't", "y'all", "ma'am", "'90s", "the '80s", "1980's", "'", "a''b", "x'", "naive-ly",
    "Well -- I mean -- yes.", "Yes!!!", "No???", "Really?!?!", "Hmm...", "So, um, well,", "end.",
    "A sentence; with: colons; and semicolons.", "Hi!How are you?", "Wait.What?", "Dash-", "-dash",
)


def normalization_sentences() -> list[str]:
    """NORMALIZATION_SENTENCES plus one sentence per entry of every normalisation table of the front end (so a change of
    a table shows up as stale vectors)."""
    from . import text

    out = list(NORMALIZATION_SENTENCES)
    for c in text.UNICODE_TABLE:
        out.append(f"one{c}two three {c} four")
    for c in text.LETTER_TABLE:
        out.append(f"Ma{c}ter {c}")
    for table in (text.TITLE_ABBREVIATIONS, text.ABBREVIATIONS):
        for key in table:
            out.append(f"{key}. Smith came. The {key}. and {key.upper()}. end {key}.")
    for key in text.DOTTED_ABBREVIATIONS:
        out.append(f"see {key} this, {key.upper()} That.")
    for sym in text.SYMBOL_WORDS:
        out.append(f"a {sym} b{sym}c 5{sym}")
    for sign in text.CURRENCIES:
        out.append(f"{sign}1 {sign}1.00 {sign}0.5 {sign}2.75 {sign}3 million {sign}1,234.567 -{sign}4")
    for name in text.LETTER_NAMES:
        out.append(f"{name}.{name}. and {name.upper()}.Q.")
    return out


def generator_sentences() -> list[str]:
    from .sentences import generate_sentences

    return generate_sentences(GENERATOR_SENTENCES, seed=GENERATOR_SEED)


def project_sentences() -> list[tuple[str, str]]:
    """(source, sentence) for every sentence of the vectors that this project wrote."""
    out = [("generator", s) for s in generator_sentences()]
    out += [("numbers", s) for s in number_sentences()]
    out += [("normalization", s) for s in normalization_sentences()]
    seen: set[str] = set()
    return [(src, s) for src, s in out if not (s in seen or seen.add(s))]  # first occurrence of each sentence


def lj_sample(path: str | os.PathLike, n: int = LJ_SAMPLE, seed: int = LJ_SEED) -> list[tuple[str, str]]:
    """(\"lj:<id>\", transcript) for a seeded sample of LJ Speech transcripts (`id|text` lines), in file order."""
    path = Path(path)
    lines = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if "|" not in line:
                raise ValueError(f"{path}:{lineno}: expected 'id|text', got {line[:60]!r}")
            uid, text_ = line.split("|", 1)
            lines.append((uid, text_))
    if len(lines) < n:
        raise ValueError(f"{path}: {len(lines)} transcripts, fewer than the {n} to sample")
    picked = sorted(random.Random(seed).sample(range(len(lines)), n))
    return [(f"lj:{lines[i][0]}", lines[i][1]) for i in picked]


_PARAGRAPHS = (
    "Mr. Smith went to St. Louis. He saw Dr. J. Watson there! Did he stay? No.",
    'He said "Stop." Then he left. She said \u201cGo!\u201d and ran.',
    "Is it 5 p.m. already? Yes. It is 5 P.M. Friday.",
    "Wait\u2026 what? Really\u2026 Yes.",
    "e.g. this one. And that one. See cf. the notes. Next.",
    "First paragraph.\n\nSecond paragraph\nstill second.\n \t\nThird.",
    "a. b. c. The end. the lower case start. Upper again.",
    "No. 5 is here. Room no. 6 too. Go!",
    "\u00bbHallo.\u00ab Next one. (In brackets.) [Also.] 'Single.' Done",
    "Trailing spaces.   \n   Leading spaces. \u2028 Unicode line separator. Next\x85line. A\u00a0B. End.",
    "Numbers like 3.14 and 1,000.5 do not split. But this does. And U.S. policy. Yes.",
    "What?! Stop!! Go?? Okay...",
    "The U.S. Army. The F.B.I. Agents. The a.m. Train.",
    "One sentence only without a period",
    "",
    "   ",
    "...",
    "Hi. \u00c9cole is French. \u00e9cole is lower. 1999 was a year. 2000. Done.",
    "Vs. Mrs. Ms. Prof. Gen. Capt. Sen. Rep. Mt. Ft. St. I.e. E.g. Viz. Cf. All titles.",
    "J. K. Rowling. A. Then B. x. Y.",
)


def split_inputs() -> list[str]:
    out = list(_PARAGRAPHS)
    gen = generator_sentences()
    rng = random.Random(11)
    for i in range(20):
        k = rng.randrange(2, 6)
        start = rng.randrange(0, len(gen) - k)
        sep = rng.choice([" ", "  ", "\n", "\n\n", " \t "])
        out.append(sep.join(gen[start:start + k]))
    return out


CHUNK_MAX_LENS = (1, 4, 9, 20, 45, 171)


def chunk_inputs(id_rows: Sequence[list[int]]) -> list[tuple[int, list[int]]]:
    """(max_len, ids) cases: synthetic edge cases, then ids of some vector sentences at several max_len."""
    from .text import PUNCTUATION_IDS, SPACE_ID, SYMBOL_TO_ID

    sp, dot, comma = SPACE_ID, SYMBOL_TO_ID["."], SYMBOL_TO_ID[","]
    a, b = SYMBOL_TO_ID["AA1"], SYMBOL_TO_ID["B"]
    dash = SYMBOL_TO_ID["\\-"]
    assert dot in PUNCTUATION_IDS
    cases: list[tuple[int, list[int]]] = [
        (3, []), (3, [sp]), (3, [sp, sp, sp]), (1, [a]), (2, [a, b, a, b, a]), (3, [dot, comma, a, b, a, b]),
        (4, [a, sp, dot, sp, b, b, b, b, b]), (5, [sp, a, b, sp, sp, a, b, a, sp]), (3, [a, dot, sp, b, comma, sp, a]),
        (6, [a, b, sp, dash, sp, a, b, a, sp, comma, sp, b]), (2, [dot, dot, dot, dot]),
    ]
    rows = [r for r in id_rows if r]
    step = max(1, len(rows) // 40)
    for k, ids in enumerate(rows[::step][:40]):
        for max_len in CHUNK_MAX_LENS[k % 3::3] + (len(ids), max(1, len(ids) - 1)):
            cases.append((max_len, ids))
    return cases


WINDOW_CASES = tuple((t, w, c) for t in (1, 5, 141, 142, 143, 200, 1000)
                     for w, c in ((128, 7), (16, 3), (1, 0), (4, 10)))
VOCODE_CASES = tuple((t, w, c) for t in (1, 3, 10, 136, 137, 138, 140, 200, 300)
                     for w, c in ((128, 7), (16, 3), (4, 10)))

PCM_VALUES = (0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -7.0, 0.999, -0.999, 0.99998, 1e-9, -1e-9,
              0.5 / 32768, 1.5 / 32768, 2.5 / 32768, -0.5 / 32768, -1.5 / 32768, -2.5 / 32768, 1 / 32768,
              32767 / 32768, 32767.5 / 32768, -32768 / 32768, -32768.5 / 32768, 0.1, -0.1, 0.3333, 0.25,
              0.5 / 32767, 1.5 / 32767, 2.5 / 32767, -2.5 / 32767, 16383.5 / 32767, 1 / 32767, -1 / 32767)

WAV_CASES = ((22050, (0.0, 0.5, -1.0)), (16000, ()), (22050, (0.1, -0.2, 0.3, 1.5, -1.5, 0.999, -0.999)),
             (44100, tuple((i - 5) / 7 for i in range(11))))

NUMBER_CASES = tuple(
    [("cardinal", n) for n in (0, 1, 7, 13, 20, 21, 99, 100, 101, 110, 999, 1000, 1001, 1010, 1100, 12345, 100000,
                               1000000, 1000001, 999999999, 10 ** 12 + 7, 10 ** 15, 10 ** 18 - 1, 10 ** 18,
                               12345678901234567890, -1, -42, -1000)]
    + [("ordinal", n) for n in (0, 1, 2, 3, 4, 5, 8, 9, 12, 20, 21, 40, 99, 100, 101, 111, 1000, 1000000, 10 ** 18)]
    + [("year", n) for n in (999, 1000, 1001, 1066, 1200, 1492, 1800, 1900, 1905, 1984, 2000, 2001, 2005, 2009, 2010,
                              2024, 2100, 2999, 9999, 10000)])


# --------------------------------------------------------------------------------------------------------------
# Input control (issue 15): typed phonemes, user lexicons, SSML, phrases with silences, timelines
# --------------------------------------------------------------------------------------------------------------

PHONEME_CASES = (
    "HH AH0 L OW1 | W ER1 L D", "HH AH0 L OW1|W ER1 L D .", "  HH   AH0 L OW1 |  | W ER1 L D | . ",
    ", | HH AH0 L OW1 | , | ? | W ER1 L D | - | !", "HH AH0 L OW1 | \\- | W ER1 L D", "AA1", "HH AH0 L OW1 X",
    "HH AH0 L OW1 | W ER1 L D ,", "hh ah0", "AH", "HH AH0 | | |", "", "   ", "|||", ". | ,", "HH AH0 .",
    "W ER1 L D | <pad>", "W ER1 L D | <unk>", "AE1 \t B | K", "HH AH0 L OW1 | W ER1 L D . | HH AY1 ?",
)

LEXICON_CASES = (
    "tomato T AH0 M AA1 T OW2\n",
    "# a comment\n\nTomato T AH0 M EY1 T OW2  # trailing comment\nu.s. Y UW1 EH1 S\nrock'n'roll R AA1 K AH0 N R OW1 L\n",
    "tomato T AH0 M AA1 T OW2\nbasil B EY1 Z AH0 L\ntomato T AH0 M EY1 T OW2\n",
    "tomato\n", "tomato T AH0 M AA1 T OW2\nnew-york N UW1 Y AO1 R K\n", "ok OW1 K EY1 X\n",
    "a.b. EY1 B IY1\n", "caf\u00e9 K AE0 F EY1\n", "word W ER1 D .\n", "x\tEH1 K S\r\ny W AY1\r\n",
    "   \n# only comments\n", "42 F AO1 R T IY0\n", "it's IH1 T S\n'tis T IH1 Z\n", "u.s T\n",
    "hello HH AH0 L OW1\nworld W ER1 L D\n#x\nhello HH EH1 L OW0",
)

SSML_CASES = (
    '<speak>Hello world.</speak>',
    '<?xml version="1.0"?>\n<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
    'Hi &amp; bye &lt;3 &#65;&#x42; &quot;q&quot; &apos;</speak>',
    '<speak>Wait <break time="300ms"/> for <say-as interpret-as="characters">NASA</say-as>.</speak>',
    '<speak><break/>A<break strength="x-weak"/>B<break strength="none"/><break time="1.5s"/><break time=" .5 s "/>'
    '</speak>',
    '<speak><prosody rate="slow">slow <prosody rate="150%">nested</prosody></prosody> <prosody rate="+10%">up'
    '</prosody><prosody rate="-20%">down</prosody><prosody rate="x-fast">fast</prosody><prosody rate="0.9">n'
    '</prosody><prosody>none</prosody></speak>',
    '<speak><phoneme alphabet="arpabet" ph="T AH0 M EY1 T OW2">tomato</phoneme> and '
    '<phoneme ph="HH AH0 L OW1 | W ER1 L D">hi there</phoneme> <phoneme ph="AA1"/></speak>',
    '<speak><sub alias="World Wide Web">WWW</sub> <sub alias="x"/></speak>',
    '<speak><say-as interpret-as="cardinal">1,234</say-as> <say-as interpret-as="ordinal">-3</say-as> '
    '<say-as interpret-as="date">2024-03-05</say-as> <say-as interpret-as="date" format="dmy">5/3/2024</say-as> '
    '<say-as interpret-as="date" format="y">1999</say-as> <say-as interpret-as="date" format="md">12.31</say-as>'
    '</speak>',
    "<speak><say-as interpret-as='characters'>a1-B 9\u00e9z</say-as><!-- a comment <b> --></speak>",
    '<speak/>', '<speak></speak>', '  <speak>\n  Two\n  lines.\n</speak>  \n',
    '<speak>Hello <b>bold</b></speak>', '<speak>a < b</speak>', '<speak>fish & chips</speak>',
    '<speak>&nbsp;</speak>', '<speak>&#0;</speak>', '<speak>&#xD800;</speak>', '<speak>text</speak> after',
    'before <speak>text</speak>', '<speak>Hi', '<speak><prosody rate="slow">Hi</speak>',
    '<speak>Hi</prosody></speak>', '<speak><break time="3 minutes"/></speak>', '<speak><break time="61s"/></speak>',
    '<speak><break strength="huge"/></speak>', '<speak><break></break></speak>',
    '<speak><prosody rate="zero">x</prosody></speak>', '<speak><prosody rate="-100%">x</prosody></speak>',
    '<speak><prosody pitch="high">x</prosody></speak>', '<speak><phoneme alphabet="ipa" ph="x">y</phoneme></speak>',
    '<speak><phoneme>y</phoneme></speak>', '<speak><phoneme ph="QQ1">y</phoneme></speak>',
    '<speak><sub>y</sub></speak>', '<speak><say-as interpret-as="telephone">123</say-as></speak>',
    '<speak><say-as interpret-as="cardinal">twelve</say-as></speak>',
    '<speak><say-as interpret-as="date" format="mdy">13/1/2020</say-as></speak>',
    '<speak><say-as interpret-as="date" format="dmy">32/1/2020</say-as></speak>',
    '<speak><say-as interpret-as="date" format="mmy">1/1/2020</say-as></speak>',
    '<speak><say-as interpret-as="date">1/2</say-as></speak>',
    '<speak><sub alias="a"><break/></sub></speak>', '<speak><speak>x</speak></speak>',
    '<speak>x</speak><speak>y</speak>', '<break/><speak>x</speak>', '<speak time="1s">x</speak>',
    '<speak><break time="1s" time="2s"/></speak>', '<speak></speak foo="1">', '<speak><!-- open',
    '<speak>x</speak><?xml version="1.0"?>', '<speak>\n\n  line three <oops/></speak>',
    '<speak>caf\u00e9 \U0001F600 <bad/></speak>', '<speak><break time=\'200ms\' /></speak>',
    '<speak>Tom &amp; Jerry\u2019s <say-as interpret-as="characters">I.B.M.</say-as></speak>',
    '<speak><prosody rate="medium">a<break time="10ms"/>b</prosody>c</speak>',
    '<SPEAK>x</SPEAK>', '<speak><break strength="x-strong"/></speak>', '<speak>&#1633;</speak>',
    '<speak><say-as interpret-as="date">2024-13-01</say-as></speak>',
    '<speak><say-as interpret-as="ordinal">1234567890123456789</say-as></speak>',
)

_PLAN_TEXTS = (
    {"text": "One, two. Three."},
    {"text": "One, two. Three.", "sentence_silence": 0.4, "comma_silence": 0.15},
    {"text": "Hello world! How are you? I am fine, thank you.", "sentence_silence": 0.25},
    {"text": "Hello world... and then, well -- nothing.", "comma_silence": 0.1},
    {"text": "First line.\n\nSecond paragraph, with a comma", "sentence_silence": 0.3, "comma_silence": 0.2},
    {"text": "... Hello. ... World.", "sentence_silence": 0.5},
    {"text": "A tomato, a potato.", "lexicon": "tomato T AH0 M AA1 T OW2\npotato P AH0 T AA1 T OW2\n",
     "comma_silence": 0.05},
    {"text": "The U.S. and the U.K. agreed.", "lexicon": "u.s. Y UW1 EH1 S\n"},
    {"text": "Read the book.", "lexicon": "read R EH1 D\n"},
    {"phonemes": "HH AH0 L OW1 | W ER1 L D | . | HH AY1 | , | DH EH1 R | ?", "sentence_silence": 0.3,
     "comma_silence": 0.1},
    {"phonemes": "HH AH0 L OW1 | , | W ER1 L D"},
    {"text": '<speak><break time="200ms"/>Hello <break time="300ms"/> world. Good <prosody rate="slow">night, '
             'moon</prosody>. <break strength="strong"/></speak>', "sentence_silence": 0.2, "comma_silence": 0.1},
    {"text": '<speak>Say <say-as interpret-as="characters">ABC</say-as> and <phoneme ph="T AH0 M EY1 T OW2">'
             'tomato</phoneme>, then <sub alias="the end">fin</sub>.</speak>', "comma_silence": 0.1},
    {"text": '<speak>One. Two<break time="1s"/>three. <prosody rate="fast">Four five</prosody> six.</speak>',
     "sentence_silence": 0.5},
    {"text": '<speak>Hello <prosody rate="slow">world</prosody>, again.</speak>', "comma_silence": 0.3},
    {"text": "<speak>Plain, here.</speak>", "ssml": False},
    {"text": "<speak>Forced plain</speak>", "ssml": False},
    {"text": "Not SSML <break/> here.", "ssml": True},
    {"text": '<speak><break time="1s"/></speak>'},
    {"text": "...", "sentence_silence": 0.1},
    {"text": "Hello.", "sentence_silence": 60.5},
    {"text": "Hello.", "comma_silence": -0.5},
    {"phonemes": "| , |"},
    {"text": "Hello world.", "lexicon": "hello HH AH0 L OW1 X\n"},
)


def plan_cases() -> list[dict]:
    return [dict(c) for c in _PLAN_TEXTS]


def _plan_result(case: dict) -> dict:
    from . import text

    opts = {k: case[k] for k in ("phonemes", "ssml", "sentence_silence", "comma_silence") if k in case}
    try:
        lexicon = text.parse_user_lexicon(case["lexicon"]) if "lexicon" in case else None
        phrases, sentences, skipped = text.plan_phrases(case.get("text"), lexicon=lexicon, **opts)
    except ValueError as e:
        return {"error": str(e)}
    return {"sentences": sentences, "skipped": skipped,
            "phrases": [{"words": [[w.text, list(w.symbols)] for w in p.words], "rate": p.rate,
                         "pause_after": p.pause_after, "sentence_end": p.sentence_end} for p in phrases]}


def _pieces_result(document: str):
    from . import text
    from .text.ssml import BreakPiece, TextPiece

    try:
        pieces = text.parse_ssml(document)
    except ValueError as e:
        return {"error": str(e)}
    out = []
    for p in pieces:
        if isinstance(p, BreakPiece):
            out.append(["break", p.seconds])
        elif isinstance(p, TextPiece):
            out.append(["text", p.text, p.rate])
        else:
            out.append(["words", [[w.text, list(w.symbols)] for w in p.words], p.rate])
    return out


def _phonemes_result(spec: str):
    from . import text

    try:
        return [[w.text, list(w.symbols)] for w in text.parse_phonemes(spec)]
    except ValueError as e:
        return {"error": str(e)}


def _lexicon_result(source: str):
    from . import text

    try:
        return [[w, list(p)] for w, p in text.parse_user_lexicon(source, "my.lex").items()]
    except ValueError as e:
        return {"error": str(e)}


TIMELINE_SAMPLE_RATE, TIMELINE_HOP = 22050, 256


def timeline_cases() -> list[dict]:
    """Timelines built from phrases of PLAN cases: every chunk of 9 symbols (a short student) gets durations
    (k * 7 + 3) % 5 frames per symbol k (zeros included), every pause its samples; one case without durations."""
    from . import text

    cases = []
    for index in (0, 1, 2, 6, 9, 11, 13):
        c = _PLAN_TEXTS[index]
        lexicon = text.parse_user_lexicon(c["lexicon"]) if "lexicon" in c else None
        opts = {k: c[k] for k in ("phonemes", "ssml", "sentence_silence", "comma_silence") if k in c}
        phrases, _, _ = text.plan_phrases(c.get("text"), lexicon=lexicon, **opts)
        words = [[w.text, list(w.symbols)] for p in phrases for w in p.words]
        ops, base, k = [], 0, 0
        for p in phrases:
            ids, owners = p.ids_and_owners()
            owners = [o + base if o >= 0 else -1 for o in owners]
            base += len(p.words)
            for a, b in text.chunk_spans(ids, 9):
                durations = [(j * 7 + 3) % 5 for j in range(k, k + b - a)]
                k += b - a
                ops.append({"symbols": [text.SYMBOLS[i] for i in ids[a:b]], "owners": owners[a:b],
                            "durations": None if index == 13 and k > 12 else durations})
            if p.pause_after:
                ops.append({"pause": int(round(p.pause_after * TIMELINE_SAMPLE_RATE))})
        cases.append({"words": words, "ops": ops})
    return cases


def _timeline_result(case: dict) -> dict:
    from .runtime.timing import Timeline
    from .text import Word

    tl = Timeline(TIMELINE_SAMPLE_RATE, TIMELINE_HOP)
    tl.add_words([Word(t, tuple(s)) for t, s in case["words"]])
    for op in case["ops"]:
        if "pause" in op:
            tl.add_pause(op["pause"])
        else:
            d = op["durations"]
            frames = sum(d) if d is not None else 2 * len(op["symbols"])
            tl.add_piece(op["symbols"], op["owners"], d, frames)
    return {"samples": tl.samples,
            "segments": [[s.kind, s.symbol, s.word, s.start_sample, s.end_sample] for s in tl.segments],
            "words": [[w.text, w.start_sample, w.end_sample, [[p.symbol, p.start_sample, p.end_sample]
                                                               for p in w.phonemes]]
                      for w in tl.words if not w.punctuation]}


def input_control_rows() -> tuple[list[str], set[str]]:
    """The rows of the input-control vectors and the dictionary keys their plain-text words use."""
    from . import text

    lines, keys = [], set()
    for spec in PHONEME_CASES:
        lines.append("\t".join(["phonemes", _j(spec), _json(_phonemes_result(spec))]))
    for source in LEXICON_CASES:
        lines.append("\t".join(["lexicon", _j(source), _json(_lexicon_result(source))]))
    for doc in SSML_CASES:
        result = _pieces_result(doc)
        lines.append("\t".join(["ssml", _j(doc), _json(result)]))
        if isinstance(result, list):  # say-as characters: digit names come from the dictionary
            keys |= {text.cardinal(d) for d in range(10)}
    previous = text.pos_tagger_choice()
    text.set_pos_tagger("none")  # as the Java core reads homographs
    try:
        for case in plan_cases():
            result = _plan_result(case)
            lines.append("\t".join(["plan", _json(case), _json(result)]))
            if "text" in case and "error" not in result:
                texts = [case["text"]]
                if case.get("ssml", text.is_ssml(case["text"])):
                    texts = [p.text for p in text.parse_ssml(case["text"]) if hasattr(p, "text")]
                for t in texts:
                    for s in text.split_sentences(t):
                        kind, used = sentence_analysis(s)
                        if kind == "oov":
                            raise ValueError(f"plan case {case} needs the out-of-vocabulary network")
                        keys |= used
        for case in timeline_cases():
            lines.append("\t".join(["timeline", _json(case), _json(_timeline_result(case))]))
    finally:
        text.set_pos_tagger(previous)
    return lines, keys


def _json(x) -> str:
    return json.dumps(x, ensure_ascii=True, separators=(",", ":"))


# --------------------------------------------------------------------------------------------------------------
# The vectors file
# --------------------------------------------------------------------------------------------------------------

VECTORS_HEADER = f"""\
# speedyspeech-tf Android core test vectors, format {FORMAT_VERSION}. DO NOT EDIT: regenerate with
#   python -m speedyspeech_tf.android_assets --vectors
# Written by speedyspeech_tf/android_assets.py from the Python front end (speedyspeech_tf/text/); the Java tests
# (android_demo/core) must reproduce every row. Text fields are JSON strings; ids are space-separated symbol ids.
# ids rows: kind = dict (every word in the dictionary, no homograph: exact with the lexicon alone), homograph
# (ids with SPEEDYSPEECH_POS_TAGGER=none, as the Java core reads homographs), oov (needs g2p_en's network asset).
"""


def _j(s: str) -> str:
    return json.dumps(s, ensure_ascii=True)


def _ids_str(ids: Sequence[int]) -> str:
    return " ".join(str(int(i)) for i in ids)


def _float_str(x: float) -> str:
    import numpy as np

    return repr(float(np.float32(x)))


class Inputs:
    """Everything the vectors are computed from."""

    def __init__(self, sentences: list[tuple[str, str]], paragraphs: list[str],
                 chunks: list[tuple[int, list[int]]] | None):
        self.sentences = sentences  # (source, text)
        self.paragraphs = paragraphs
        self.chunks = chunks  # None: derived from the sentences' ids


def build_inputs(lj: list[tuple[str, str]]) -> Inputs:
    return Inputs(project_sentences() + list(lj), split_inputs(), None)


def _compute_ids(texts: Sequence[str]) -> list[list[int] | None]:
    from . import text

    previous = text.pos_tagger_choice()
    text.set_pos_tagger("none")
    try:
        out: list[list[int] | None] = []
        for s in texts:
            try:
                out.append(text.text_to_ids(s))
            except ValueError:
                out.append(None)
        return out
    finally:
        text.set_pos_tagger(previous)


def vectors_text(inputs: Inputs) -> tuple[str, set[str]]:
    """The vectors file's text and the dictionary keys its rows use."""
    import numpy as np

    from . import text
    from .models.windows import plan_windows
    from .runtime.synthesizer import split_in_two
    from .runtime.wav import float_to_pcm16

    lines = [VECTORS_HEADER.rstrip("\n")]
    keys: set[str] = set()
    all_ids = _compute_ids([s for _, s in inputs.sentences])
    for (source, sentence), ids in zip(inputs.sentences, all_ids):
        if "\t" in source or "\n" in source:
            raise ValueError(f"bad source name {source!r}")
        kind, used = sentence_analysis(sentence)
        keys |= used
        normalized = text.normalize_text(sentence)
        lines.append("\t".join(["ids", kind, source, _j(sentence), _j(normalized),
                                "ERROR" if ids is None else _ids_str(ids)]))
    for paragraph in inputs.paragraphs:
        sentences = json.dumps(text.split_sentences(paragraph), ensure_ascii=True)
        lines.append("\t".join(["split", _j(paragraph), sentences]))
    chunks = inputs.chunks if inputs.chunks is not None else chunk_inputs([i for i in all_ids if i])
    for max_len, ids in chunks:
        got = text.chunk_ids(ids, max_len)
        lines.append("\t".join(["chunk", str(max_len), _ids_str(ids), "|".join(_ids_str(c) for c in got)]))
    for ids in list({_ids_str(ids): ids for _, ids in chunks}.values()):
        halves = split_in_two(ids)
        lines.append("\t".join(["halves", _ids_str(ids), "NONE" if halves is None else
                                 "|".join(_ids_str(h) for h in halves)]))
    for t, w, c in WINDOW_CASES:
        spans = plan_windows(t, w, c)
        lines.append("\t".join(["windows", str(t), str(w), str(c), ";".join(" ".join(map(str, s)) for s in spans)]))
    for t, w, c in VOCODE_CASES:
        pieces = _vocode_pieces(t, w, c)
        lines.append("\t".join(["vocode", str(t), str(w), str(c), ";".join(" ".join(map(str, p)) for p in pieces)]))
    for fn, n in NUMBER_CASES:
        lines.append("\t".join(["number", fn, str(n), _j(getattr(text, fn)(n))]))
    for x in PCM_VALUES:
        pcm = np.frombuffer(float_to_pcm16(np.array([np.float32(x)])), "<i2")
        lines.append("\t".join(["pcm", _float_str(x), str(int(pcm[0]))]))
    for rate, samples in WAV_CASES:
        lines.append("\t".join(["wav", str(rate), " ".join(_float_str(x) for x in samples),
                                _wav_bytes(samples, rate).hex()]))
    control, control_keys = input_control_rows()
    lines += control
    keys |= control_keys
    return "\n".join(lines) + "\n", keys


def _wav_bytes(samples: Sequence[float], rate: int) -> bytes:
    """The file the Python runtime writes for these samples (runtime.wav.AtomicWavWriter), as bytes."""
    import tempfile

    import numpy as np

    from .runtime.wav import AtomicWavWriter

    with tempfile.TemporaryDirectory(prefix="wav-vector-") as tmp:
        path = os.path.join(tmp, "x.wav")
        with AtomicWavWriter(path, rate) as w:
            w.write(np.asarray(samples, np.float32))
        with open(path, "rb") as f:
            return f.read()


def _vocode_pieces(t: int, w: int, c: int) -> list[list[int]]:
    """What the runtime's Synthesizer.iter_vocode streams for mel[t] = t (T frames, hop 1, one mel band, silence
    -1) when the vocoder returns 1000 * mel + position in the window: the window and samples of every piece.
    The same call of models.windows.iter_stitched as Synthesizer.iter_vocode (its PAD_FRAMES appended)."""
    import numpy as np

    from .models.windows import iter_stitched
    from .runtime.synthesizer import PAD_FRAMES

    def vocoder(window, _valid):
        window = np.asarray(window, np.float32)
        return window[:, 0] * 1000 + np.arange(window.shape[0], dtype=np.float32)

    mel = np.arange(t, dtype=np.float32)[:, None]
    return [[int(v) for v in piece] for piece in iter_stitched(vocoder, mel, w, c, 1, frames=w + 2 * c,
                                                               pad_value=-1.0, append=PAD_FRAMES)]


def parse_vectors(text_: str) -> Inputs:
    """The inputs stored in a vectors file (its sentences, paragraphs and chunk cases)."""
    sentences, paragraphs, chunks = [], [], []
    for lineno, line in enumerate(text_.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        try:
            if f[0] == "ids":
                sentences.append((f[2], json.loads(f[3])))
            elif f[0] == "split":
                paragraphs.append(json.loads(f[1]))
            elif f[0] == "chunk":
                chunks.append((int(f[1]), [int(x) for x in f[2].split()]))
            elif f[0] not in ("halves", "windows", "vocode", "number", "pcm", "wav", "phonemes", "lexicon", "ssml",
                              "plan", "timeline"):
                raise ValueError(f"unknown row type {f[0]!r}")
        except (IndexError, ValueError) as e:
            raise ValueError(f"vectors line {lineno}: {e}") from None
    return Inputs(sentences, paragraphs, chunks)


def sidecar_files(keys: set[str]) -> dict[str, str]:
    """The files written next to the vectors: name -> text."""
    from . import text
    from .config import ExportConfig, to_dict

    cmu = text.cmu_dict()
    subset = sorted((k, tuple(cmu[k][0])) for k in keys)
    cfg = json.dumps(to_dict(ExportConfig()), indent=2, sort_keys=True) + "\n"  # as config.save_json writes it
    return {LEXICON_SUBSET_FILE: lexicon_text(subset), HOMOGRAPHS_FILE: homographs_text(), EXPORT_CONFIG_FILE: cfg}


def generate_vectors(existing: str | None, lj_path: str | os.PathLike | None) -> tuple[str, dict[str, str]]:
    """(vectors text, sidecar files). LJ rows: from lj_path when it exists, else kept from `existing`."""
    if lj_path is not None and Path(lj_path).is_file():
        lj = lj_sample(lj_path)
    elif existing is not None:
        lj = [(src, s) for src, s in parse_vectors(existing).sentences if src.startswith("lj:")]
    else:
        lj = []
    text_, keys = vectors_text(build_inputs(lj))
    return text_, sidecar_files(keys)


def regenerate_from_file(existing: str) -> tuple[str, dict[str, str]]:
    """Recompute every row of a vectors file from the inputs stored in it (the currency check)."""
    text_, keys = vectors_text(parse_vectors(existing))
    return text_, sidecar_files(keys)


def write_vectors(path: str | os.PathLike = DEFAULT_VECTORS, lj_path: str | os.PathLike | None = DEFAULT_LJ_TRANSCRIPTS
                  ) -> list[str]:
    path = Path(path)
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    text_, sidecars = generate_vectors(existing, lj_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in [(path.name, text_)] + sorted(sidecars.items()):
        target = path.parent / name
        write_atomic(target, data.encode("utf-8"))
        written.append(str(target))
    return written


def stale_files(path: str | os.PathLike = DEFAULT_VECTORS) -> list[str]:
    """Names of the vector files whose content differs from what the inputs stored in the vectors file give now."""
    path = Path(path)
    if not path.is_file():
        return [str(path)]
    text_, sidecars = regenerate_from_file(path.read_text(encoding="utf-8"))
    stale = []
    for name, data in [(path.name, text_)] + sorted(sidecars.items()):
        target = path.parent / name
        if not target.is_file() or target.read_text(encoding="utf-8") != data:
            stale.append(str(target))
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m speedyspeech_tf.android_assets",
        description="Write the Android app's text front-end assets, or the shared test vectors of its Java core.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--assets", metavar="DIR", help="write the front-end assets into DIR (an app's assets folder)")
    group.add_argument("--vectors", metavar="PATH", nargs="?", const=str(DEFAULT_VECTORS),
                       help=f"regenerate the test vectors (default {DEFAULT_VECTORS.relative_to(REPO)}) and their "
                            "sidecar files")
    group.add_argument("--check", metavar="PATH", nargs="?", const=str(DEFAULT_VECTORS),
                       help="exit 1 if the test vectors differ from what the front end gives now")
    parser.add_argument("--lj-transcripts", metavar="FILE", default=str(DEFAULT_LJ_TRANSCRIPTS),
                        help="LJ Speech transcripts (id|text) to sample from; when missing, the LJ rows of the "
                             "existing vectors file are kept (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.assets:
            for p in write_assets(args.assets):
                print(f"wrote {p} ({os.path.getsize(p):,} bytes)")
        elif args.vectors:
            for p in write_vectors(args.vectors, args.lj_transcripts):
                print(f"wrote {p}")
        else:
            stale = stale_files(args.check)
            if stale:
                print("stale (regenerate with python -m speedyspeech_tf.android_assets --vectors): " + ", ".join(stale),
                      file=sys.stderr)
                return 1
            print("test vectors are current")
    except (OSError, ValueError) as e:
        print(f"android_assets: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
