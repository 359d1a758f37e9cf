"""Text -> audio with an exported model directory, on the CPU, without TensorFlow.

Pipeline (the authors' inference script, janvainer/speedyspeech code/inference.py, adapted to fixed shapes):

1. Front end (speedyspeech_tf.text): the text is split into sentences (`split_sentences`), each sentence into
   symbol ids (`text_to_ids`; a sentence with nothing pronounceable is skipped, text with none at all is an
   error), and a sentence longer than the student's N slots minus the `pad_symbols` (5) padding symbols into
   phrases at punctuation or word boundaries (`chunk_ids`).
2. Student, once per chunk: the ids followed by padding ids (at least the 5 padding symbols the reference
   appends) -> natural-log mel of `frames` frames (frames past that hold log(1e-5) = -11.5129, as the
   reference masks them). If the student reports overflow (the chunk needs more than F frames, it returned
   frames == F and overflow == 1), the chunk is split in two (`split_in_two`, at punctuation or a space near
   the middle) and both halves are synthesised again.
3. Vocoder, window by window: PAD_FRAMES (5) silence frames are appended to the chunk's mel (as the reference
   appends 5 frames of -11.5129 before MelGAN), the windows are planned with models.windows.plan_windows(T + 5,
   W, C) exactly as the exporter and melgan.generate_windowed plan them (W output frames, C context frames
   each side, windows shifted rather than padded at the utterance edges), each call's output span is kept,
   and the audio of the 5 appended frames is trimmed again, so a chunk of T frames gives exactly T * hop
   samples. Windows whose output lies wholly in the appended frames are not run. With C >= the generator's
   receptive field, the stitched audio equals vocoding the T + 5 frames in one call. A chunk shorter than one
   window (T + 5 < W + 2C) is one call padded with silence frames at the end to W + 2C (the exported vocoder
   has a static shape), i.e. the one-call audio of that silence-padded mel.
4. The chunks' audio is concatenated in order; `stream` yields it window by window as soon as it is ready.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Callable, Iterator, Sequence

import numpy as np

from ..config import SYMBOLS, ConfigMismatchError
from ..models.windows import plan_windows
from ..text import PUNCTUATION_IDS, SPACE_ID, chunk_ids, split_sentences, text_to_ids
from .model import ExportedModels

PAD_FRAMES = 5  # silence frames appended to each chunk's mel before the vocoder (the authors' inference.py)


@dataclasses.dataclass
class SynthesisStats:
    """Timings and sizes of the last `synthesize` / `stream` call (seconds are wall-clock, perf_counter).

    synthesis_seconds counts the runtime's own work (front end, student, vocoder, stitching), not the time a
    `stream` consumer spends between chunks; first_audio_seconds is the time from the call until the first
    vocoder window's audio was ready; rtf = synthesis_seconds / audio_seconds."""

    runtime: str = ""
    threads: int = 1
    quantization: str = ""
    sample_rate: int = 0
    speed: float = 1.0
    sentences: int = 0
    skipped_sentences: int = 0  # sentences with nothing pronounceable
    chunks: int = 0  # student chunks synthesised (after overflow re-splits)
    resplits: int = 0  # chunks split in two because the student reported overflow
    chunk_symbols: list = dataclasses.field(default_factory=list)
    chunk_frames: list = dataclasses.field(default_factory=list)
    student_calls: int = 0
    vocoder_calls: int = 0
    audio_samples: int = 0
    audio_seconds: float = 0.0
    synthesis_seconds: float = 0.0
    rtf: float = math.nan
    first_audio_seconds: float = math.nan
    frontend_seconds: float = 0.0
    student_seconds: float = 0.0
    vocoder_seconds: float = 0.0
    complete: bool = False  # False while streaming (or when the consumer stopped early)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for k, v in d.items():
            if isinstance(v, float):
                d[k] = None if not math.isfinite(v) else round(v, 6)
        return d


def split_in_two(ids: Sequence[int]) -> list[list[int]] | None:
    """Split a chunk into two halves, as near the middle as a natural boundary allows.

    Preference: right after a punctuation id, then at a space, in the middle half of the chunk (nearest the
    middle first); else at a space anywhere; else hard in the middle. Spaces at the cut are dropped. Returns
    None for a chunk that cannot be split (fewer than two non-space ids)."""
    seq = [int(i) for i in ids]
    n = len(seq)

    def strip(part):
        a, b = 0, len(part)
        while a < b and part[a] == SPACE_ID:
            a += 1
        while b > a and part[b - 1] == SPACE_ID:
            b -= 1
        return part[a:b]

    def halves(cut):
        a, b = strip(seq[:cut]), strip(seq[cut:])
        return [a, b] if a and b else None

    mid = n / 2.0
    lo, hi = n // 4, n - n // 4
    punct = [i + 1 for i in range(n) if seq[i] in PUNCTUATION_IDS and lo <= i + 1 <= hi]
    spaces = [i for i in range(n) if seq[i] == SPACE_ID]
    for cuts in (punct, [c for c in spaces if lo <= c <= hi], spaces, [n // 2]):
        for cut in sorted(cuts, key=lambda c: (abs(c - mid), c)):
            out = halves(cut)
            if out is not None:
                return out
    return None


class Synthesizer:
    """Text-to-speech with an exported model directory (student.tflite, vocoder.tflite, config.json).

        synth = Synthesizer("model_dir", threads=1, runtime="auto")
        audio, sample_rate = synth.synthesize("Hello world.", speed=1.0)   # float32 in [-1, 1]
        for chunk in synth.stream("A long text ..."):                       # float32 chunks as they are ready
            ...
        synth.last_stats                                                    # SynthesisStats of the last call

    runtime: "auto" (ai-edge-litert, else tflite-runtime, else TensorFlow's tf.lite) or one of those names.
    threads: interpreter threads. warm_up: run the front end and both models once at load, so that the first
    synthesis does not pay for loading the pronunciation dictionary and packing the weights.
    Raises FileNotFoundError / ConfigMismatchError (a ValueError) when the directory does not hold what its
    config.json describes, InterpreterUnavailable (a ValueError) when the interpreter cannot be imported.
    """

    def __init__(self, model_dir: str | os.PathLike, threads: int = 1, runtime: str = "auto",
                 warm_up: bool = True, xnnpack: bool = True):
        self.models = ExportedModels(model_dir, runtime=runtime, threads=threads, xnnpack=xnnpack)
        self.config = cfg = self.models.config
        if list(cfg.text.symbols) != list(SYMBOLS):
            raise ConfigMismatchError(f"{self.models.model_dir}/config.json: the model's symbol table differs "
                                      "from the text front end's 78 symbols (speedyspeech_tf.config.SYMBOLS)")
        if cfg.audio.n_mels < 1 or cfg.audio.sample_rate < 1:
            raise ConfigMismatchError(f"{self.models.model_dir}/config.json: bad audio settings {cfg.audio}")
        self.sample_rate = int(cfg.audio.sample_rate)
        self.hop_length = int(cfg.hop_length)
        self.runtime = self.models.runtime
        self.threads = int(threads)
        self.quantization = cfg.quantization
        self.last_stats: SynthesisStats | None = None
        if warm_up:
            text_to_ids("I read it, zyxqub.")  # dictionary, homograph tagger, out-of-vocabulary network
            self.models.warm_up()

    # ------------------------------------------------------------------------------------------ front end

    def text_chunks(self, text: str) -> list[list[int]]:
        """Text -> the symbol-id chunks the student is run on (before any overflow re-split)."""
        return self._front_end(text)[0]

    def _front_end(self, text: str) -> tuple[list[list[int]], int, int]:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text.strip():
            raise ValueError("empty text: nothing to synthesise")
        sentences = split_sentences(text)
        chunks, skipped = [], 0
        for sentence in sentences:
            try:
                ids = text_to_ids(sentence)
            except ValueError:  # nothing pronounceable in this sentence ("...", "--", emoji)
                skipped += 1
                continue
            chunks.extend(chunk_ids(ids, self.config.max_text_symbols))
        if not chunks:
            raise ValueError(f"nothing pronounceable in the text {text.strip()!r:.80}")
        return chunks, len(sentences), skipped

    def _check_speed(self, speed) -> float:
        cfg = self.config
        try:
            s = float(speed)
        except (TypeError, ValueError):
            raise ValueError(f"speed must be a number, got {speed!r}") from None
        if not (math.isfinite(s) and cfg.min_speed <= s <= cfg.max_speed):
            raise ValueError(f"speed {speed!r} is outside [{cfg.min_speed}, {cfg.max_speed}] (1.0 = as trained, "
                             "2.0 = twice as fast)")
        return s

    # ----------------------------------------------------------------------------------------- the models

    def mels(self, ids: Sequence[int], speed: float = 1.0,
             stats: SynthesisStats | None = None) -> Iterator[tuple[list[int], np.ndarray]]:
        """Run the student on one chunk, splitting it in two (recursively) while the student reports overflow.
        Yields (ids, mel [frames, n_mels]) per final piece, in order."""
        pending = [list(ids)]
        while pending:
            piece = pending.pop(0)
            mel, frames, overflow = self.models.student(piece, speed)
            if overflow:
                parts = split_in_two(piece)
                if parts is None:
                    raise ValueError(f"{len(piece)} symbol(s) need more than the student's {self.config.F} frames "
                                     f"at speed {speed}: use a higher speed")
                if stats is not None:
                    stats.resplits += 1
                pending[:0] = parts
                continue
            yield piece, mel

    def iter_vocode(self, mel: np.ndarray) -> Iterator[np.ndarray]:
        """Vocode one chunk's mel [T, n_mels] (natural log) window by window: yields float32 audio pieces whose
        concatenation has T * hop_length samples (see the module docstring for the padding and trimming)."""
        cfg = self.config
        mel = np.asarray(mel, np.float32)
        n_mels = cfg.audio.n_mels
        if mel.ndim != 2 or mel.shape[1] != n_mels:
            raise ValueError(f"mel must be [frames, {n_mels}], got {list(mel.shape)}")
        T = mel.shape[0]
        if T == 0:
            return
        silence = np.float32(cfg.silence_log_mel)
        padded = np.concatenate([mel, np.full((PAD_FRAMES, n_mels), silence, np.float32)])
        L, hop = cfg.vocoder_frames, self.hop_length
        for span in plan_windows(padded.shape[0], cfg.W, cfg.C):
            if span.out_start >= T:
                break  # only the appended frames' audio, which is trimmed anyway
            window = padded[span.in_start:span.in_end]
            if window.shape[0] < L:
                window = np.concatenate([window, np.full((L - window.shape[0], n_mels), silence, np.float32)])
            audio = self.models.vocoder(window)
            a = (span.out_start - span.in_start) * hop
            b = (min(span.out_end, T) - span.in_start) * hop
            yield np.array(audio[a:b], np.float32)

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        """`iter_vocode` concatenated: T * hop_length samples."""
        pieces = list(self.iter_vocode(mel))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    # ------------------------------------------------------------------------------------------ synthesis

    def stream(self, text: str, speed: float = 1.0,
               progress: Callable[[int, int], None] | None = None) -> Iterator[np.ndarray]:
        """Audio of `text` as float32 chunks (one per vocoder window), yielded as soon as each is ready.

        The text and speed are checked now (ValueError before anything is synthesised); the models run as the
        iterator is consumed. `progress(done, total)` is called after each front-end chunk. `last_stats` is
        filled in as the iterator runs (complete=True once it is exhausted)."""
        start = time.perf_counter()
        speed = self._check_speed(speed)
        chunks, n_sentences, skipped = self._front_end(text)
        stats = SynthesisStats(runtime=self.runtime, threads=self.threads, quantization=self.quantization,
                               sample_rate=self.sample_rate, speed=speed, sentences=n_sentences,
                               skipped_sentences=skipped, frontend_seconds=time.perf_counter() - start)
        self.last_stats = stats
        return self._run(chunks, speed, stats, start, progress)

    def _run(self, chunks, speed, stats: SynthesisStats, start: float, progress) -> Iterator[np.ndarray]:
        models = self.models
        s0, v0 = models.student_seconds, models.vocoder_seconds
        sc0, vc0 = models.student_calls, models.vocoder_calls
        own = time.perf_counter() - start  # the runtime's own time so far (front end)
        resumed = time.perf_counter()

        def update():
            stats.student_seconds = models.student_seconds - s0
            stats.vocoder_seconds = models.vocoder_seconds - v0
            stats.student_calls = models.student_calls - sc0
            stats.vocoder_calls = models.vocoder_calls - vc0
            stats.synthesis_seconds = own
            stats.audio_seconds = stats.audio_samples / self.sample_rate
            stats.rtf = own / stats.audio_seconds if stats.audio_seconds > 0 else math.nan

        try:
            for done, ids in enumerate(chunks, 1):
                for piece, mel in self.mels(ids, speed, stats):
                    stats.chunks += 1
                    stats.chunk_symbols.append(len(piece))
                    stats.chunk_frames.append(int(mel.shape[0]))
                    for audio in self.iter_vocode(mel):
                        now = time.perf_counter()
                        own += now - resumed
                        if stats.audio_samples == 0:
                            stats.first_audio_seconds = now - start
                        stats.audio_samples += audio.size
                        update()
                        yield audio
                        resumed = time.perf_counter()
                if progress is not None:
                    progress(done, len(chunks))
            own += time.perf_counter() - resumed
            resumed = time.perf_counter()
            stats.complete = True
        finally:
            update()

    def synthesize(self, text: str, speed: float = 1.0) -> tuple[np.ndarray, int]:
        """Audio of `text`: (float32 samples in [-1, 1], sample rate). Timings in `last_stats`."""
        pieces = list(self.stream(text, speed))
        audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return audio, self.sample_rate


__all__ = ["Synthesizer", "SynthesisStats", "split_in_two", "PAD_FRAMES"]
