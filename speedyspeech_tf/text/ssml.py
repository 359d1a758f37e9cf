"""An SSML subset -> a flat list of pieces (text, fixed words, breaks), each with its speaking rate.

Supported: <speak> (the root), <break time="300ms|1.5s" strength="..."/>, <prosody rate="...">,
<phoneme alphabet="arpabet" ph="...">, <sub alias="...">, <say-as interpret-as="characters|cardinal|ordinal|date"
format="mdy|dmy|ymd|md|dm|ym|my|y">, comments, an <?xml ...?> declaration and the five XML entities plus
character references. Anything else (another tag or attribute, a malformed tag, a stray "<" or "&", content after
</speak>) raises ValueError naming the line and column.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Union

from .lexicon import LETTER_NAMES, word_pronunciation
from .numbers import cardinal, ordinal, year
from .phonemize import Word, parse_phonemes

BREAK_STRENGTHS = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.75, "x-strong": 1.25}
RATE_WORDS = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
MAX_BREAK_SECONDS = 60.0
MONTHS = ("January February March April May June July August September October November December").split()
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ATTRIBUTES = {
    "speak": {"version", "xmlns", "xml:lang", "xmlns:xsi", "xsi:schemalocation"},
    "break": {"time", "strength"},
    "prosody": {"rate"},
    "phoneme": {"alphabet", "ph"},
    "sub": {"alias"},
    "say-as": {"interpret-as", "format", "detail"},
}
_TEXT_ONLY = frozenset({"phoneme", "sub", "say-as"})
_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w.:-]*)((?:\s+[A-Za-z_:][\w.:-]*\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>")
_ATTR_RE = re.compile(r"([A-Za-z_:][\w.:-]*)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#x([0-9A-Fa-f]{1,6})|([A-Za-z]+));")
_TIME_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)\s*")
_RATE_RE = re.compile(r"\s*([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*")


@dataclasses.dataclass
class TextPiece:
    text: str
    rate: float


@dataclasses.dataclass
class WordsPiece:
    words: list  # list[Word]: fixed pronunciations (<phoneme>, <say-as interpret-as="characters">)
    rate: float


@dataclasses.dataclass
class BreakPiece:
    seconds: float


Piece = Union[TextPiece, WordsPiece, BreakPiece]


def is_ssml(text: str) -> bool:
    """True for a document whose first tag is <speak> (after an optional <?xml ...?>); other text is plain text."""
    s = text.lstrip()
    if s.startswith("<?xml"):
        end = s.find("?>")
        s = s[end + 2:].lstrip() if end >= 0 else ""
    return re.match(r"<speak[\s/>]", s) is not None


class _Doc:
    def __init__(self, text: str):
        self.text = text

    def where(self, pos: int) -> str:
        line = self.text.count("\n", 0, pos) + 1
        col = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return f"line {line}, column {col}"

    def error(self, pos: int, message: str) -> ValueError:
        return ValueError(f"SSML: {message} at {self.where(pos)}")

    def unescape(self, s: str, pos: int) -> str:
        out, i = [], 0
        while True:
            j = s.find("&", i)
            if j < 0:
                out.append(s[i:])
                return "".join(out)
            out.append(s[i:j])
            m = _ENTITY_RE.match(s, j)
            if m is None:
                raise self.error(pos + j, "a stray '&' (write &amp;)")
            if m.group(3) is not None:
                if m.group(3) not in _ENTITIES:
                    raise self.error(pos + j, f"unknown entity &{m.group(3)};")
                out.append(_ENTITIES[m.group(3)])
            else:
                code = int(m.group(1)) if m.group(1) else int(m.group(2), 16)
                if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise self.error(pos + j, f"character reference {m.group(0)} is not a character")
                out.append(chr(code))
            i = m.end()


def _seconds(doc: _Doc, attrs: dict, pos: int) -> float:
    if "time" in attrs:
        m = _TIME_RE.fullmatch(attrs["time"])
        if m is None:
            raise doc.error(pos, f"<break> time {attrs['time']!r} is not like \"300ms\" or \"1.5s\"")
        value = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
        if value > MAX_BREAK_SECONDS:
            raise doc.error(pos, f"<break> time {attrs['time']!r} is longer than {MAX_BREAK_SECONDS:g} s")
        return value
    strength = attrs.get("strength", "medium")
    if strength not in BREAK_STRENGTHS:
        raise doc.error(pos, f"<break> strength {strength!r} is not one of {', '.join(BREAK_STRENGTHS)}")
    return BREAK_STRENGTHS[strength]


def _rate(doc: _Doc, value: str, pos: int) -> float:
    if value.strip() in RATE_WORDS:
        return RATE_WORDS[value.strip()]
    m = _RATE_RE.fullmatch(value)
    if m is None:
        raise doc.error(pos, f"<prosody> rate {value!r} is not x-slow ... x-fast, a percentage or a number")
    number = float(m.group(2))
    if m.group(3):
        number /= 100.0
    if m.group(1):  # relative: "+10%" = 1.1
        number = 1.0 + number if m.group(1) == "+" else 1.0 - number
    if not number > 0:
        raise doc.error(pos, f"<prosody> rate {value!r} is not positive")
    return number


def _integer(doc: _Doc, text: str, pos: int, what: str) -> int:
    s = text.strip().replace(",", "")
    if not re.fullmatch(r"[+-]?\d{1,18}", s):
        raise doc.error(pos, f"<say-as interpret-as=\"{what}\"> needs an integer, got {text.strip()!r:.40}")
    return int(s)


def _date(doc: _Doc, text: str, fmt: str | None, pos: int) -> str:
    parts = re.split(r"[-/.\s]+", text.strip())
    if fmt is None:
        fmt = "ymd" if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text.strip()) else "mdy"
    if not re.fullmatch(r"[dmy]{1,3}", fmt) or len(set(fmt)) != len(fmt):
        raise doc.error(pos, f"<say-as> date format {fmt!r} is not like mdy, dmy, ymd, md, dm, ym, my or y")
    if len(parts) != len(fmt) or not all(p.isdigit() and p.isascii() and len(p) <= 4 for p in parts):
        raise doc.error(pos, f"<say-as> date {text.strip()!r:.40} does not match the format {fmt!r}")
    got = dict(zip(fmt, (int(p) for p in parts)))
    if "m" in got and not 1 <= got["m"] <= 12:
        raise doc.error(pos, f"<say-as> date {text.strip()!r:.40}: month {got['m']} is not 1-12")
    if "d" in got and not 1 <= got["d"] <= 31:
        raise doc.error(pos, f"<say-as> date {text.strip()!r:.40}: day {got['d']} is not 1-31")
    words = []
    if "m" in got:
        words.append(MONTHS[got["m"] - 1])
    if "d" in got:
        words.append(ordinal(got["d"]))
    if "y" in got:
        words.append(year(got["y"]))
    return " ".join(words)


def _characters(text: str) -> list[Word]:
    words = []
    for c in text:
        low = c.lower()
        if low in LETTER_NAMES and c.isascii():
            words.append(Word(c, LETTER_NAMES[low]))
        elif c.isascii() and c.isdigit():
            words.append(Word(c, word_pronunciation(cardinal(int(c)))))
    return words


def parse_ssml(document: str) -> list[Piece]:
    """The pieces of an SSML document, in order (see the module docstring). Raises ValueError."""
    if not isinstance(document, str):
        raise TypeError(f"SSML must be a str, got {type(document).__name__}")
    doc = _Doc(document)
    pieces: list[Piece] = []
    stack: list[tuple[str, dict, int, float]] = []  # (tag, attributes, position, rate)
    inner: list[str] = []  # the text inside a text-only element
    pos, n = 0, len(document)
    seen_root = closed_root = False

    def rate() -> float:
        return stack[-1][3] if stack else 1.0

    def add_text(s: str, at: int):
        if not s:
            return
        if closed_root or not stack:
            if s.strip():
                raise doc.error(at, "text outside <speak>")
            return
        s = doc.unescape(s, at)
        if stack[-1][0] in _TEXT_ONLY:
            inner.append(s)
        elif pieces and isinstance(pieces[-1], TextPiece) and pieces[-1].rate == rate():
            pieces[-1].text += s
        else:
            pieces.append(TextPiece(s, rate()))

    while pos < n:
        lt = document.find("<", pos)
        if lt < 0:
            add_text(document[pos:], pos)
            break
        add_text(document[pos:lt], pos)
        if document.startswith("<!--", lt):
            end = document.find("-->", lt + 4)
            if end < 0:
                raise doc.error(lt, "unterminated comment")
            pos = end + 3
            continue
        if document.startswith("<?xml", lt):
            end = document.find("?>", lt)
            if end < 0 or seen_root or document[:lt].strip():
                raise doc.error(lt, "a misplaced or unterminated <?xml ...?> declaration")
            pos = end + 2
            continue
        m = _TAG_RE.match(document, lt)
        if m is None:
            raise doc.error(lt, "a malformed tag or a stray '<' (write &lt;)")
        closing, name, attr_text, self_closing = m.group(1), m.group(2), m.group(3), m.group(4)
        pos = m.end()
        if name not in _ATTRIBUTES:
            raise doc.error(lt, f"unsupported tag <{closing}{name}> (supported: {', '.join(_ATTRIBUTES)})")
        if closing:
            if self_closing or attr_text.strip():
                raise doc.error(lt, f"malformed closing tag </{name}>")
            if not stack or stack[-1][0] != name:
                expected = f"</{stack[-1][0]}>" if stack else "nothing"
                raise doc.error(lt, f"</{name}> does not close an open <{name}> (expected {expected})")
            tag, attrs, at, _ = stack.pop()
            if tag in _TEXT_ONLY:
                _close_text_only(doc, tag, attrs, at, "".join(inner), pieces, rate())
                inner.clear()
            if not stack:
                closed_root = True
            continue
        attrs: dict[str, str] = {}
        for a in _ATTR_RE.finditer(attr_text):
            key = a.group(1).lower()
            if key in attrs:
                raise doc.error(lt, f"<{name}> repeats the attribute {key}")
            attrs[key] = doc.unescape(a.group(2) if a.group(2) is not None else a.group(3), lt)
        unknown = sorted(set(attrs) - _ATTRIBUTES[name])
        if unknown:
            raise doc.error(lt, f"<{name}> does not support the attribute {unknown[0]!r}")
        if name == "speak":
            if seen_root:
                raise doc.error(lt, "a second <speak> (only the root may be <speak>)")
            seen_root = True
        elif not stack or closed_root:
            raise doc.error(lt, f"<{name}> outside <speak> (the document's root must be <speak>)")
        elif stack[-1][0] in _TEXT_ONLY:
            raise doc.error(lt, f"<{name}> inside <{stack[-1][0]}> (which holds text only)")
        if name == "break":
            if not self_closing:
                raise doc.error(lt, "<break> must be empty (<break .../>)")
            pieces.append(BreakPiece(_seconds(doc, attrs, lt)))
            continue
        if name == "phoneme" and attrs.get("alphabet", "arpabet").lower() != "arpabet":
            raise doc.error(lt, f"<phoneme> alphabet {attrs['alphabet']!r} is not supported (only arpabet)")
        if name in ("phoneme", "sub") and ({"phoneme": "ph", "sub": "alias"}[name]) not in attrs:
            raise doc.error(lt, f"<{name}> needs the attribute {'ph' if name == 'phoneme' else 'alias'}")
        if name == "say-as" and attrs.get("interpret-as") not in ("characters", "cardinal", "ordinal", "date"):
            raise doc.error(lt, f"<say-as> interpret-as {attrs.get('interpret-as')!r} is not characters, cardinal, "
                                "ordinal or date")
        new_rate = rate() * _rate(doc, attrs["rate"], lt) if name == "prosody" and "rate" in attrs else rate()
        if self_closing:
            if name in _TEXT_ONLY:
                _close_text_only(doc, name, attrs, lt, "", pieces, new_rate)
            elif name == "speak":
                closed_root = True
            continue
        stack.append((name, attrs, lt, new_rate))
    if stack:
        raise doc.error(stack[-1][2], f"<{stack[-1][0]}> is never closed")
    if not seen_root:
        raise doc.error(0, "the document's root must be <speak>")
    return pieces


def _close_text_only(doc: _Doc, tag: str, attrs: dict, at: int, content: str, pieces: list, rate: float) -> None:
    def text(s: str):
        s = f" {s} "
        if pieces and isinstance(pieces[-1], TextPiece) and pieces[-1].rate == rate:
            pieces[-1].text += s
        else:
            pieces.append(TextPiece(s, rate))

    if tag == "sub":
        text(attrs["alias"])
    elif tag == "phoneme":
        try:
            words = parse_phonemes(attrs["ph"])
        except ValueError as e:
            raise doc.error(at, f"<phoneme> ph: {e}") from None
        label = content.strip()
        if label and len(words) == 1:
            words = [Word(label, words[0].symbols)]
        pieces.append(WordsPiece(words, rate))
    else:
        kind = attrs["interpret-as"]
        if kind == "characters":
            words = _characters(content)
            if words:
                pieces.append(WordsPiece(words, rate))
        elif kind == "cardinal":
            text(cardinal(_integer(doc, content, at, kind)))
        elif kind == "ordinal":
            n = _integer(doc, content, at, kind)
            text(("minus " if n < 0 else "") + ordinal(abs(n)))
        else:
            text(_date(doc, content, attrs.get("format"), at))
