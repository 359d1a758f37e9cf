"""What the runtime says, in order: phrases (words spoken in one go at one rate) and the pauses after them.

`plan_phrases` reads plain text, an SSML document (ssml.py) or hand-typed phonemes. Plain text is split into
sentences (chunking.split_sentences); each sentence is a phrase, split further after every comma when
`comma_silence` > 0. Pauses: `sentence_silence` between sentences, `comma_silence` after commas, a <break>'s time
exactly where it stands; nothing after the last phrase except a trailing <break>. A phrase with no words is a
pause of its own (a <break> before any word). With both silences 0 (the default), plain text gives exactly the
sentences the runtime always had.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Mapping, Sequence

from .chunking import split_sentences
from .phonemize import Word, merge_punctuation, parse_phonemes, text_to_words
from .ssml import BreakPiece, TextPiece, WordsPiece, is_ssml, parse_ssml
from .symbols import SPACE_ID, SYMBOL_TO_ID

_SENTENCE_END = frozenset({".", "?", "!"})


@dataclasses.dataclass
class Phrase:
    words: list  # list[Word]
    rate: float = 1.0  # speaking rate factor (SSML <prosody rate>), multiplies the synthesis speed
    pause_after: float = 0.0  # seconds of silence after the phrase
    sentence_end: bool = False  # ends a sentence (sentence_silence applies before the next words)

    def ids_and_owners(self) -> tuple[list[int], list[int]]:
        """The phrase's symbol ids (words joined with the space id) and, per id, the index of its word in
        `words` (-1 for the spaces between words)."""
        ids: list[int] = []
        owners: list[int] = []
        for k, w in enumerate(self.words):
            if ids:
                ids.append(SPACE_ID)
                owners.append(-1)
            ids.extend(SYMBOL_TO_ID[s] for s in w.symbols)
            owners.extend([k] * len(w.symbols))
        return ids, owners


def _check_seconds(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}") from None
    if not (math.isfinite(v) and 0.0 <= v <= 60.0):
        raise ValueError(f"{name} {value!r} is outside [0, 60] seconds")
    return v


def plan_phrases(text: str | None = None, *, phonemes: str | None = None, ssml: bool | None = None,
                 lexicon: Mapping[str, Sequence[str]] | None = None, sentence_silence: float = 0.0,
                 comma_silence: float = 0.0) -> tuple[list[Phrase], int, int]:
    """(phrases, sentences, skipped sentences) for `text` (plain, or SSML when ssml=True or, with ssml=None,
    when it starts with <speak>) or for `phonemes` (parse_phonemes). Raises ValueError when nothing is
    pronounceable (a document of breaks only included) and for bad SSML, phonemes or silences."""
    sentence_silence = _check_seconds("sentence silence", sentence_silence)
    comma_silence = _check_seconds("comma silence", comma_silence)
    if (text is None) == (phonemes is None):
        raise TypeError("give either text or phonemes")
    raw: list[Phrase] = []
    sentences = skipped = 0
    if phonemes is not None:
        words = parse_phonemes(phonemes)
        raw = _split_sentences_of_words(words, 1.0)
        sentences = sum(p.sentence_end for p in raw) or 1
    else:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text.strip():
            raise ValueError("empty text: nothing to synthesise")
        use_ssml = is_ssml(text) if ssml is None else bool(ssml)
        pieces = parse_ssml(text) if use_ssml else [TextPiece(text, 1.0)]
        current: list[Word] = []
        current_rate = 1.0

        def close(sentence_end: bool):
            nonlocal current
            words = merge_punctuation(current)
            if words:
                raw.append(Phrase(words, current_rate, 0.0, sentence_end))
            current = []

        for piece in pieces:
            if isinstance(piece, BreakPiece):
                close(False)
                if raw and not raw[-1].words or not raw:
                    raw.append(Phrase([], 1.0, 0.0))  # a pause of its own
                raw[-1].pause_after += piece.seconds
                continue
            if piece.rate != current_rate:
                close(False)
                current_rate = piece.rate
            if isinstance(piece, WordsPiece):
                current.extend(piece.words)
                continue
            parts = split_sentences(piece.text)
            sentences += len(parts)
            for i, sentence in enumerate(parts):
                try:
                    words = text_to_words(sentence, lexicon)
                except ValueError:  # nothing pronounceable in this sentence ("...", "--", emoji)
                    skipped += 1
                    continue
                current.extend(words)
                ends = words[-1].symbols[0] in _SENTENCE_END
                if i < len(parts) - 1 or ends or not use_ssml:
                    close(True)
        close(True)
    if not any(p.words for p in raw):
        shown = text if text is not None else phonemes
        raise ValueError(f"nothing pronounceable in the text {shown.strip()!r:.80}")
    out: list[Phrase] = []
    for p in raw:
        out.extend(_split_commas(p, comma_silence) if comma_silence > 0 else [p])
    # silences between sentences, none after the last words (a trailing <break> stays)
    last_words = max(i for i, p in enumerate(out) if p.words)
    for i, p in enumerate(out):
        if p.sentence_end and i < last_words:
            p.pause_after += sentence_silence
    return out, sentences, skipped


def _split_sentences_of_words(words: list[Word], rate: float) -> list[Phrase]:
    phrases, current = [], []
    for w in words:
        current.append(w)
        if w.is_punctuation and w.symbols[0] in _SENTENCE_END:
            phrases.append(Phrase(current, rate, 0.0, True))
            current = []
    if current:
        phrases.append(Phrase(current, rate, 0.0, True))
    return phrases


def _split_commas(phrase: Phrase, comma_silence: float) -> list[Phrase]:
    out, current = [], []
    for k, w in enumerate(phrase.words):
        current.append(w)
        if w.is_punctuation and w.symbols[0] == "," and k < len(phrase.words) - 1:
            out.append(Phrase(current, phrase.rate, comma_silence, False))
            current = []
    out.append(Phrase(current, phrase.rate, phrase.pause_after, phrase.sentence_end))
    return out
