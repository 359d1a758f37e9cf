"""The tf.data input pipelines over a preprocessed cache: `teacher_dataset`, `student_dataset`, `vocoder_dataset`.

Plain tf.data (callers may wrap them with `strategy.experimental_distribute_dataset`); all take `split` ("train" |
"valid" | "all"), `shuffle`, `seed`, `deterministic`, and `shard=(num_workers, worker_index)`. The .npy files are
read with tf.io.read_file and decoded in the graph (no Python in the pipeline). One file per utterance gives random
access: shuffling is a permutation of the item list, the split a slice of it, and the student's durations are
joined by item id in Python before the dataset is built.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..audio import standardize, to_teacher_scale
from .cache import DEFAULT_VALID_FRACTION, Cache, load_cache, split_items
from .duration_files import load_durations


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
    """Decode a format-1.0 .npy file (written by `npy.write_npy`) inside the graph: skip the 10-byte preamble and
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


def _options(deterministic: bool, shard):
    import tensorflow as tf

    options = tf.data.Options()
    options.deterministic = bool(deterministic)
    if shard is not None:
        # Sharded explicitly: tf.distribute must not shard again.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return options


def _resolve_deterministic(deterministic, shuffle) -> bool:
    # Unshuffled data (validation, evaluation) comes in corpus order unless asked otherwise: parallel loading
    # must not reorder it. Shuffled data may trade order for speed.
    return (not shuffle) if deterministic is None else bool(deterministic)


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
                      with_ids: bool, masks: bool, extra_padded: Mapping[str, Any] | None = None,
                      pad_multiple: tuple[int, int] | None = None):
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
    if pad_multiple:
        symbols_multiple, frames_multiple = (int(m) for m in pad_multiple)
        if symbols_multiple < 1 or frames_multiple < 1:
            raise ValueError(f"pad_multiple must be two positive integers, got {pad_multiple!r}")
        pads = {"phonemes": (symbols_multiple, padding_values["phonemes"]),
                "mel": (frames_multiple, padding_values["mel"])}
        for key in extra_keys:  # per-symbol columns (durations) pad like the phonemes
            pads[key] = (symbols_multiple, padding_values[key])

        def round_up(b):
            b = dict(b)
            # the loss normalises SSIM by this length (losses.ssim_terms): padding must not change the loss
            b["batch_frames"] = tf.fill(tf.shape(b["mel_lengths"]), tf.shape(b["mel"])[1])
            for key, (multiple, value) in pads.items():
                n = tf.shape(b[key])[1]
                extra = (-n) % multiple
                paddings = [[0, 0], [0, extra]] + [[0, 0]] * (len(b[key].shape) - 2)
                b[key] = tf.pad(b[key], paddings, constant_values=value)
            return b

        ds = ds.map(round_up, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    if masks:
        def add_masks(b):
            b = dict(b)
            b["phoneme_mask"] = tf.sequence_mask(b["phoneme_lengths"], tf.shape(b["phonemes"])[1], tf.float32)
            b["mel_mask"] = tf.sequence_mask(b["mel_lengths"], tf.shape(b["mel"])[1], tf.float32)
            return b

        ds = ds.map(add_masks, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
    return ds.prefetch(tf.data.AUTOTUNE).with_options(_options(deterministic, shard))


def teacher_dataset(cache_dir: str | os.PathLike | Cache, batch_size: int, split: str = "train", *,
                    shuffle: bool | None = None, seed: int | None = None, deterministic: bool | None = None,
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
    on every run. deterministic defaults to `not shuffle`: unshuffled splits come in corpus order. shard=(num_workers, worker_index) keeps that worker's share of the items.
    """
    plan = _plan(cache_dir, split, valid_fraction, shard)
    cfg = plan.cache.audio
    shuffle = split == "train" if shuffle is None else shuffle
    deterministic = _resolve_deterministic(deterministic, shuffle)
    pad = float(to_teacher_scale(np.float32(math.log(cfg.log_floor)), cfg))
    return _text_mel_dataset(plan, _common_columns(plan), lambda m: to_teacher_scale(m, cfg), pad, batch_size,
                             shuffle, _resolve_seed(seed, deterministic), deterministic, shard, num_buckets,
                             drop_remainder, with_ids, masks)


def student_dataset(cache_dir: str | os.PathLike | Cache, durations: Mapping[str, Any] | str | os.PathLike,
                    batch_size: int, split: str = "train", *, shuffle: bool | None = None,
                    seed: int | None = None, deterministic: bool | None = None,
                    shard: tuple[int, int] | None = None, num_buckets: int = 8, drop_remainder: bool = False,
                    valid_fraction: float = DEFAULT_VALID_FRACTION, masks: bool = True, with_ids: bool = False,
                    skip_missing: bool = False, pad_multiple: tuple[int, int] | None = None):
    """Batches for the student:

        {"phonemes": int32 [B, N], "phoneme_lengths": int32 [B], "durations": int32 [B, N] (0-padded),
         "mel": float32 [B, T, 80] standardised log-mel (padding = standardised silence), "mel_lengths": int32 [B]}
    plus the masks / ids as in `teacher_dataset`.

    pad_multiple=(S, F) pads every batch further, to a multiple of S symbols and F frames, and adds
    "batch_frames" int32 [B] (the frames before that padding): batch shapes then come from a small set, so the
    training step reuses its compiled kernels instead of meeting a new shape at every batch (BENCHMARKS.md
    "Student training speed"). The student's masking and losses.ssim_terms(frames=...) keep the masked
    losses as without it; BatchNorm's training statistics do include the extra (zero) frames.

    durations: {item id: per-phoneme frame counts} or a path to a file written by `save_durations`. Each
    item's counts must have one entry per phoneme and sum to its frame count. Items without durations are an
    error, or are left out with skip_missing=True.
    """
    import tensorflow as tf

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
    deterministic = _resolve_deterministic(deterministic, shuffle)
    pad = float(standardize(np.float32(math.log(cfg.log_floor)), cfg))
    return _text_mel_dataset(plan, columns, lambda m: standardize(m, cfg), pad, batch_size, shuffle,
                             _resolve_seed(seed, deterministic), deterministic, shard, num_buckets,
                             drop_remainder, with_ids, masks,
                             extra_padded={"durations": ([None], tf.constant(0, tf.int32))},
                             pad_multiple=pad_multiple)


def vocoder_dataset(cache_dir: str | os.PathLike | Cache, batch_size: int, segment_samples: int = 16000,
                    split: str = "train", *, shuffle: bool | None = None, seed: int | None = None,
                    deterministic: bool | None = None, shard: tuple[int, int] | None = None,
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
    shuffle = split == "train" if shuffle is None else shuffle
    deterministic = _resolve_deterministic(deterministic, shuffle)
    seed = _resolve_seed(seed, deterministic)
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
