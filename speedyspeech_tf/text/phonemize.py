"""text_to_phonemes / text_to_ids: normalised text -> tokens -> pronunciations -> symbols of the table.

`text_to_words` gives the same result as a list of `Word`s (each spoken word or punctuation mark with its symbols),
which the runtime needs for timestamps; `parse_phonemes` reads phonemes typed by hand ("HH AH0 L OW1 | W ER1 L D").
"""
from __future__ import annotations

import dataclasses
import re
from typing import Mapping, Sequence

from .homographs import homograph_table, resolve_tagger
from .lexicon import initialism_pronunciation, word_pronunciation
from .normalize import normalize_text
from .symbols import DASH, PHONEME_SET, PUNCTUATION_SYMBOLS, SPACE, SYMBOL_ALIASES, phonemes_to_ids

_INTRA_WORD_HYPHEN_RE = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")
_TOKEN_RE = re.compile(r"(?<![A-Za-z'])(?:[A-Za-z]\.){2,}|[A-Za-z']+|[.,?!\-]")
_PUNCT_PRIORITY = ("?", "!", ".", ",", "-")
_PUNCT_SYMBOL = {"?": "?", "!": "!", ".": ".", ",": ",", "-": DASH}
_SYMBOL_PRIORITY = tuple(_PUNCT_SYMBOL[p] for p in _PUNCT_PRIORITY)


@dataclasses.dataclass(frozen=True)
class Word:
    """One spoken word (its text as the front end read it, e.g. "forty" for "40") or one punctuation mark."""

    text: str
    symbols: tuple[str, ...]

    @property
    def is_punctuation(self) -> bool:
        return len(self.symbols) == 1 and self.symbols[0] in PUNCTUATION_SYMBOLS


def tokenize(normalized: str) -> list[str]:
    text = normalized.replace(";", ",").replace(":", ",")
    text = _INTRA_WORD_HYPHEN_RE.sub(" ", text)
    return _TOKEN_RE.findall(text)


def merge_punctuation(words: Sequence[Word]) -> list[Word]:
    """Punctuation before the first word is dropped and consecutive marks become one: "?" if any is "?", else
    "!", ".", "," or the dash, in that order. (text_to_words' output already is in this form.)"""
    out: list[Word] = []
    pending: list[str] = []
    for w in words:
        if w.is_punctuation:
            pending.append(w.symbols[0])
            continue
        if pending and out:
            out.append(_punctuation_word(pending))
        pending = []
        out.append(w)
    if pending and out:
        out.append(_punctuation_word(pending))
    return out


def _punctuation_word(marks: list[str]) -> Word:
    sym = next(s for s in _SYMBOL_PRIORITY if s in marks)
    return Word(sym, (sym,))


def text_to_words(text: str, lexicon: Mapping[str, Sequence[str]] | None = None) -> list[Word]:
    """Text -> its words and punctuation marks with their symbols (see docs/text-front-end.md).

    lexicon: lower-case word -> phonemes, consulted before the homographs and the dictionary (a user lexicon,
    `load_user_lexicon`). Raises ValueError for empty text or text with no pronounceable word."""
    normalized = normalize_text(text)
    if not normalized:
        raise ValueError(f"empty text: {text!r:.80}")
    tokens = tokenize(normalized)
    homographs = homograph_table()
    lowered = [t.lower() for t in tokens]
    tags: list[str] | None = None
    if any(w in homographs for w in lowered if not (lexicon and w in lexicon)):
        name, tagger = resolve_tagger()
        if tagger is not None:
            tags = tagger(tokens)

    words: list[Word] = []
    pending: list[str] = []  # punctuation tokens since the last word
    ends_text = False
    for i, (tok, low) in enumerate(zip(tokens, lowered)):
        if tok in _PUNCT_SYMBOL:
            pending.append(_PUNCT_SYMBOL[tok])
            continue
        if lexicon and low in lexicon:
            pron = tuple(lexicon[low])
        elif tok.endswith("."):  # an initialism ("u.s."); its last period also ends the text if nothing follows
            pron = initialism_pronunciation(low)
            ends_text = i == len(tokens) - 1
        elif low in homographs:
            pron1, pron2, prefixes = homographs[low]
            pron = pron1 if tags is not None and tags[i].startswith(prefixes) else pron2
        else:
            pron = word_pronunciation(low)
        if not pron:
            continue  # only apostrophes, or the network gave nothing
        if pending and words:
            words.append(_punctuation_word(pending))
        pending = []
        words.append(Word(tok, tuple(pron)))
    if ends_text:
        pending.append(".")
    if pending and words:
        words.append(_punctuation_word(pending))
    if not words:
        raise ValueError(f"nothing pronounceable in text {text!r:.80} (normalised: {normalized!r:.80})")
    return words


def words_to_phonemes(words: Sequence[Word]) -> list[str]:
    """Words -> symbols joined with the space symbol (as g2p_en, and so the reference, joins its tokens)."""
    out: list[str] = []
    for w in words:
        if out:
            out.append(SPACE)
        out.extend(w.symbols)
    return out


def text_to_phonemes(text: str) -> list[str]:
    """Text -> symbols of SYMBOLS (ARPAbet phonemes, " " between words, punctuation). Never <unk>/<pad>.

    Raises ValueError for empty text or text with no pronounceable word.
    """
    return words_to_phonemes(text_to_words(text))


def text_to_ids(text: str) -> list[int]:
    """Text -> symbol ids (no padding). Raises ValueError for empty/unpronounceable text."""
    return phonemes_to_ids(text_to_phonemes(text))


def parse_phonemes(spec: str) -> list[Word]:
    """Phonemes typed by hand: ARPAbet symbols of the table separated by spaces, "|" between words; a word may
    also be one punctuation mark (". , ? ! -"). "HH AH0 L OW1 | W ER1 L D" -> two words.
    Raises ValueError naming an unknown symbol, or for nothing to say."""
    if not isinstance(spec, str):
        raise TypeError(f"phonemes must be a str, got {type(spec).__name__}")
    words: list[Word] = []
    for k, group in enumerate(spec.split("|"), 1):
        symbols = [SYMBOL_ALIASES.get(s, s) for s in group.split()]
        if not symbols:
            continue
        for s in symbols:
            if s not in PHONEME_SET and s not in PUNCTUATION_SYMBOLS:
                raise ValueError(f"unknown phoneme symbol {s!r} in word {k} ({group.strip()!r}): expected ARPAbet "
                                 "symbols of the model's table (AA0 ... ZH, with stress digits) or . , ? ! -")
        marks = [s for s in symbols if s in PUNCTUATION_SYMBOLS]
        if marks and len(symbols) > 1:
            raise ValueError(f"word {k} ({group.strip()!r}) mixes phonemes and punctuation: put the punctuation "
                             "mark in its own word (\"... | ,\")")
        words.append(Word(" ".join(symbols), tuple(symbols)))
    words = merge_punctuation(words)
    if not words:
        raise ValueError(f"no phonemes to say in {spec!r:.80}")
    return words
