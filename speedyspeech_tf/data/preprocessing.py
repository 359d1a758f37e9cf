"""The `preprocess` command: a corpus in the LJ Speech layout -> a feature cache.

Computes each utterance's log-mel (`audio.log_mel`) and phoneme ids (`text.text_to_ids`) once, and writes

    OUT_DIR/settings.json       format, AudioConfig, TextConfig, corpus path and the item list
                                (id, text, phoneme ids, frames, samples), in corpus order
    OUT_DIR/mels/<id>.npy       float32 [frames, n_mels] natural-log mel (the reference's features)
    OUT_DIR/audio/<id>.npy      int16 [samples] the audio the mel was computed from (for MelGAN training)
    OUT_DIR/skipped.tsv         id<TAB>reason for every row that was not cached
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

from ..audio import AudioError, AudioFileNotFoundError, float_to_int16, int16_to_float, load_wav, log_mel
from ..cli import add_command
from ..config import (SYMBOLS, AudioConfig, ConfigMismatchError, TextConfig, atomic_open, diff_configs, from_dict,
                      to_dict, write_atomic)
from .cache import AUDIO_DIR, CACHE_FORMAT, CACHE_VERSION, MEL_DIR, SETTINGS_NAME, SKIPPED_NAME, read_settings
from .corpus import read_metadata
from .npy import npy_shape, write_npy


def _default_text_to_ids() -> Callable[[str], list[int]]:
    try:
        from ..text import text_to_ids
    except ImportError as e:
        raise ImportError(f"the text front end (speedyspeech_tf.text) cannot be imported: {e}") from e
    return text_to_ids


_WORKER_TEXT_FN: Callable[[str], list[int]] | None = None


def _init_worker(text_fn) -> None:
    global _WORKER_TEXT_FN
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _WORKER_TEXT_FN = text_fn or _default_text_to_ids()


def _process_item(job: tuple) -> dict:
    """Compute one utterance's features; returns an item record or {"id", "skip": reason}."""
    try:
        return _compute_item(*job)
    except Exception as e:  # an unexpected failure on one item is reported for it, not fatal to the run
        return {"id": job[0], "skip": f"error: {type(e).__name__}: {e}"}


def _compute_item(item_id: str, text: str, wav_path: str, out_dir: str, audio_cfg_dict: dict,
                  backend: str) -> dict:
    cfg = from_dict(AudioConfig, audio_cfg_dict)
    text_fn = _WORKER_TEXT_FN or _default_text_to_ids()
    try:
        ids = [int(i) for i in text_fn(text)]
    except ValueError as e:
        return {"id": item_id, "skip": f"unpronounceable text: {e}"}
    if not ids:
        return {"id": item_id, "skip": "unpronounceable text: no phonemes"}

    mel_path = os.path.join(out_dir, MEL_DIR, item_id + ".npy")
    audio_path = os.path.join(out_dir, AUDIO_DIR, item_id + ".npy")
    # Resume: files written by an earlier run with the same settings (checked by the caller) are reused
    # when they are complete and newer than the source audio.
    if os.path.exists(wav_path) and os.path.exists(mel_path) and os.path.exists(audio_path):
        mel_info, audio_info = npy_shape(mel_path), npy_shape(audio_path)
        src_time = os.path.getmtime(wav_path)
        if (mel_info and audio_info and mel_info[1] == np.dtype("<f4") and audio_info[1] == np.dtype("<i2")
                and len(mel_info[0]) == 2 and mel_info[0][1] == cfg.n_mels and len(audio_info[0]) == 1
                and mel_info[0][0] == audio_info[0][0] // cfg.hop_length + 1
                and min(os.path.getmtime(mel_path), os.path.getmtime(audio_path)) >= src_time):
            return {"id": item_id, "text": text, "phonemes": ids, "frames": int(mel_info[0][0]),
                    "samples": int(audio_info[0][0])}

    try:
        samples, _ = load_wav(wav_path, cfg.sample_rate, backend=backend)
    except AudioFileNotFoundError:
        return {"id": item_id, "skip": f"missing audio file: {wav_path}"}
    except AudioError as e:
        return {"id": item_id, "skip": f"bad audio: {e}"}
    # The cache keeps int16 audio; the mel is computed from exactly those samples so that the vocoder's
    # (mel, audio) pairs match (for 16-bit sources this is the same as computing it from the file).
    pcm = float_to_int16(samples)
    mel = log_mel(int16_to_float(pcm), cfg)
    write_npy(mel_path, mel.astype("<f4"))
    write_npy(audio_path, pcm.astype("<i2"))
    return {"id": item_id, "text": text, "phonemes": ids, "frames": int(mel.shape[0]), "samples": int(pcm.size)}


def _check_out_dir(out_dir: str, corpus_dir: str, audio_cfg: AudioConfig, text_cfg: TextConfig) -> None:
    """Refuse to write into a cache made with other settings or into a folder that is not a cache."""
    if os.path.realpath(out_dir) == os.path.realpath(corpus_dir):
        raise ValueError(f"output folder {out_dir} is the corpus folder; choose another one")
    if not os.path.exists(out_dir):
        return
    if not os.path.isdir(out_dir):
        raise NotADirectoryError(f"output path {out_dir} exists and is not a folder")
    settings_path = os.path.join(out_dir, SETTINGS_NAME)
    if not os.path.exists(settings_path):
        if os.listdir(out_dir):
            raise ValueError(f"output folder {out_dir} is not empty and holds no {SETTINGS_NAME} (not a "
                             "preprocess cache); choose an empty or new folder")
        return
    settings = read_settings(settings_path)
    for what, cfg in (("audio", audio_cfg), ("text", text_cfg)):
        diffs = diff_configs(settings.get(what, {}), to_dict(cfg))
        if diffs:
            shown = "; ".join(diffs[:5]) + (f" (+{len(diffs) - 5} more)" if len(diffs) > 5 else "")
            raise ConfigMismatchError(f"existing cache {out_dir} was made with other {what} settings "
                                      f"(cache != requested: {shown}); choose another output folder")
    previous = settings.get("corpus")
    if previous and os.path.realpath(previous) != os.path.realpath(corpus_dir):
        raise ConfigMismatchError(f"existing cache {out_dir} was made from another corpus ({previous}); "
                                  "choose another output folder")


def _settings(corpus_dir, audio_cfg, text_cfg, items, skipped, complete) -> dict:
    return {
        "format": CACHE_FORMAT,
        "version": CACHE_VERSION,
        "complete": complete,
        "corpus": os.path.abspath(corpus_dir),
        "audio": to_dict(audio_cfg),
        "text": to_dict(text_cfg),
        "num_items": len(items),
        "num_skipped": len(skipped),
        "items": items,
    }


def _save_settings(settings: dict, path: str) -> None:
    """Like config.save_json (atomic), but one line per item, so that a 13,100-item list stays readable."""
    head = {k: v for k, v in settings.items() if k != "items"}
    text = json.dumps(head, indent=2, sort_keys=True)
    lines = ",\n".join("    " + json.dumps(item, sort_keys=True, ensure_ascii=False)
                        for item in settings["items"])
    text = text[:-2] + ',\n  "items": [\n' + lines + ("\n  ]\n}\n" if lines else "  ]\n}\n")
    write_atomic(path, text)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def preprocess(corpus_dir: str | os.PathLike, out_dir: str | os.PathLike, *, workers: int = 1,
               limit: int | None = None, audio_cfg: AudioConfig | None = None,
               text_cfg: TextConfig | None = None, backend: str = "auto",
               text_to_ids: Callable[[str], list[int]] | None = None, progress: bool = True,
               log: Callable[[str], Any] | None = print) -> dict:
    """Preprocess a corpus in the LJ Speech layout into a cache folder (see the module docstring).

    workers: processes computing features (1 = in this process). limit: only the first N metadata rows.
    backend: audio decoding backend for `audio.load_wav`. text_to_ids: the text front end (default
    `speedyspeech_tf.text.text_to_ids`; must be a picklable module-level function when workers > 1).
    Returns a summary {"items", "skipped": [(id, reason)], "seconds_of_audio", "out_dir"}.
    Raises ConfigMismatchError when OUT_DIR holds a cache made with other settings or from another corpus,
    ValueError when no row could be cached (the skip report is still written).
    """
    corpus_dir, out_dir = os.fspath(corpus_dir), os.fspath(out_dir)
    audio_cfg = audio_cfg or AudioConfig()
    text_cfg = text_cfg or TextConfig()
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be at least 1, got {limit}")
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    rows, skipped = read_metadata(corpus_dir, limit=limit)
    wav_dir = os.path.join(corpus_dir, "wavs")
    if not os.path.isdir(wav_dir):
        raise FileNotFoundError(f"{wav_dir}: not found (a corpus in the LJ Speech layout has metadata.csv "
                                "and wavs/)")
    _check_out_dir(out_dir, corpus_dir, audio_cfg, text_cfg)
    text_fn = text_to_ids or _default_text_to_ids()  # fail early if the front end is missing
    if text_to_ids is None and list(text_cfg.symbols) != list(SYMBOLS):
        raise ValueError("the text front end (speedyspeech_tf.text.text_to_ids) uses the reference's "
                         f"{len(SYMBOLS)}-symbol table; a TextConfig with other symbols needs its own text_to_ids")

    os.makedirs(os.path.join(out_dir, MEL_DIR), exist_ok=True)
    os.makedirs(os.path.join(out_dir, AUDIO_DIR), exist_ok=True)
    # Marked incomplete until the end, so that an interrupted run is recognisable (and resumable).
    _save_settings(_settings(corpus_dir, audio_cfg, text_cfg, [], skipped, False),
                   os.path.join(out_dir, SETTINGS_NAME))

    cfg_dict = to_dict(audio_cfg)
    jobs = [(r.id, r.text, os.path.join(wav_dir, r.id + ".wav"), out_dir, cfg_dict, backend) for r in rows]
    results: list[dict] = []
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="preprocess", unit="utt", disable=not progress or not jobs,
               dynamic_ncols=True)
    try:
        if workers == 1 or len(jobs) <= 1:
            _init_worker(text_fn)
            for job in jobs:
                results.append(_process_item(job))
                bar.update(1)
        else:
            ctx = multiprocessing.get_context("spawn")  # fork after TensorFlow has started is unsafe
            n = min(workers, len(jobs))
            with ctx.Pool(n, initializer=_init_worker, initargs=(text_to_ids,)) as pool:
                for result in pool.imap(_process_item, jobs, chunksize=max(1, min(16, len(jobs) // (4 * n)))):
                    results.append(result)
                    bar.update(1)
    finally:
        bar.close()

    items = [r for r in results if "skip" not in r]
    line_of = {r.id: r.line for r in rows}
    skipped = sorted(skipped + [(r["id"], r["skip"], line_of[r["id"]]) for r in results if "skip" in r],
                     key=lambda s: s[2])
    skipped = [(item_id, reason) for item_id, reason, _ in skipped]
    _write_skipped(os.path.join(out_dir, SKIPPED_NAME), skipped)
    _save_settings(_settings(corpus_dir, audio_cfg, text_cfg, items, skipped, bool(items)),
                   os.path.join(out_dir, SETTINGS_NAME))

    seconds = sum(i["samples"] for i in items) / audio_cfg.sample_rate
    if log:
        log(f"preprocess: cached {len(items)} of {len(items) + len(skipped)} rows "
            f"({seconds / 3600:.2f} h of audio) in {out_dir}")
        if skipped:
            kinds = Counter(reason.split(":")[0] for _, reason in skipped)
            summary = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
            log(f"preprocess: skipped {len(skipped)} rows ({summary}); see {os.path.join(out_dir, SKIPPED_NAME)}")
            for item_id, reason in skipped[:5]:
                log(f"  {item_id}: {reason}")
            if len(skipped) > 5:
                log(f"  ... and {len(skipped) - 5} more")
    if not items:
        raise ValueError(f"no usable rows in {corpus_dir}: all {len(skipped)} were skipped "
                         f"(see {os.path.join(out_dir, SKIPPED_NAME)})")
    return {"items": len(items), "skipped": skipped, "seconds_of_audio": seconds, "out_dir": out_dir}


def _write_skipped(path: str, skipped: Sequence[tuple[str, str]]) -> None:
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write("id\treason\n")
        for item_id, reason in skipped:
            f.write(f"{_clean(item_id)}\t{_clean(reason)}\n")


def register(subparsers) -> None:
    p = add_command(
        subparsers, "preprocess", "compute log-mels and phoneme ids of a corpus once, into a cache folder",
        "Read a corpus in the LJ Speech layout (metadata.csv id|text|normalized text, wavs/<id>.wav) and write "
        "OUT_DIR/settings.json, mels/, audio/ and a skip report OUT_DIR/skipped.tsv. Re-running into the same "
        "folder with the same settings reuses finished items.",
        ("corpus_dir", "CORPUS_DIR", "corpus folder with metadata.csv and wavs/"),
        ("out_dir", "OUT_DIR", "cache folder to write (new, empty, or an earlier cache of the same corpus and "
                               "settings)"))
    p.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1),
                   help="processes computing features (default: the number of CPUs, %(default)s)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N rows of metadata.csv")
    p.add_argument("--audio-backend", choices=("auto", "tfio", "soundfile"), default="auto",
                   help="audio decoder: tensorflow-io with a soundfile fallback (auto), or only one of them")
    p.set_defaults(func=_cmd_preprocess)


def _cmd_preprocess(args) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    t0 = time.time()
    summary = preprocess(args.corpus_dir, args.out_dir, workers=args.workers, limit=args.limit,
                         backend=args.audio_backend)
    print(f"preprocess: done in {time.time() - t0:.1f} s")
    return 0 if summary["items"] else 1
