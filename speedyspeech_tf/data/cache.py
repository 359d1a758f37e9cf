"""Reading a preprocessed cache (written by data.preprocessing) and the train/validation split."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..config import AudioConfig, ConfigMismatchError, TextConfig, from_dict, load_json

CACHE_FORMAT = "speedyspeech-tf-cache"
CACHE_VERSION = 1
SETTINGS_NAME = "settings.json"
SKIPPED_NAME = "skipped.tsv"
MEL_DIR = "mels"
AUDIO_DIR = "audio"

# Train/validation split as in the reference (code/hparam.py: LJ Speech items 13000..13098 validate; we take
# the last 99 items, the reference also leaves out the very last one) for corpora of at least
# FIXED_VALID_MIN_ITEMS items; smaller corpora validate on their last `valid_fraction` (at least one item).
FIXED_VALID_ITEMS = 99
FIXED_VALID_MIN_ITEMS = 1000
DEFAULT_VALID_FRACTION = 0.1
SPLITS = ("train", "valid", "all")


@dataclass
class Cache:
    """A preprocessed corpus: its settings and items (dicts: id, text, phonemes, frames, samples)."""

    path: str
    audio: AudioConfig
    text: TextConfig
    items: list[dict]
    corpus: str = ""

    def mel_path(self, item_id: str) -> str:
        return os.path.join(self.path, MEL_DIR, item_id + ".npy")

    def audio_path(self, item_id: str) -> str:
        return os.path.join(self.path, AUDIO_DIR, item_id + ".npy")

    @property
    def ids(self) -> list[str]:
        return [i["id"] for i in self.items]

    def item(self, item_id: str) -> dict:
        index = self.__dict__.get("_index")
        if index is None or len(index) != len(self.items):
            index = self.__dict__["_index"] = {i["id"]: i for i in self.items}
        try:
            return index[item_id]
        except KeyError:
            raise KeyError(f"{item_id}: not in cache {self.path}") from None


def load_cache(cache_dir: str | os.PathLike) -> Cache:
    """Read a cache's settings.json. Raises FileNotFoundError/ValueError naming the folder when it is not a
    complete cache."""
    cache_dir = os.fspath(cache_dir)
    path = os.path.join(cache_dir, SETTINGS_NAME)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{cache_dir}: not a preprocessed cache (no {SETTINGS_NAME}; run "
                                "`speedyspeech-tf preprocess CORPUS_DIR OUT_DIR`)")
    settings = read_settings(path)
    if not settings.get("complete"):
        raise ValueError(f"{cache_dir}: the cache is incomplete (preprocess was interrupted or cached nothing); "
                         "run preprocess again")
    return Cache(path=cache_dir, audio=from_dict(AudioConfig, settings["audio"]),
                 text=from_dict(TextConfig, settings["text"]), items=list(settings["items"]),
                 corpus=settings.get("corpus", ""))


def load_item(cache: Cache | str | os.PathLike, item_id: str) -> dict:
    """One cached item as numpy arrays: {"id", "text", "phonemes" int32, "mel" float32 [T, 80] natural-log
    mel, "audio" int16 [samples]}."""
    cache = cache if isinstance(cache, Cache) else load_cache(cache)
    item = cache.item(item_id)
    return {"id": item_id, "text": item["text"], "phonemes": np.asarray(item["phonemes"], np.int32),
            "mel": np.load(cache.mel_path(item_id)), "audio": np.load(cache.audio_path(item_id))}


def split_items(items: Sequence[Any], split: str, valid_fraction: float = DEFAULT_VALID_FRACTION) -> list[Any]:
    """The train/valid split (deterministic, in corpus order): the last 99 items validate when there are at
    least 1000 items, else the last `valid_fraction` of them (at least one, and at least one item trains).
    split "all" returns every item."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    items = list(items)
    if split == "all":
        return items
    n = len(items)
    if n >= FIXED_VALID_MIN_ITEMS:
        n_valid = FIXED_VALID_ITEMS
    else:
        if not 0.0 < valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be in (0, 1), got {valid_fraction}")
        n_valid = max(1, int(round(n * valid_fraction)))
        n_valid = min(n_valid, max(n - 1, 0))
    return items[: n - n_valid] if split == "train" else items[n - n_valid:]


def read_settings(path: str) -> dict:
    """A cache's settings.json; ValueError / ConfigMismatchError when it is not one of this format version."""
    try:
        settings = load_json(path)
    except ValueError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(settings, dict) or settings.get("format") != CACHE_FORMAT:
        raise ValueError(f"{path}: not a speedyspeech-tf preprocess cache settings file")
    if settings.get("version") != CACHE_VERSION:
        raise ConfigMismatchError(f"{path}: cache format version {settings.get('version')} is not supported "
                                  f"(expected {CACHE_VERSION}); preprocess the corpus again")
    return settings


def read_skipped(cache_dir: str | os.PathLike) -> dict[str, str]:
    """The skip report of a cache as {id: reason}."""
    path = os.path.join(os.fspath(cache_dir), SKIPPED_NAME)
    out = {}
    with open(path, encoding="utf-8") as f:
        next(f, None)
        for line in f:
            item_id, _, reason = line.rstrip("\n").partition("\t")
            out[item_id] = reason
    return out

