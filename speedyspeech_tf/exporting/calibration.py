"""Inputs for int8 calibration (representative datasets) and for the accuracy evaluation.

Calibration data come from the preprocessed corpus cache (speedyspeech_tf.data: settings.json with every item's
phoneme ids, mels/<id>.npy natural-log mels) when one is given: the student sees real phoneme-id sequences of the
training split, the vocoder real log-mel windows. Without a cache they fall back to the text front end on the
built-in sentences below (student) and to the student's own mels for those sentences (vocoder); the export
report says which was used. Evaluation uses other data than calibration: the cache's validation split, or the
built-in evaluation sentences.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Callable, Sequence

import numpy as np

from ..config import SILENCE_LOG_MEL

# Written for this project: varied length, punctuation and phoneme coverage; no corpus text.
CALIBRATION_SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "She sells sea shells by the sea shore, and the shells she sells are surely sea shells.",
    "How much wood would a woodchuck chuck if a woodchuck could chuck wood?",
    "Please call Stella and ask her to bring these things with her from the store.",
    "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob.",
    "We also need a small plastic snake and a big toy frog for the kids.",
    "The printing press changed how quickly ideas could travel from one city to the next.",
    "Yes!",
    "Is this the right way to the station, or should we turn left at the bridge?",
    "In the evening, the old clock in the hall struck nine, and everyone went quietly to bed.",
    "Measure twice, cut once.",
    "A journey of a thousand miles begins with a single step, taken carefully and without hurry.",
    "The committee, after a long and rather heated discussion, finally agreed to postpone the decision "
    "until the following spring.",
    "Thank you very much.",
    "Although it was raining, they decided to walk along the river, watching the boats drift slowly past.",
    "Zero, one, two, three, four, five, six, seven, eight, nine, ten.",
)
EVALUATION_SENTENCES = (
    "Printing, in the sense we mean here, is a craft that changed the world.",
    "Would you like a cup of tea before we begin?",
    "The weather today is cold and windy, with a chance of light snow in the afternoon.",
    "He looked at the map once more, folded it neatly, and set off toward the distant hills.",
    "Good morning!",
    "Every measurement was repeated three times, and the average of the three was written in the "
    "notebook beside the date and the name of the person who made it.",
)

SPEED_CYCLE = (1.0, 1.0, 0.8, 1.25)  # calibration covers slower and faster speech too


@dataclasses.dataclass
class Sentence:
    """One student input: symbol ids (no padding), and where they came from."""

    ids: list
    source: str


def _chunk(ids: Sequence[int], max_len: int) -> list[list[int]]:
    from ..text import chunk_ids

    return chunk_ids(list(ids), max_len)


def cache_sentences(cache_dir: str | os.PathLike, split: str, max_symbols: int, limit: int) -> list[Sentence]:
    """Phoneme-id sequences of a preprocessed cache's `split`, split to at most `max_symbols` ids."""
    from ..data import load_cache, split_items

    cache = load_cache(cache_dir)
    out = []
    for item in split_items(cache.items, split):
        for part in _chunk(item["phonemes"], max_symbols):
            out.append(Sentence(list(part), f"{cache.path}:{item['id']}"))
            if len(out) >= limit:
                return out
    if not out:
        raise ValueError(f"{cache_dir}: the cache has no items in its {split!r} split")
    return out


def builtin_sentences(texts: Sequence[str], max_symbols: int, limit: int | None = None) -> list[Sentence]:
    from ..text import text_to_ids

    out = []
    for i, text in enumerate(texts):
        for part in _chunk(text_to_ids(text), max_symbols):
            out.append(Sentence(list(part), f"built-in sentence {i}"))
    return out[:limit] if limit else out


def student_inputs(sentences: Sequence[Sentence], num_phonemes: int, speeds: Sequence[float] = (1.0,)) -> list[dict]:
    """{phoneme_ids [1, N] int32, length [1] int32, speed [1] float32} per sentence (speeds cycled)."""
    out = []
    for i, s in enumerate(sentences):
        if len(s.ids) > num_phonemes:
            raise ValueError(f"{s.source}: {len(s.ids)} symbols do not fit {num_phonemes} slots")
        ids = np.zeros((1, num_phonemes), np.int32)
        ids[0, :len(s.ids)] = s.ids
        out.append({"phoneme_ids": ids, "length": np.array([len(s.ids)], np.int32),
                    "speed": np.array([speeds[i % len(speeds)]], np.float32)})
    return out


def cache_mels(cache_dir: str | os.PathLike, split: str, limit: int) -> list[np.ndarray]:
    """Natural-log mels [T, n_mels] of a cache's split (at most `limit` utterances)."""
    from ..data import load_cache, split_items

    cache = load_cache(cache_dir)
    items = split_items(cache.items, split)[:limit]
    if not items:
        raise ValueError(f"{cache_dir}: the cache has no items in its {split!r} split")
    return [np.load(cache.mel_path(item["id"])).astype(np.float32) for item in items]


def mel_windows(mels: Sequence[np.ndarray], frames: int, limit: int, silence: float = SILENCE_LOG_MEL,
                stride: int | None = None) -> list[np.ndarray]:
    """Windows [1, frames, n_mels] cut from utterance mels (every `stride` frames, default = frames); an
    utterance shorter than a window is padded with silence frames at the end, as the runtime does."""
    stride = stride or frames
    out = []
    for mel in mels:
        mel = np.asarray(mel, np.float32)
        if mel.shape[0] < frames:
            pad = np.full((frames - mel.shape[0], mel.shape[1]), silence, np.float32)
            out.append(np.concatenate([mel, pad])[None])
        else:
            for start in range(0, mel.shape[0] - frames + 1, stride):
                out.append(mel[start:start + frames][None])
        if len(out) >= limit:
            break
    return out[:limit]


def voice_mels(model_dir: str | os.PathLike | None = None, texts: Sequence[str] = CALIBRATION_SENTENCES,
               speeds: Sequence[float] = SPEED_CYCLE) -> list[np.ndarray]:
    """The mels [frames, n_mels] an exported voice's student gives at run time for `texts` (speeds cycled): the
    runtime's own front end, chunking and student (speedyspeech_tf.runtime, no TensorFlow); model_dir None: the
    bundled voice (voices/slt). What a vocoder sees in synthesis, reproducible from the repository alone."""
    from ..runtime import Synthesizer

    synth = Synthesizer(model_dir, threads=1, warm_up=False)
    out = []
    for i, text in enumerate(texts):
        for ids in synth.text_chunks(text):
            out.extend(mel for _, mel in synth.mels(ids, speeds[i % len(speeds)]) if mel.shape[0] > 0)
    return out


def student_mels(run_student: Callable[[dict], dict], inputs: Sequence[dict]) -> list[np.ndarray]:
    """The valid part of the student's mel ([frames, n_mels]) for each input dict."""
    out = []
    for x in inputs:
        y = run_student(x)
        n = int(np.asarray(y["frames"]).reshape(-1)[0])
        if n > 0:
            out.append(np.asarray(y["mel"])[0, :n])
    return out


__all__ = ["CALIBRATION_SENTENCES", "EVALUATION_SENTENCES", "SPEED_CYCLE", "Sentence", "cache_sentences",
           "builtin_sentences", "student_inputs", "cache_mels", "mel_windows", "voice_mels", "student_mels"]
