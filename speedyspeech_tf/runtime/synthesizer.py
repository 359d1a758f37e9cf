"""Text -> audio with an exported model directory, on the CPU, without TensorFlow.

Pipeline (the authors' inference script, janvainer/speedyspeech code/inference.py, adapted to fixed shapes):

1. Front end (speedyspeech_tf.text.plan_phrases): plain text is split into sentences (`split_sentences`), each
   sentence into words and symbol ids (`text_to_words`; a sentence with nothing pronounceable is skipped, text
   with none at all is an error); SSML and typed phonemes give phrases the same way, with rates and pauses.
   A phrase longer than the student's N slots minus the `pad_symbols` (5) padding symbols is cut at
   punctuation or word boundaries (`chunk_spans`); every id keeps the index of its word, for timestamps.
2. Student, once per chunk: the ids followed by padding ids (at least the 5 padding symbols the reference
   appends) -> natural-log mel of `frames` frames (frames past that hold config.SILENCE_LOG_MEL, log(1e-5) as
   the reference writes it, -11.5129). A directory with several student sizes (config.json's student_buckets)
   runs the chunk on the smallest whose N - 5 slots hold its ids; if that one reports overflow (the chunk needs
   more than its F frames) the chunk runs again on the next larger size (same output, more frames: the
   Android core does the same). If the largest (main) student reports overflow (frames == F and overflow == 1),
   the chunk is split in two (`split_in_two`, at punctuation or a space near the middle) and both halves are
   synthesised again, each from the smallest size that holds it.
3. Vocoder (MelGAN or HiFi-GAN: the same contract, config.json's `vocoder` says which), window by window
   (models.windows.iter_stitched): PAD_FRAMES (5) silence frames are appended to the chunk's mel (as the reference
   appends 5 silence frames before MelGAN), the windows are planned with models.windows.plan_windows(T + 5,
   W, C) exactly as the exporter and melgan.generate_windowed plan them (W output frames, C context frames
   each side, windows shifted rather than padded at the utterance edges), each call's output span is kept,
   and the audio of the 5 appended frames is trimmed again, so a chunk of T frames gives exactly T * hop
   samples. Windows whose output lies wholly in the appended frames are not run. With C >= the generator's
   receptive field, the stitched audio equals vocoding the T + 5 frames in one call. A chunk shorter than one
   window (T + 5 < W + 2C) is one call padded with silence frames at the end to W + 2C (the exported vocoder
   has a static shape), i.e. the one-call audio of that silence-padded mel.
4. The chunks' audio is concatenated in order, with each phrase's pause (zeros) after it; `stream` yields it
   window by window as soon as it is ready, each window with the words it completes (timing.py: timestamps
   from the student's durations output, in samples).
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Callable, Iterator, Sequence

import numpy as np

from ..config import SYMBOLS, ConfigMismatchError
from ..models.windows import iter_stitched
from ..text import (PUNCTUATION_IDS, SPACE_ID, chunk_spans, load_user_lexicon, parse_user_lexicon, plan_phrases,
                    text_to_ids)
from .model import ExportedModels
from .timing import AudioChunk, Timeline

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
    bucket_retries: int = 0  # chunks run again on a larger student size because a smaller one overflowed
    chunk_symbols: list = dataclasses.field(default_factory=list)
    chunk_frames: list = dataclasses.field(default_factory=list)
    chunk_students: list = dataclasses.field(default_factory=list)  # F of the student size that made each chunk
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
    pauses: int = 0  # silences inserted (sentence/comma silences, SSML breaks)
    pause_seconds: float = 0.0
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
    spans = split_spans(seq)
    return None if spans is None else [seq[a:b] for a, b in spans]


def split_spans(ids: Sequence[int]) -> list[tuple[int, int]] | None:
    """split_in_two as two (start, end) slices of `ids`."""
    seq = [int(i) for i in ids]
    n = len(seq)

    def strip(a, b):
        while a < b and seq[a] == SPACE_ID:
            a += 1
        while b > a and seq[b - 1] == SPACE_ID:
            b -= 1
        return a, b

    def halves(cut):
        a, b = strip(0, cut), strip(cut, n)
        return [a, b] if a[1] > a[0] and b[1] > b[0] else None

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


@dataclasses.dataclass
class Chunk:
    """One student input: symbol ids, the index of each id's word in the utterance (-1: a space), the speaking
    rate factor (SSML prosody) and the pause after it in seconds. No ids: a pause only."""

    ids: list
    owners: list
    rate: float = 1.0
    pause_after: float = 0.0


class Synthesizer:
    """Text-to-speech with an exported model directory (student.tflite, vocoder.tflite, config.json).

        synth = Synthesizer("model_dir", threads=1, runtime="auto")    # Synthesizer(): the bundled voice
        audio, sample_rate = synth.synthesize("Hello world.", speed=1.0)   # float32 in [-1, 1]
        for chunk in synth.stream("A long text ..."):                       # float32 chunks as they are ready
            chunk.words                                                     # the words it completes
        synth.last_stats                                                    # SynthesisStats of the last call
        synth.last_timeline.as_dict()                                       # word and phoneme timestamps

    runtime: "auto" (ai-edge-litert, else tflite-runtime, else TensorFlow's tf.lite) or one of those names.
    threads: interpreter threads. warm_up: run the front end and both models once at load, so that the first
    synthesis does not pay for loading the pronunciation dictionary and packing the weights. lexicon: a user
    lexicon (a file of `WORD PHONEMES` lines, or a dict word -> phonemes) that overrides the dictionary.
    Raises FileNotFoundError / ConfigMismatchError (a ValueError) when the directory does not hold what its
    config.json describes, InterpreterUnavailable (a ValueError) when the interpreter cannot be imported.
    """

    def __init__(self, model_dir: str | os.PathLike | None = None, threads: int = 1, runtime: str = "auto",
                 warm_up: bool = True, xnnpack: bool = True, lexicon=None):
        self.lexicon = None if lexicon is None else self._lexicon(lexicon)  # checked before the models load
        if model_dir is None:  # the bundled voice (runtime/voices.py)
            from .voices import default_voice_dir

            model_dir = default_voice_dir()
        self.model_dir = str(model_dir)
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
        self.last_timeline: Timeline | None = None
        if warm_up:
            text_to_ids("I read it, zyxqub.")  # dictionary, homograph tagger, out-of-vocabulary network
            self.models.warm_up()

    # ------------------------------------------------------------------------------------------ front end

    @staticmethod
    def _lexicon(lexicon) -> dict:
        if isinstance(lexicon, dict):  # word -> phonemes (a str or a sequence of symbols)
            lines = [f"{w} {p if isinstance(p, str) else ' '.join(p)}" for w, p in lexicon.items()]
            return parse_user_lexicon("\n".join(lines), "lexicon")
        return load_user_lexicon(lexicon)

    def text_chunks(self, text: str | None = None, **options) -> list[list[int]]:
        """Text -> the symbol-id chunks the student is run on (before any overflow re-split); options as
        `stream`'s (phonemes, ssml, sentence_silence, comma_silence)."""
        return [c.ids for c in self.plan(text, **options)[0] if c.ids]

    def plan(self, text: str | None = None, *, phonemes: str | None = None, ssml: bool | None = None,
             sentence_silence: float = 0.0, comma_silence: float = 0.0):
        """(chunks, words, sentences, skipped sentences): the text (plain or SSML) or phonemes as student
        chunks (text.plan_phrases, then chunk_spans to N - pad_symbols ids) and the words they speak."""
        phrases, n_sentences, skipped = plan_phrases(
            text, phonemes=phonemes, ssml=ssml, lexicon=self.lexicon, sentence_silence=sentence_silence,
            comma_silence=comma_silence)
        chunks: list[Chunk] = []
        words = []
        for phrase in phrases:
            ids, owners = phrase.ids_and_owners()
            base = len(words)
            words.extend(phrase.words)
            owners = [o + base if o >= 0 else -1 for o in owners]
            spans = chunk_spans(ids, self.config.max_text_symbols)
            if not spans:
                chunks.append(Chunk([], [], phrase.rate, phrase.pause_after))
            for k, (a, b) in enumerate(spans):
                chunks.append(Chunk(ids[a:b], owners[a:b], phrase.rate,
                                    phrase.pause_after if k == len(spans) - 1 else 0.0))
        return chunks, words, n_sentences, skipped

    def _check_speed(self, speed, what: str | None = None) -> float:
        cfg = self.config
        try:
            s = float(speed)
        except (TypeError, ValueError):
            raise ValueError(f"speed must be a number, got {speed!r}") from None
        if not (math.isfinite(s) and cfg.min_speed <= s <= cfg.max_speed):
            raise ValueError(f"{what or 'speed'} {speed!r} is outside [{cfg.min_speed}, {cfg.max_speed}] (1.0 = "
                             "as trained, 2.0 = twice as fast)")
        return s

    # ----------------------------------------------------------------------------------------- the models

    def mels(self, ids: Sequence[int], speed: float = 1.0,
             stats: SynthesisStats | None = None) -> Iterator[tuple[list[int], np.ndarray]]:
        """Run the student on one chunk, splitting it in two (recursively) while the student reports overflow.
        Yields (ids, mel [frames, n_mels]) per final piece, in order."""
        ids = [int(i) for i in ids]
        for a, b, mel, _ in self._student_pieces(ids, speed, stats):
            yield ids[a:b], mel

    def _student_pieces(self, ids: list[int], speed: float, stats: SynthesisStats | None):
        """mels() as (start, end, mel, durations or None) per piece ids[start:end]."""
        models = self.models
        pending = [(0, len(ids), 0)]  # (start, end, smallest student size to try)
        while pending:
            a, b, first = pending.pop(0)
            piece = ids[a:b]
            if len(models.buckets) == 1:  # one student
                mel, frames, overflow = models.student(piece, speed)
            else:
                bucket = max(first, models.bucket_for(len(piece)))
                mel, frames, overflow = models.student(piece, speed, bucket)
                if overflow and bucket + 1 < len(models.buckets):  # a larger size: the same mel, more frames
                    if stats is not None:
                        stats.bucket_retries += 1
                    pending.insert(0, (a, b, bucket + 1))
                    continue
            if overflow:
                parts = split_spans(piece)
                if parts is None:
                    raise ValueError(f"{len(piece)} symbol(s) need more than the student's {self.config.F} frames "
                                     f"at speed {speed}: use a higher speed")
                if stats is not None:
                    stats.resplits += 1
                pending[:0] = [(a + x, a + y, 0) for x, y in parts]
                continue
            yield a, b, mel, getattr(self.models, "last_durations", None)

    def iter_vocode(self, mel: np.ndarray) -> Iterator[np.ndarray]:
        """Vocode one chunk's mel [T, n_mels] (natural log) window by window: yields float32 audio pieces whose
        concatenation has T * hop_length samples (see the module docstring for the padding and trimming)."""
        cfg = self.config
        mel = np.asarray(mel, np.float32)
        n_mels = cfg.audio.n_mels
        if mel.ndim != 2 or mel.shape[1] != n_mels:
            raise ValueError(f"mel must be [frames, {n_mels}], got {list(mel.shape)}")
        if mel.shape[0] == 0:
            return
        yield from iter_stitched(lambda window, _valid: self.models.vocoder(window), mel, cfg.W, cfg.C,
                                 self.hop_length, frames=cfg.vocoder_frames, pad_value=cfg.silence_log_mel,
                                 append=PAD_FRAMES)

    def vocode(self, mel: np.ndarray) -> np.ndarray:
        """`iter_vocode` concatenated: T * hop_length samples."""
        pieces = list(self.iter_vocode(mel))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    # ------------------------------------------------------------------------------------------ synthesis

    def stream(self, text: str | None = None, speed: float = 1.0,
               progress: Callable[[int, int], None] | None = None, *, phonemes: str | None = None,
               ssml: bool | None = None, sentence_silence: float = 0.0,
               comma_silence: float = 0.0) -> Iterator[AudioChunk]:
        """Audio of `text` as float32 chunks (one per vocoder window, and one per pause), yielded as soon as each
        is ready. Each is an AudioChunk: a numpy array with `.words`, the words (runtime.timing.WordTiming) it
        completes, and `.start`, its first sample's index.

        text: plain text, or an SSML document (ssml=None: when it starts with <speak>; see text/ssml.py); or
        phonemes instead: "HH AH0 L OW1 | W ER1 L D". sentence_silence / comma_silence: seconds of silence
        between sentences / after commas (SSML <break>s add their own time where they stand).
        Everything is checked now (ValueError before anything is synthesised); the models run as the iterator
        is consumed. `progress(done, total)` is called after each chunk. `last_stats` and `last_timeline` (word
        and phoneme timestamps) are filled in as the iterator runs (last_stats.complete once it is exhausted)."""
        start = time.perf_counter()
        speed = self._check_speed(speed)
        chunks, words, n_sentences, skipped = self.plan(text, phonemes=phonemes, ssml=ssml,
                                                        sentence_silence=sentence_silence,
                                                        comma_silence=comma_silence)
        for c in chunks:
            if c.ids and c.rate != 1.0:
                self._check_speed(speed * c.rate, f"speed {speed:g} x prosody rate {c.rate:g} =")
        stats = SynthesisStats(runtime=self.runtime, threads=self.threads, quantization=self.quantization,
                               sample_rate=self.sample_rate, speed=speed, sentences=n_sentences,
                               skipped_sentences=skipped, frontend_seconds=time.perf_counter() - start)
        timeline = Timeline(self.sample_rate, self.hop_length)
        timeline.add_words(words)
        self.last_stats, self.last_timeline = stats, timeline
        return self._run(chunks, speed, stats, timeline, start, progress)

    def _run(self, chunks, speed, stats: SynthesisStats, timeline: Timeline, start: float,
             progress) -> Iterator[AudioChunk]:
        models = self.models
        s0, v0 = models.student_seconds, models.vocoder_seconds
        sc0, vc0 = models.student_calls, models.vocoder_calls
        own = time.perf_counter() - start  # the runtime's own time so far (front end)
        resumed = time.perf_counter()
        reported = 0  # words before this index have been handed out with a chunk

        def update():
            stats.student_seconds = models.student_seconds - s0
            stats.vocoder_seconds = models.vocoder_seconds - v0
            stats.student_calls = models.student_calls - sc0
            stats.vocoder_calls = models.vocoder_calls - vc0
            stats.synthesis_seconds = own
            stats.audio_seconds = stats.audio_samples / self.sample_rate
            stats.rtf = own / stats.audio_seconds if stats.audio_seconds > 0 else math.nan

        def completed(upto: int, last_word: int, final: bool):
            """Words up to last_word whose audio ends by sample `upto` (all of them when `final`)."""
            nonlocal reported
            out = []
            while reported <= last_word:
                w = timeline.words[reported]
                if not final and (w.end_sample is None or w.end_sample > upto):
                    break
                if not w.punctuation:
                    out.append(w)
                reported += 1
            return out

        def emit(audio, last_word: int, end: int):
            """Yield one piece of audio with the words it completes (`end`: the sample where the current
            piece of speech ends; words without times complete there)."""
            nonlocal own, resumed
            now = time.perf_counter()
            own += now - resumed
            if stats.audio_samples == 0:
                stats.first_audio_seconds = now - start
            begin = stats.audio_samples
            stats.audio_samples += audio.size
            update()
            yield AudioChunk(audio, completed(stats.audio_samples, last_word, stats.audio_samples >= end), begin)
            resumed = time.perf_counter()

        try:
            for done, chunk in enumerate(chunks, 1):
                for a, b, mel, durations in self._student_pieces(chunk.ids, speed * chunk.rate, stats):
                    stats.chunks += 1
                    stats.chunk_symbols.append(b - a)
                    stats.chunk_frames.append(int(mel.shape[0]))
                    stats.chunk_students.append(self.config.F if models.last_bucket is None
                                                else models.buckets[models.last_bucket][1])
                    timeline.add_piece([SYMBOLS[i] for i in chunk.ids[a:b]], chunk.owners[a:b], durations,
                                       int(mel.shape[0]))
                    last_word, end = max(chunk.owners[a:b], default=-1), timeline.samples
                    for audio in self.iter_vocode(mel):
                        yield from emit(audio, last_word, end)
                silence = int(round(chunk.pause_after * self.sample_rate))
                if silence > 0:
                    timeline.add_pause(silence)
                    stats.pauses += 1
                    stats.pause_seconds += silence / self.sample_rate
                    yield from emit(np.zeros(silence, np.float32), reported - 1, timeline.samples)
                if progress is not None:
                    progress(done, len(chunks))
            own += time.perf_counter() - resumed
            resumed = time.perf_counter()
            stats.complete = True
        finally:
            update()

    def synthesize(self, text: str | None = None, speed: float = 1.0, **options) -> tuple[np.ndarray, int]:
        """Audio of `text`: (float32 samples in [-1, 1], sample rate); options as `stream`'s. Timings in
        `last_stats`, word and phoneme timestamps in `last_timeline`."""
        pieces = list(self.stream(text, speed, **options))
        audio = np.concatenate(pieces).view(np.ndarray) if pieces else np.zeros(0, np.float32)
        return audio, self.sample_rate

    def timestamps(self) -> dict:
        """The last synthesis's word and phoneme timestamps: {"sample_rate", "samples", "duration", "words":
        [{"text", "start", "end", "phonemes": [{"symbol", "start", "end"}]}]} (seconds). Raises ValueError when
        the model directory's student has no durations output (exported before timestamps existed)."""
        if self.last_timeline is None:
            raise ValueError("nothing synthesised yet")
        if not self.models.has_durations:
            raise ValueError(f"{self.models.model_dir}: the student has no durations output (exported before "
                             "timestamps existed): export the model directory again for timestamps")
        return self.last_timeline.as_dict()


__all__ = ["Synthesizer", "SynthesisStats", "Chunk", "split_in_two", "split_spans", "PAD_FRAMES"]
