"""Corpus preprocessing (the `preprocess` command) and the tf.data input pipelines.

Preprocessing reads a corpus in the LJ Speech layout

    CORPUS_DIR/metadata.csv     id|text|normalized text   (no header, pipe-separated, no quoting)
    CORPUS_DIR/wavs/<id>.wav

computes each utterance's log-mel (`audio.log_mel`) and phoneme ids (`text.text_to_ids`) once, and writes

    OUT_DIR/settings.json       format, AudioConfig, TextConfig, corpus path and the item list
                                (id, text, phoneme ids, frames, samples), in corpus order
    OUT_DIR/mels/<id>.npy       float32 [frames, n_mels] natural-log mel (the reference's features)
    OUT_DIR/audio/<id>.npy      int16 [samples] the audio the mel was computed from (for MelGAN training)
    OUT_DIR/skipped.tsv         id<TAB>reason for every row that was not cached

The .npy files are plain numpy files (np.load reads them); the pipelines read them with tf.io.read_file and
decode them in the graph (no Python in the input pipeline, so it runs in parallel and under tf.distribute).
One file per utterance gives random access: shuffling is a full permutation of the item list, the split is a
slice of it, and the student's durations are joined by item id in Python before the dataset is built.

Pipelines (plain tf.data; callers may wrap them with `strategy.experimental_distribute_dataset`):
`teacher_dataset`, `student_dataset`, `vocoder_dataset`. All take `split` ("train" | "valid" | "all"),
`shuffle`, `seed`, `deterministic`, and `shard=(num_workers, worker_index)`.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .audio import AudioError, AudioFileNotFoundError, float_to_int16, int16_to_float, load_wav, log_mel
from .config import (SYMBOLS, AudioConfig, ConfigMismatchError, TextConfig, atomic_open, diff_configs, from_dict,
                     load_json, to_dict, write_atomic)

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

_BAD_ID = re.compile(r"[/\\\x00-\x1f\x7f]")


# =============================================================================================== metadata

@dataclass
class Row:
    """One usable row of metadata.csv."""

    id: str
    text: str
    line: int


def read_metadata(corpus_dir: str | os.PathLike, limit: int | None = None
                  ) -> tuple[list[Row], list[tuple[str, str, int]]]:
    """Parse CORPUS_DIR/metadata.csv (`id|text[|normalized text]`, no header, no quoting).

    Returns (rows, skipped): rows use the normalized text when that column is present and non-empty, else
    the raw text; skipped lists (id or "line N", reason, line number) for malformed rows, duplicate ids and
    empty text. Blank lines are ignored; `limit` keeps the first N non-blank lines.
    """
    corpus_dir = os.fspath(corpus_dir)
    if not os.path.isdir(corpus_dir):
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    path = os.path.join(corpus_dir, "metadata.csv")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: not found (a corpus in the LJ Speech layout has metadata.csv "
                                "and wavs/)")
    rows: list[Row] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    count = 0
    try:
        with open(path, encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text ({e})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        count += 1
        if limit is not None and count > limit:
            break
        fields = line.split("|")
        item_id = fields[0].strip()
        where = item_id if item_id and not _BAD_ID.search(item_id) else f"line {number}"
        if len(fields) < 2 or len(fields) > 3:
            skipped.append((where, f"malformed row: line {number} has {len(fields)} '|'-separated fields, "
                                   "expected 2 or 3 (id|text|normalized text)", number))
            continue
        if not item_id or _BAD_ID.search(item_id) or item_id in (".", ".."):
            skipped.append((where, f"malformed row: line {number} has an invalid id {item_id!r}", number))
            continue
        if item_id in seen:
            skipped.append((item_id, f"malformed row: line {number} repeats id {item_id}", number))
            continue
        seen.add(item_id)
        text = fields[2].strip() if len(fields) == 3 and fields[2].strip() else fields[1].strip()
        if not text:
            skipped.append((item_id, "empty text", number))
            continue
        rows.append(Row(item_id, text, number))
    return rows, skipped


# ========================================================================================= preprocessing

def _default_text_to_ids() -> Callable[[str], list[int]]:
    try:
        from .text import text_to_ids
    except ImportError as e:
        raise ImportError(f"the text front end (speedyspeech_tf.text) cannot be imported: {e}") from e
    return text_to_ids


def _write_npy(path: str, array: np.ndarray) -> None:
    """np.save in format 1.0, atomically (temporary file in the same folder, then rename)."""
    with atomic_open(path, "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array), version=(1, 0))


def _npy_shape(path: str) -> tuple[tuple[int, ...], np.dtype] | None:
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version != (1, 0):
                return None
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            if fortran:
                return None
            expected = f.tell() + int(np.prod(shape)) * dtype.itemsize
        if os.path.getsize(path) != expected:
            return None
        return shape, dtype
    except Exception:
        return None


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
        mel_info, audio_info = _npy_shape(mel_path), _npy_shape(audio_path)
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
    _write_npy(mel_path, mel.astype("<f4"))
    _write_npy(audio_path, pcm.astype("<i2"))
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
    settings = _read_settings(settings_path)
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


def _read_settings(path: str) -> dict:
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


# ================================================================================================= cache

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
    settings = _read_settings(path)
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


# ============================================================================================= durations

def save_durations(path: str | os.PathLike, durations: Mapping[str, Any]) -> None:
    """Store per-phoneme frame counts {item id: int array} in an .npz (atomically)."""
    path = os.fspath(path)
    arrays = {}
    for item_id, d in durations.items():
        a = np.asarray(d)
        if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or np.all(np.mod(a, 1) == 0)):
            raise ValueError(f"durations of {item_id}: expected a 1-D integer array, got {a.dtype} {a.shape}")
        if a.size and a.min() < 0:
            raise ValueError(f"durations of {item_id}: negative frame counts")
        if _BAD_ID.search(str(item_id)):
            raise ValueError(f"durations: invalid item id {item_id!r}")
        arrays[str(item_id)] = a.astype(np.int32)
    with atomic_open(path, "wb") as f:
        np.savez(f, **arrays)


def load_durations(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a file written by `save_durations`."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: durations file not found")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k], np.int32) for k in z.files}
    except Exception as e:
        raise ValueError(f"{path}: not a durations file written by save_durations ({e})") from None


# ========================================================================================== tf.data

def _check_shard(shard) -> tuple[int, int] | None:
    if shard is None:
        return None
    try:
        num, index = (int(v) for v in shard)
    except (TypeError, ValueError):
        raise ValueError(f"shard must be (num_workers, worker_index), got {shard!r}") from None
    if num < 1 or not 0 <= index < num:
        raise ValueError(f"shard=(num_workers, worker_index) needs 0 <= worker_index < num_workers, got {shard!r}")
    return num, index


def _bucket_boundaries(lengths: Sequence[int], num_buckets: int) -> list[int]:
    """Length boundaries at the quantiles of the split's lengths (buckets hold about equal item counts)."""
    if num_buckets <= 1 or len(lengths) < 2:
        return []
    q = np.quantile(np.asarray(lengths, np.float64), np.arange(1, num_buckets) / num_buckets)
    bounds = sorted({int(math.ceil(v)) + 1 for v in q})
    return [b for b in bounds if b > 1]


def _read_npy(path, dtype):
    """Decode a format-1.0 .npy file (written by `_write_npy`) inside the graph: skip the 10-byte preamble and
    the header whose length is stored (little-endian uint16) at bytes 8..9."""
    import tensorflow as tf

    content = tf.io.read_file(path)
    header_len = tf.cast(tf.io.decode_raw(tf.strings.substr(content, 8, 2), tf.uint16)[0], tf.int32)
    body = tf.strings.substr(content, 10 + header_len, -1)
    return tf.io.decode_raw(body, dtype, little_endian=True)


def _checked_reshape(values, shape, path, what):
    import tensorflow as tf

    expected = tf.reduce_prod(tf.stack(shape))
    ok = tf.debugging.Assert(tf.equal(tf.size(values), expected),
                             [f"corrupt cache file ({what} has the wrong size):", path])
    with tf.control_dependencies([ok]):
        return tf.reshape(values, shape)


@dataclass
class _Plan:
    cache: Cache
    items: list[dict]


def _plan(cache_dir, split, valid_fraction, shard) -> _Plan:
    cache = cache_dir if isinstance(cache_dir, Cache) else load_cache(cache_dir)
    items = split_items(cache.items, split, valid_fraction)
    if not items:
        raise ValueError(f"split {split!r} of cache {cache.path} is empty ({len(cache.items)} items in all)")
    shard = _check_shard(shard)
    if shard and shard[0] > len(items):
        raise ValueError(f"cannot shard the {len(items)} items of split {split!r} over {shard[0]} workers")
    return _Plan(cache, items)


def _source(plan: _Plan, columns: Mapping[str, Any], shard, shuffle: bool, seed):
    """Items as a dataset of small records (paths, lengths, ids), sharded and shuffled before any file is read."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(dict(columns))
    shard = _check_shard(shard)
    if shard:
        ds = ds.shard(*shard)
    if shuffle:
        n = len(plan.items)
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return ds


def _options(deterministic: bool, shard) -> "tf.data.Options":
    import tensorflow as tf

    options = tf.data.Options()
    options.deterministic = bool(deterministic)
    if shard is not None:
        # Sharded explicitly: tf.distribute must not shard again.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return options


def _resolve_seed(seed, deterministic):
    if seed is None and deterministic:
        return 0
    return seed


def _common_columns(plan: _Plan) -> dict:
    import tensorflow as tf

    items = plan.items
    return {
        "id": tf.constant([i["id"] for i in items], tf.string),
        "mel_path": tf.constant([plan.cache.mel_path(i["id"]) for i in items], tf.string),
        "frames": tf.constant([i["frames"] for i in items], tf.int32),
        "phonemes": _ragged([i["phonemes"] for i in items]),
    }


def _ragged(rows: Sequence[Sequence[int]]):
    # tf.ragged.constant is slow on 10^4 Python lists; build from flat values + row lengths instead.
    import tensorflow as tf

    lengths = np.array([len(r) for r in rows], np.int64)
    flat = np.concatenate([np.asarray(r, np.int32) for r in rows]) if rows else np.zeros([0], np.int32)
    return tf.RaggedTensor.from_row_lengths(flat.astype(np.int32), lengths)


def _text_mel_dataset(plan: _Plan, columns: dict, mel_fn, pad_mel: float, batch_size: int, shuffle: bool,
                      seed, deterministic: bool, shard, num_buckets: int, drop_remainder: bool,
                      with_ids: bool, masks: bool, extra_padded: Mapping[str, Any] | None = None):
    import tensorflow as tf

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    n_mels = plan.cache.audio.n_mels
    ds = _source(plan, columns, shard, shuffle, seed)
    extra_keys = list(extra_padded or {})

    def load(e):
        values = _read_npy(e["mel_path"], tf.float32)
        mel = _checked_reshape(values, [e["frames"], n_mels], e["mel_path"], "mel")
        out = {"phonemes": e["phonemes"], "phoneme_lengths": tf.size(e["phonemes"], out_type=tf.int32),
               "mel": mel_fn(mel), "mel_lengths": e["frames"]}
        for key in extra_keys:
            out[key] = e[key]
        if with_ids:
            out["id"] = e["id"]
        return out

    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    # No more buckets than full batches per worker, so that small splits still fill their batches.
    per_worker = len(plan.items) // (_check_shard(shard) or (1, 0))[0]
    boundaries = _bucket_boundaries([i["frames"] for i in plan.items],
                                    min(num_buckets, max(1, per_worker // batch_size)))
    padded_shapes = {"phonemes": [None], "phoneme_lengths": [], "mel": [None, n_mels], "mel_lengths": []}
    padding_values = {"phonemes": tf.constant(plan.cache.text.pad_id, tf.int32),
                      "phoneme_lengths": tf.constant(0, tf.int32),
                      "mel": tf.constant(pad_mel, tf.float32), "mel_lengths": tf.constant(0, tf.int32)}
    for key, (shape, value) in (extra_padded or {}).items():
        padded_shapes[key] = shape
        padding_values[key] = value
    if with_ids:
        padded_shapes["id"] = []
        padding_values["id"] = tf.constant("", tf.string)
    ds = ds.bucket_by_sequence_length(
        element_length_func=lambda e: e["mel_lengths"],
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=padded_shapes,
        padding_values=padding_values,
        drop_remainder=drop_remainder,
    )
    if masks:
        def add_masks(b):
            b = dict(b)
            b["phoneme_mask"] = tf.sequence_mask(b["phoneme_lengths"], tf.shape(b["phonemes"])[1], tf.float32)
            b["mel_mask"] = tf.sequence_mask(b["mel_lengths"], tf.shape(b["mel"])[1], tf.float32)
            return b

        ds = ds.map(add_masks, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    return ds.prefetch(tf.data.AUTOTUNE).with_options(_options(deterministic, shard))


def teacher_dataset(cache_dir: str | os.PathLike | Cache, batch_size: int, split: str = "train", *,
                    shuffle: bool | None = None, seed: int | None = None, deterministic: bool = False,
                    shard: tuple[int, int] | None = None, num_buckets: int = 8, drop_remainder: bool = False,
                    valid_fraction: float = DEFAULT_VALID_FRACTION, masks: bool = True,
                    with_ids: bool = False):
    """Batches for the teacher (duration extractor):

        {"phonemes": int32 [B, N] (0-padded), "phoneme_lengths": int32 [B],
         "mel": float32 [B, T, 80] log-mel in the teacher's [0, 1] scale (padding 0 = silence),
         "mel_lengths": int32 [B]}
    plus, with masks=True, "phoneme_mask" float32 [B, N] and "mel_mask" float32 [B, T] (1 on real entries),
    and with with_ids=True, "id" string [B].

    Items are bucketed by frame count (`num_buckets` buckets at the length quantiles). shuffle defaults to
    True for "train" and False otherwise; deterministic=True (with `seed`, default 0) gives the same batches
    on every run. shard=(num_workers, worker_index) keeps that worker's share of the items.
    """
    from .audio import to_teacher_scale

    plan = _plan(cache_dir, split, valid_fraction, shard)
    cfg = plan.cache.audio
    shuffle = split == "train" if shuffle is None else shuffle
    pad = float(to_teacher_scale(np.float32(math.log(cfg.log_floor)), cfg))
    return _text_mel_dataset(plan, _common_columns(plan), lambda m: to_teacher_scale(m, cfg), pad, batch_size,
                             shuffle, _resolve_seed(seed, deterministic), deterministic, shard, num_buckets,
                             drop_remainder, with_ids, masks)


def student_dataset(cache_dir: str | os.PathLike | Cache, durations: Mapping[str, Any] | str | os.PathLike,
                    batch_size: int, split: str = "train", *, shuffle: bool | None = None,
                    seed: int | None = None, deterministic: bool = False, shard: tuple[int, int] | None = None,
                    num_buckets: int = 8, drop_remainder: bool = False,
                    valid_fraction: float = DEFAULT_VALID_FRACTION, masks: bool = True, with_ids: bool = False,
                    skip_missing: bool = False):
    """Batches for the student:

        {"phonemes": int32 [B, N], "phoneme_lengths": int32 [B], "durations": int32 [B, N] (0-padded),
         "mel": float32 [B, T, 80] standardised log-mel (padding = standardised silence), "mel_lengths": int32 [B]}
    plus the masks / ids as in `teacher_dataset`.

    durations: {item id: per-phoneme frame counts} or a path to a file written by `save_durations`. Each
    item's counts must have one entry per phoneme and sum to its frame count. Items without durations are an
    error, or are left out with skip_missing=True.
    """
    import tensorflow as tf

    from .audio import standardize

    plan = _plan(cache_dir, split, valid_fraction, None)
    if isinstance(durations, (str, os.PathLike)):
        durations = load_durations(durations)
    items, missing = [], []
    for item in plan.items:
        d = durations.get(item["id"])
        if d is None:
            missing.append(item["id"])
            continue
        d = np.asarray(d)
        if d.ndim != 1 or len(d) != len(item["phonemes"]):
            raise ValueError(f"durations of {item['id']}: {len(d) if d.ndim == 1 else d.shape} values for "
                             f"{len(item['phonemes'])} phonemes")
        if d.size and d.min() < 0:
            raise ValueError(f"durations of {item['id']}: negative frame counts")
        if int(d.sum()) != int(item["frames"]):
            raise ValueError(f"durations of {item['id']} sum to {int(d.sum())} frames, but the item has "
                             f"{item['frames']} mel frames")
        items.append(dict(item, durations=d.astype(np.int32)))
    if missing and not skip_missing:
        shown = ", ".join(missing[:5]) + (f" (+{len(missing) - 5} more)" if len(missing) > 5 else "")
        raise ValueError(f"no durations for {len(missing)} of {len(plan.items)} items of split {split!r}: {shown}")
    if not items:
        raise ValueError(f"no item of split {split!r} of {plan.cache.path} has durations")
    plan = _Plan(plan.cache, items)
    _check_shard(shard)
    if shard and int(shard[0]) > len(items):
        raise ValueError(f"cannot shard the {len(items)} items of split {split!r} over {shard[0]} workers")
    cfg = plan.cache.audio
    columns = _common_columns(plan)
    columns["durations"] = _ragged([i["durations"] for i in items])
    shuffle = split == "train" if shuffle is None else shuffle
    pad = float(standardize(np.float32(math.log(cfg.log_floor)), cfg))
    return _text_mel_dataset(plan, columns, lambda m: standardize(m, cfg), pad, batch_size, shuffle,
                             _resolve_seed(seed, deterministic), deterministic, shard, num_buckets,
                             drop_remainder, with_ids, masks,
                             extra_padded={"durations": ([None], tf.constant(0, tf.int32))})


def vocoder_dataset(cache_dir: str | os.PathLike | Cache, batch_size: int, segment_samples: int = 16000,
                    split: str = "train", *, shuffle: bool | None = None, seed: int | None = None,
                    deterministic: bool = False, shard: tuple[int, int] | None = None,
                    drop_remainder: bool = False, valid_fraction: float = DEFAULT_VALID_FRACTION,
                    masks: bool = True, with_ids: bool = False):
    """Random aligned (mel, audio) crops for MelGAN:

        {"mel": float32 [B, S, 80] natural-log mel (not standardised), "audio": float32 [B, S * 256] in [-1, 1]}
    with S = ceil(segment_samples / 256): mel frames f .. f+S-1 and samples 256 f .. 256 (f+S) - 1 from the
    same random f (frame t is centred on sample 256 t; the generator turns it into samples 256 t .. 256 t+255).
    Items shorter than a segment are padded (mel with log(1e-5), audio with 0); masks=True adds "mel_mask"
    [B, S] and "audio_mask" [B, S * 256] (1 on real frames / samples). with_ids adds "id" [B].
    A new crop is drawn every epoch; deterministic=True (with `seed`) repeats the same sequence of crops.
    """
    import tensorflow as tf

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if segment_samples < 1:
        raise ValueError(f"segment_samples must be at least 1, got {segment_samples}")
    plan = _plan(cache_dir, split, valid_fraction, shard)
    cfg = plan.cache.audio
    hop, n_mels = int(cfg.hop_length), int(cfg.n_mels)
    seg_frames = -(-int(segment_samples) // hop)
    seg_len = seg_frames * hop
    silence = float(math.log(cfg.log_floor))
    seed = _resolve_seed(seed, deterministic)
    shuffle = split == "train" if shuffle is None else shuffle
    items = plan.items
    columns = {
        "id": tf.constant([i["id"] for i in items], tf.string),
        "mel_path": tf.constant([plan.cache.mel_path(i["id"]) for i in items], tf.string),
        "audio_path": tf.constant([plan.cache.audio_path(i["id"]) for i in items], tf.string),
        "frames": tf.constant([i["frames"] for i in items], tf.int32),
        "samples": tf.constant([i["samples"] for i in items], tf.int32),
    }
    ds = _source(plan, columns, shard, shuffle, seed)
    # One random number per element, fixed by `seed` and redrawn every epoch; the crop position is a
    # stateless function of it, so parallel maps stay deterministic.
    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    ds = tf.data.Dataset.zip((ds, randoms))

    def crop(e, r):
        frames, samples = e["frames"], e["samples"]
        mel = _checked_reshape(_read_npy(e["mel_path"], tf.float32), [frames, n_mels], e["mel_path"], "mel")
        pcm = _checked_reshape(_read_npy(e["audio_path"], tf.int16), [samples], e["audio_path"], "audio")
        audio = tf.cast(pcm, tf.float32) / 32768.0
        total_frames = tf.maximum(frames, seg_frames)
        mel = tf.pad(mel, [[0, total_frames - frames], [0, 0]], constant_values=silence)
        audio = tf.pad(audio, [[0, total_frames * hop - samples]])
        start = tf.random.stateless_uniform([], seed=tf.stack([r, tf.constant(0, tf.int64)]), minval=0,
                                            maxval=total_frames - seg_frames + 1, dtype=tf.int32)
        out = {"mel": tf.ensure_shape(mel[start:start + seg_frames], [seg_frames, n_mels]),
               "audio": tf.ensure_shape(audio[start * hop:start * hop + seg_len], [seg_len])}
        if masks:
            out["mel_mask"] = tf.sequence_mask(frames - start, seg_frames, tf.float32)
            out["audio_mask"] = tf.sequence_mask(samples - start * hop, seg_len, tf.float32)
        if with_ids:
            out["id"] = e["id"]
        return out

    ds = ds.map(crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE).with_options(_options(deterministic, shard))


# ============================================================================================ command line

def register(subparsers) -> None:
    p = subparsers.add_parser(
        "preprocess", help="compute log-mels and phoneme ids of a corpus once, into a cache folder",
        description="Read a corpus in the LJ Speech layout (metadata.csv id|text|normalized text, wavs/<id>.wav) "
                    "and write OUT_DIR/settings.json, mels/, audio/ and a skip report OUT_DIR/skipped.tsv. "
                    "Re-running into the same folder with the same settings reuses finished items.")
    p.add_argument("corpus_dir", metavar="CORPUS_DIR", help="corpus folder with metadata.csv and wavs/")
    p.add_argument("out_dir", metavar="OUT_DIR", help="cache folder to write (new, empty, or an earlier cache "
                                                      "of the same corpus and settings)")
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
