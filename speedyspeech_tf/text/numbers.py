"""Numbers to words (cardinals, ordinals, years) and the normaliser's number rules (step 5 of
docs/text-front-end.md): currency, times, percentages, ordinals, decimals, years, cardinals."""
from __future__ import annotations

import re
from typing import Callable

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
NUMBER_RULES: list[tuple[re.Pattern, Callable[[re.Match], str] | str]] = [
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

