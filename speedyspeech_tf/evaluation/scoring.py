"""Score systems sentence by sentence: texts + audio (WAV files, arrays, a Python callable or an exported model
directory through the TensorFlow-free runtime) -> one row of metrics per sentence and system.

    from speedyspeech_tf.evaluation.scoring import read_texts, evaluate_audio, evaluate_callable
    sentences = read_texts("LJSpeech-1.1/metadata.csv")               # [Sentence(id, text)]
    rows = evaluate_audio(sentences, {s.id: f"out/{s.id}.wav" for s in sentences},
                          references={s.id: f"LJSpeech-1.1/wavs/{s.id}.wav" for s in sentences})
    rows = evaluate_callable(sentences, lambda text: my_tts(text))  # my_tts -> (float audio, sample rate)

A row holds: id, system, text, hypothesis (recogniser output), words, word_errors, wer, chars, char_errors,
cer, dnsmos (overall), dnsmos_sig, dnsmos_bak, audio_seconds; with a reference recording also mcd, mel_l1,
duration_ratio, f0_rmse_hz, f0_rmse_cents, vuv_error; for synthesised systems rtf and first_audio_seconds.
Scoring runs in this process, or in `workers` (at most 2) spawned processes when asked.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from . import metrics as M

MAX_WORKERS = 2


@dataclasses.dataclass(frozen=True)
class Sentence:
    id: str
    text: str


def read_texts(path: str | os.PathLike) -> list[Sentence]:
    """Sentences to evaluate: an LJ Speech-layout metadata.csv (`id|text|normalized text`; the normalised
    column when present, else the text) or a plain text file with one sentence a line (ids are the 1-based
    line numbers, "0001"; blank lines are skipped). Raises FileNotFoundError, or ValueError naming the line
    for an empty text, a duplicate id, or a file with no sentences."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: texts file not found")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise ValueError(f"{path}: no sentences (empty text file)")
    lj = all("|" in line for _, line in numbered)
    out, seen = [], set()
    for n, line in numbered:
        if lj:
            fields = line.split("|")
            sid = fields[0].strip()
            text = fields[2] if len(fields) > 2 and fields[2].strip() else fields[1]
            if not sid:
                raise ValueError(f"{path} line {n}: empty id")
        else:
            sid, text = f"{n:04d}", line
        text = text.strip()
        if not text:
            raise ValueError(f"{path} line {n}: empty text for {sid}")
        if sid in seen:
            raise ValueError(f"{path} line {n}: duplicate id {sid}")
        seen.add(sid)
        out.append(Sentence(sid, text))
    return out


def find_wavs(directory: str | os.PathLike, ids: Iterable[str], what: str = "audio") -> dict[str, str]:
    """DIR/<id>.wav (or DIR/wavs/<id>.wav, the LJ layout) for every id; FileNotFoundError naming the first
    missing file."""
    d = os.fspath(directory)
    if not os.path.isdir(d):
        raise FileNotFoundError(f"{d}: {what} directory not found")
    out = {}
    for i in ids:
        candidates = [os.path.join(d, f"{i}.wav"), os.path.join(d, "wavs", f"{i}.wav")]
        found = [p for p in candidates if os.path.isfile(p)]
        if not found:
            raise FileNotFoundError(f"{candidates[0]}: {what} file missing")
        out[i] = found[0]
    return out


def load_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """A sound file -> (float32 mono samples, sample rate), with soundfile (no TensorFlow); silent files are
    allowed (they are data to score, not an error). Raises FileNotFoundError / ValueError naming the file."""
    import soundfile as sf

    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{p}: audio file missing")
    try:
        data, sr = sf.read(p, dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001 - libsndfile's errors
        raise ValueError(f"{p}: cannot read audio ({' '.join(str(e).split())[:120]})") from None
    if data.shape[0] == 0:
        raise ValueError(f"{p}: audio file is empty")
    return data.mean(axis=1).astype(np.float32), int(sr)


def _audio(x) -> tuple[np.ndarray, int]:
    if isinstance(x, (str, os.PathLike)):
        return load_audio(x)
    audio, sr = x
    return M.to_mono_float(audio), int(sr)


# --------------------------------------------------------------------------------------- one sentence

@dataclasses.dataclass(frozen=True)
class Options:
    asr: bool = True
    mos: bool = True
    f0: bool = True
    threads: int = 1  # ONNX threads for DNSMOS


def score_sentence(text: str, audio, sr: int, reference: M.Features | None = None,
                   options: Options = Options()) -> dict[str, Any]:
    """All metrics of one sentence's audio (see the module docstring for the keys). `reference`: the
    recording's `metrics.features` (with F0 when options.f0), or None."""
    a = M.to_mono_float(audio)
    row: dict[str, Any] = {"audio_seconds": a.size / sr}
    if options.asr:
        hyp = M.recognise(a, sr)
        w, c = M.word_errors(text, hyp), M.char_errors(text, hyp)
        row.update(hypothesis=hyp, words=w.reference_length, word_errors=w.errors, wer=w.rate,
                   chars=c.reference_length, char_errors=c.errors, cer=c.rate)
    if options.mos:
        if np.any(a):
            s = M.dnsmos_scores(a, sr, threads=options.threads)
            row.update(dnsmos=s["ovrl"], dnsmos_sig=s["sig"], dnsmos_bak=s["bak"])
        else:
            row.update(dnsmos=math.nan, dnsmos_sig=math.nan, dnsmos_bak=math.nan)
    if reference is not None:
        if np.max(np.abs(a), initial=0.0) < 1e-4:  # silent output: nothing to align
            row.update(mcd=math.nan, mel_l1=math.nan, duration_ratio=0.0)
        else:
            cmp = M.compare(reference, M.features(a, sr), f0=options.f0)
            cmp.pop("voiced_frames", None)
            row.update(cmp)
    return row


def _score_job(job):
    text, audio, sr, reference, options = job
    return score_sentence(text, audio, sr, reference, options)


def _map(jobs: list, workers: int, bar) -> list[dict]:
    """Run _score_job over the jobs, in order, in this process or in `workers` spawned processes."""
    workers = max(1, min(int(workers), MAX_WORKERS, len(jobs)))
    out = []
    if workers == 1:
        for job in jobs:
            out.append(_score_job(job))
            if bar is not None:
                bar.update(1)
        return out
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for row in pool.imap(_score_job, jobs, chunksize=1):
            out.append(row)
            if bar is not None:
                bar.update(1)
    return out


def _bar(total: int, desc: str, progress: bool):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="sentence", dynamic_ncols=True, leave=True)


# -------------------------------------------------------------------------------------- whole systems

def reference_features(sentences: list[Sentence], references: Mapping[str, Any], f0: bool = True,
                       progress: bool = False) -> dict[str, M.Features]:
    """The recordings' `metrics.features` (with F0), computed once and shared by every system's comparison."""
    bar = _bar(len(sentences), "recording features", progress)
    out = {}
    try:
        for s in sentences:
            audio, sr = _audio(references[s.id])
            out[s.id] = M.features(audio, sr, f0=f0)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return out


def evaluate_audio(sentences: list[Sentence], audio: Mapping[str, Any], references: Mapping[str, Any] | None = None,
                   system: str = "system", workers: int = 1, progress: bool = False, options: Options = Options(),
                   reference_feats: Mapping[str, M.Features] | None = None,
                   extra: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Score existing audio: `audio[id]` is a WAV path or an (array, sample_rate) pair for every sentence;
    `references[id]` (optional) the recording to compare with (or pass precomputed `reference_feats`).
    `extra[id]` is merged into that sentence's row (e.g. synthesis timings). Returns one row per sentence."""
    missing = [s.id for s in sentences if s.id not in audio]
    if missing:
        raise ValueError(f"no audio for {len(missing)} sentence(s), e.g. {missing[0]}")
    if references is not None and reference_feats is None:
        reference_feats = reference_features(sentences, references, f0=options.f0, progress=progress)
    jobs = []
    for s in sentences:
        a, sr = _audio(audio[s.id])
        ref = reference_feats.get(s.id) if reference_feats is not None else None
        jobs.append((s.text, a, sr, ref, options))
    bar = _bar(len(jobs), f"scoring {system}", progress)
    try:
        scored = _map(jobs, workers, bar)
    finally:
        if bar is not None:
            bar.close()
    rows = []
    for s, r in zip(sentences, scored):
        row = {"system": system, "id": s.id, "text": s.text}
        row.update((extra or {}).get(s.id, {}))
        row.update(r)
        rows.append(row)
    return rows


def synthesize_all(sentences: list[Sentence], synthesize: Callable[[str], tuple[np.ndarray, int]],
                   system: str = "system", progress: bool = False, wav_dir: str | os.PathLike | None = None,
                   stats: Callable[[], Any] | None = None) -> tuple[dict[str, tuple[np.ndarray, int]], dict]:
    """Run `synthesize(text) -> (audio, sr)` on every sentence (one at a time, timed). Returns
    ({id: (audio, sr)}, {id: {"rtf", "first_audio_seconds"}}); with `wav_dir`, also writes <id>.wav there.
    `stats()` may return the runtime's SynthesisStats of the last call (rtf, first-audio time)."""
    from ..runtime.wav import write_wav

    audio, timing = {}, {}
    bar = _bar(len(sentences), f"synthesising {system}", progress)
    try:
        for s in sentences:
            t0 = time.perf_counter()
            a, sr = synthesize(s.text)
            seconds = time.perf_counter() - t0
            a = M.to_mono_float(a)
            st = stats() if stats is not None else None
            if st is not None:
                timing[s.id] = {"rtf": st.rtf, "first_audio_seconds": st.first_audio_seconds}
            else:
                timing[s.id] = {"rtf": seconds / max(a.size / sr, 1e-9), "first_audio_seconds": math.nan}
            audio[s.id] = (a, int(sr))
            if wav_dir is not None:
                write_wav(Path(wav_dir) / f"{s.id}.wav", a, int(sr))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return audio, timing


def evaluate_callable(sentences: list[Sentence], synthesize: Callable[[str], tuple[np.ndarray, int]],
                      references: Mapping[str, Any] | None = None, system: str = "system", workers: int = 1,
                      progress: bool = False, options: Options = Options(), wav_dir=None,
                      reference_feats=None) -> list[dict[str, Any]]:
    """Synthesise every sentence with `synthesize(text) -> (float audio, sample rate)` (e.g. a training
    script's export or any TTS), then score it like `evaluate_audio`. Rows carry rtf (wall-clock seconds per
    second of audio)."""
    audio, timing = synthesize_all(sentences, synthesize, system, progress, wav_dir)
    return evaluate_audio(sentences, audio, references, system, workers, progress, options, reference_feats,
                          extra=timing)


def evaluate_model_dir(sentences: list[Sentence], model_dir: str | os.PathLike, references=None,
                       system: str | None = None, threads: int = 1, workers: int = 1, progress: bool = False,
                       options: Options = Options(), wav_dir=None, reference_feats=None) -> list[dict[str, Any]]:
    """Synthesise through the TensorFlow-free runtime (speedyspeech_tf.runtime.Synthesizer) and score; rows
    carry the runtime's own rtf and first_audio_seconds."""
    from ..runtime import Synthesizer

    synth = Synthesizer(model_dir, threads=threads)
    audio, timing = synthesize_all(sentences, synth.synthesize, system or Path(model_dir).name, progress, wav_dir,
                                   stats=lambda: synth.last_stats)
    return evaluate_audio(sentences, audio, references, system or Path(model_dir).name, workers, progress, options,
                          reference_feats, extra=timing)


__all__ = ["Sentence", "read_texts", "find_wavs", "load_audio", "Options", "score_sentence",
           "reference_features", "evaluate_audio", "synthesize_all", "evaluate_callable", "evaluate_model_dir",
           "MAX_WORKERS"]
