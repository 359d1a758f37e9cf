"""The 78-symbol table's names and ids: spaces, punctuation, symbol <-> id conversion."""
from __future__ import annotations

from typing import Iterable

from ..config import PHONEMES, SYMBOLS, UNK_ID

SPACE = " "
DASH = "\\-"  # the table's dash symbol: a backslash and a hyphen, one symbol
PUNCTUATION_SYMBOLS = (".", ",", "?", "!", DASH)
SYMBOL_TO_ID = {s: i for i, s in enumerate(SYMBOLS)}
SPACE_ID = SYMBOL_TO_ID[SPACE]
PUNCTUATION_IDS = frozenset(SYMBOL_TO_ID[s] for s in PUNCTUATION_SYMBOLS)
PHONEME_SET = frozenset(PHONEMES)
# Extra spellings accepted by phonemes_to_ids: g2p_en itself emits "-" for a dash.
SYMBOL_ALIASES = {"-": DASH}


def phonemes_to_ids(phonemes: Iterable[str], *, strict: bool = True) -> list[int]:
    """Symbols -> ids. Unknown symbols raise ValueError (strict) or become <unk> (strict=False).
    "-" is accepted as the dash symbol "\\-"."""
    if isinstance(phonemes, str):
        raise TypeError("phonemes_to_ids takes a sequence of symbols, not a str (use text_to_ids for text)")
    ids = []
    for i, p in enumerate(phonemes):
        p = SYMBOL_ALIASES.get(p, p)
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

