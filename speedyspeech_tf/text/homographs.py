"""Homographs: g2p_en's table (with our corrections) and the part-of-speech taggers that choose a reading."""
from __future__ import annotations

import os
import threading
from typing import Callable

from .g2p import g2p_en_dir

_LOCK = threading.RLock()
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


def homograph_table() -> dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    global _HOMOGRAPHS
    if _HOMOGRAPHS is None:
        with _LOCK:
            if _HOMOGRAPHS is None:
                table = {}
                path = os.path.join(g2p_en_dir(), "homographs.en")
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


def resolve_tagger() -> tuple[str, Callable[[list[str]], list[str]] | None]:
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
    return resolve_tagger()[0]


def set_pos_tagger(name: str | None) -> None:
    """Choose the homograph tagger: "auto", "nltk", "textblob", "none"; None: back to the environment
    variable SPEEDYSPEECH_POS_TAGGER (default "auto"). Takes effect on the next homograph."""
    global _tagger_choice, _tagger
    if name is not None and name not in _TAGGER_NAMES:
        raise ValueError(f"unknown POS tagger {name!r}: expected one of {_TAGGER_NAMES}")
    with _LOCK:
        _tagger_choice = name
        _tagger = None



def pos_tagger_choice() -> str | None:
    """The choice last made with set_pos_tagger (None: from the environment)."""
    return _tagger_choice
