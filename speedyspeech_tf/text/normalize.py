"""normalize_text: Unicode punctuation, accents, abbreviations, symbols and numbers -> plain ASCII words
(the steps are listed in docs/text-front-end.md)."""
from __future__ import annotations

import re
import unicodedata
from typing import Callable

from .numbers import NUMBER_RULES

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


def _pad(s: str) -> str:
    return " " + s + " "


_ABBREVIATION_RULES = _build_abbreviation_rules()
_SYMBOL_RE = re.compile("|".join(re.escape(k) for k in SYMBOL_WORDS))
_WHITESPACE_RE = re.compile(r"[ \t\n\r\f\v]+")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def normalize_text(text: str) -> str:
    """Spell out numbers, abbreviations and symbols, map Unicode punctuation to ASCII, drop what is left of
    non-ASCII characters and collapse whitespace (the steps: docs/text-front-end.md).

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
    for pattern, repl in NUMBER_RULES:
        text = pattern.sub(repl, text)
    text = text.replace("%", " percent ").replace("¢", " cents ")
    # 6. whatever is not ASCII now is dropped (emoji, CJK, other scripts); collapse whitespace
    text = _NON_ASCII_RE.sub(" ", text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    # A space left before punctuation by the number/abbreviation rules ("5 percent ." ) is removed.
    text = re.sub(r" (?=[.,?!;:](?:\s|$))", "", text)
    return text
