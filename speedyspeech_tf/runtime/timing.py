"""Word and phoneme timestamps from the student's predicted durations, and the audio chunks `stream` yields.

Everything is counted in samples: a symbol of d frames lasts d * hop samples, a pause round(seconds * rate)
samples, so the timeline's segments (phonemes, spaces, punctuation, pauses) tile [0, audio length) exactly.
Seconds are samples / sample_rate. A space dropped at a chunk cut is not spoken and has no segment.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np


class AudioChunk(np.ndarray):
    """float32 audio (one vocoder window, or a pause) that `Synthesizer.stream` yields: a numpy array with
    `.words` (the WordTimings this chunk completes: their last sample is in it or before it) and `.start` (the
    index of its first sample in the whole audio)."""

    def __new__(cls, audio, words=(), start: int = 0):
        obj = np.asarray(audio, np.float32).view(cls)
        obj.words = list(words)
        obj.start = int(start)
        return obj

    def __array_finalize__(self, obj):
        self.words = getattr(obj, "words", [])
        self.start = getattr(obj, "start", 0)


@dataclasses.dataclass
class PhonemeTiming:
    symbol: str
    start_sample: int
    end_sample: int


@dataclasses.dataclass
class WordTiming:
    """One spoken word: its text (as the front end read it), first and last sample (end exclusive), phonemes.
    start/end are None when the model directory has no durations output (exported before timestamps)."""

    text: str
    index: int
    start_sample: int | None = None
    end_sample: int | None = None
    phonemes: list = dataclasses.field(default_factory=list)  # list[PhonemeTiming]
    punctuation: bool = False  # a punctuation mark (kept for the indexes; not listed as a word)

    def as_dict(self, sample_rate: int) -> dict:
        def sec(s):
            return None if s is None else round(s / sample_rate, 6)

        return {"text": self.text, "start": sec(self.start_sample), "end": sec(self.end_sample),
                "phonemes": [{"symbol": p.symbol, "start": sec(p.start_sample), "end": sec(p.end_sample)}
                             for p in self.phonemes]}


@dataclasses.dataclass
class Segment:
    kind: str  # "phoneme" | "space" | "punctuation" | "pause"
    symbol: str
    word: int  # index into Timeline.words, -1 for spaces and pauses
    start_sample: int
    end_sample: int


class Timeline:
    """The timeline of one synthesis, built chunk by chunk (see the module docstring)."""

    def __init__(self, sample_rate: int, hop_length: int):
        self.sample_rate = int(sample_rate)
        self.hop = int(hop_length)
        self.words: list[WordTiming] = []
        self.segments: list[Segment] = []
        self.samples = 0
        self.exact = True  # False when some chunk had no durations (no timestamps then)

    def add_words(self, words: Sequence) -> None:
        """The next words (text.Word) in order; symbols name their index (owners)."""
        base = len(self.words)  # before extending: the list grows while a generator would run
        self.words.extend([WordTiming(w.text, base + i, punctuation=w.is_punctuation) for i, w in enumerate(words)])

    def add_piece(self, symbols: Sequence[str], owners: Sequence[int], durations: Sequence[int] | None,
                  frames: int) -> None:
        """One student call's symbols (owners: word index per symbol, -1 for a space) and its durations in
        frames, whose sum must be `frames`; without them the words' times stay None."""
        start = self.samples
        if durations is None or len(durations) != len(symbols) or int(np.sum(durations)) != frames:
            self.exact = False
            self.samples += frames * self.hop
            return
        pos = start
        for sym, w, d in zip(symbols, owners, durations):
            end = pos + int(d) * self.hop
            kind = "space" if w < 0 else "punctuation" if self.words[w].punctuation else "phoneme"
            self.segments.append(Segment(kind, sym, w, pos, end))
            if kind == "phoneme":
                word = self.words[w]
                word.phonemes.append(PhonemeTiming(sym, pos, end))
                if word.start_sample is None:
                    word.start_sample = pos
                word.end_sample = end
            pos = end
        self.samples = pos

    def add_pause(self, samples: int) -> None:
        if samples > 0:
            self.segments.append(Segment("pause", "", -1, self.samples, self.samples + samples))
            self.samples += samples

    def as_dict(self) -> dict:
        """{"sample_rate", "samples", "duration", "words": [{"text", "start", "end", "phonemes": [{"symbol",
        "start", "end"}]}]} in seconds; punctuation marks are not words."""
        return {"sample_rate": self.sample_rate, "samples": self.samples,
                "duration": round(self.samples / self.sample_rate, 6),
                "words": [w.as_dict(self.sample_rate) for w in self.words if not w.punctuation]}


__all__ = ["AudioChunk", "WordTiming", "PhonemeTiming", "Segment", "Timeline"]
