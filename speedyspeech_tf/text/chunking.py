"""Sentences and chunks: the runtime fits text into the exported student's fixed number of symbol slots."""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .normalize import TITLE_ABBREVIATIONS
from .symbols import PUNCTUATION_IDS, SPACE_ID

_WHITESPACE_RE = re.compile(r"[ \t\n\r\f\v]+")
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
    seq = [int(i) for i in ids]
    return [seq[a:b] for a, b in chunk_spans(seq, max_len)]


def chunk_spans(ids: Sequence[int], max_len: int) -> list[tuple[int, int]]:
    """chunk_ids as (start, end) slices of `ids`."""
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
    seq = [int(i) for i in ids]
    n = len(seq)
    spans: list[tuple[int, int]] = []

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
            spans.append((start, end))
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
        spans.append((start, chunk_end))
        start = cut
    return spans
