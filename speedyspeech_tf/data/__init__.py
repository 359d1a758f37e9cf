"""The corpus cache and the tf.data input pipelines.

`preprocess` (the `preprocess` command) reads a corpus in the LJ Speech layout and writes a cache folder:
settings.json (format, AudioConfig, TextConfig, corpus path, the item list), mels/<id>.npy (float32 natural-log
mel), audio/<id>.npy (int16 audio) and skipped.tsv. The pipelines read it back per utterance.

    corpus          metadata.csv reading (read_metadata, Row)
    preprocessing   the preprocess command, feature computation and cache writing
    cache           reading a cache (load_cache, Cache, load_item, read_skipped) and the train/valid split
    npy             the cache's .npy files (write_npy, npy_shape)
    duration_files  per-phoneme durations files (save_durations, load_durations)
    pipelines       teacher_dataset, student_dataset, vocoder_dataset (tf.data; TensorFlow is imported on use)

Everything public is re-exported here: `from speedyspeech_tf import data; data.load_cache(...)`.
"""
from __future__ import annotations

from .cache import (AUDIO_DIR, CACHE_FORMAT, CACHE_VERSION, DEFAULT_VALID_FRACTION, FIXED_VALID_ITEMS,
                    FIXED_VALID_MIN_ITEMS, MEL_DIR, SETTINGS_NAME, SKIPPED_NAME, SPLITS, Cache, load_cache, load_item,
                    read_settings, read_skipped, split_items)
from .corpus import INVALID_ID, Row, read_metadata
from .duration_files import load_durations, save_durations
from .npy import npy_shape, write_npy
from .pipelines import student_dataset, teacher_dataset, vocoder_dataset
from .preprocessing import preprocess, register

__all__ = [
    "AUDIO_DIR", "CACHE_FORMAT", "CACHE_VERSION", "DEFAULT_VALID_FRACTION", "FIXED_VALID_ITEMS",
    "FIXED_VALID_MIN_ITEMS", "MEL_DIR", "SETTINGS_NAME", "SKIPPED_NAME", "SPLITS", "Cache", "load_cache",
    "load_item", "read_settings", "read_skipped", "split_items", "INVALID_ID", "Row", "read_metadata",
    "load_durations", "save_durations", "npy_shape", "write_npy", "student_dataset", "teacher_dataset",
    "vocoder_dataset", "preprocess", "register",
]
