"""Teacher (duration extractor) training with `model.fit` (`train_teacher`), and duration extraction
(`extract_durations_to_file`). Commands: training/cli.py. How it follows the reference (augmentation, losses,
Noam-style schedule, clipping of the all-reduced gradient, mixed precision): docs/training.md.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from .. import data
from ..config import SYMBOLS, TeacherConfig, from_dict, to_dict
from ..config import resolve_config as _resolve_config
from ..models.teacher import DurationExtractor
from .cli import EXTRACTION_METHODS
from .common import (RunDir, TimeBudget, all_reduce_sum, check_run_arguments, data_shard, get_strategy, keras_logs,
                     read_history, resume_seed, scale_for_replicas, set_mixed_precision, standard_callbacks,
                     mixed_precision_mode, needs_loss_scale)

# Fields of TeacherConfig that describe training, not the network.
TRAINING_FIELDS = ("learning_rate", "adam_beta1", "adam_beta2", "adam_epsilon", "warmup_epochs", "init_lr_scale",
                   "grad_clip_norm", "batch_size", "epochs", "l1_weight", "guided_attention_sigma",
                   "guided_attention_weight", "input_noise", "feed_repeat", "feed_ratio", "replace_ratio",
                   "scale_min", "scale_max")
METRIC_NAMES = ("loss", "l1", "guided_attention")


def tiny_config(**overrides) -> TeacherConfig:
    """The reference architecture with few channels and layers (tests, smoke runs); training settings as the
    reference's except a smaller batch and a short warm-up."""
    values = dict(channels=16, hidden_channels=24, attention_hidden_channels=16,
                  text_encoder_dilations=(1, 3, 9, 1), audio_encoder_dilations=(1, 3, 9, 27, 1),
                  decoder_dilations=(1, 3, 9, 1), batch_size=8, warmup_epochs=3)
    values.update(overrides)
    return TeacherConfig(**values)


PRESETS: dict[str, Callable[[], TeacherConfig]] = {"paper": TeacherConfig, "tiny": tiny_config}


def resolve_config(spec: str | TeacherConfig | None) -> TeacherConfig:
    """'paper' | 'tiny' | path to a JSON file (TeacherConfig fields, or one of our teacher checkpoints'
    config.json / its directory)."""
    return _resolve_config(TeacherConfig, spec, PRESETS, 'teacher')


def noam_scale(epoch: int, warmup_epochs: int, init_scale: float) -> float:
    """The reference's NoamScheduler factor for data epoch `epoch` (0-based: the scheduler's last_epoch)."""
    if warmup_epochs <= 0:
        return 1.0 / math.sqrt(max(epoch, 1))
    if epoch <= warmup_epochs:
        return init_scale + (1.0 - init_scale) * epoch / warmup_epochs
    return math.sqrt(warmup_epochs) / math.sqrt(epoch)


def steps_per_data_epoch(num_train_items: int, global_batch: int) -> int:
    """Batches per pass over the training items (the reference's DataLoader keeps the last partial batch)."""
    return max(1, -(-int(num_train_items) // int(global_batch)))


# ==============================================================================================================
# Losses and augmentation
# ==============================================================================================================

def masked_l1_sums(predicted, target, frame_lengths):
    """(sum of |predicted - target| over the real frames of every item, number of those elements)."""
    predicted = tf.cast(predicted, tf.float32)
    target = tf.cast(target, tf.float32)
    mask = tf.sequence_mask(frame_lengths, tf.shape(target)[1], tf.float32)[..., None]
    total = tf.reduce_sum(tf.abs(predicted - target) * mask)
    count = tf.reduce_sum(mask) * tf.cast(tf.shape(target)[2], tf.float32)
    return total, count


def guided_attention_loss(weights, frame_lengths, phoneme_lengths, sigma: float):
    """Per-item guided attention loss [B] (Tachibana et al. 2017, as the reference computes it):
    sum over real frames t < T and phonemes n < N of W[t, n] (1 - exp(-(t/T - n/N)^2 / (2 sigma^2))), / (T N)."""
    weights = tf.cast(weights, tf.float32)
    shape = tf.shape(weights)
    t_len = tf.cast(frame_lengths, tf.float32)[:, None, None]
    n_len = tf.cast(phoneme_lengths, tf.float32)[:, None, None]
    y = tf.cast(tf.range(shape[1]), tf.float32)[None, :, None]
    x = tf.cast(tf.range(shape[2]), tf.float32)[None, None, :]
    penalty = 1.0 - tf.exp(-tf.square(tf.math.divide_no_nan(y, t_len) - tf.math.divide_no_nan(x, n_len))
                           / (2.0 * sigma * sigma))
    valid = tf.logical_and(y < t_len, x < n_len)
    total = tf.reduce_sum(tf.where(valid, penalty * weights, 0.0), axis=[1, 2])
    return tf.math.divide_no_nan(total, (t_len * n_len)[:, 0, 0])


def add_noise(mel, std: float):
    if not std:
        return mel
    return mel + tf.cast(std, mel.dtype) * tf.random.normal(tf.shape(mel), dtype=mel.dtype)


def frame_dropout(mel, ratio: float):
    """Set int(ratio * T) distinct random frames of every item to 0 (T = the padded length, as the reference)."""
    if not ratio:
        return mel
    shape = tf.shape(mel)
    num = tf.cast(tf.floor(ratio * tf.cast(shape[1], tf.float32)), tf.int32)
    # Rank of a uniform random number per frame: the `num` lowest ranks are a uniform random subset.
    ranks = tf.argsort(tf.argsort(tf.random.uniform(shape[:2]), axis=1), axis=1)
    return mel * tf.cast(ranks >= num, mel.dtype)[..., None]


def attention_logits(teacher, phonemes, mel):
    """Teacher-forced attention logits [B, T, N] (before masking and softmax) of a DurationExtractor.

    Every layer before the attention is either the text encoder or the causal audio encoder on the
    ground-truth spectrogram shifted by one frame, so the logits of all frames come out of one pass.
    Logits rather than the attention weights: the constrained argmax compares two phonemes that the softmax over
    the whole row may both have rounded to 0 (the reference's softmax runs over the two allowed ones only).
    DurationExtractor has no method that returns them, so its attention's two projections are applied here."""
    keys, _ = teacher.encode_text(phonemes)
    queries = teacher.encode_audio(teacher.shift_right(tf.cast(mel, teacher.compute_dtype)))
    att = teacher.attention
    return tf.matmul(tf.cast(att.fc_query(queries), tf.float32), tf.cast(att.fc_keys(keys), tf.float32),
                     transpose_b=True)


# ==============================================================================================================
# Keras classes
# ==============================================================================================================

class NoamSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """base_lr * noam_scale(step // steps_per_epoch, warmup_epochs, init_scale) (piecewise constant per
    data epoch, like the reference's per-epoch scheduler)."""

    def __init__(self, base_lr: float, warmup_epochs: int, init_scale: float, steps_per_epoch: int):
        self.base_lr = float(base_lr)
        self.warmup_epochs = int(warmup_epochs)
        self.init_scale = float(init_scale)
        self.steps_per_epoch = max(1, int(steps_per_epoch))

    def __call__(self, step):
        epoch = tf.floor(tf.cast(step, tf.float32) / float(self.steps_per_epoch))
        decay = math.sqrt(max(1, self.warmup_epochs)) * tf.math.rsqrt(tf.maximum(epoch, 1.0))
        if self.warmup_epochs <= 0:
            return self.base_lr * decay
        warm = self.init_scale + (1.0 - self.init_scale) * epoch / float(self.warmup_epochs)
        return self.base_lr * tf.where(epoch <= float(self.warmup_epochs), warm, decay)

    def get_config(self):
        return {"base_lr": self.base_lr, "warmup_epochs": self.warmup_epochs, "init_scale": self.init_scale,
                "steps_per_epoch": self.steps_per_epoch}


class TeacherTrainer(keras.Model):
    """Holds the DurationExtractor (`.teacher`) and trains it with model.fit (train_step / test_step).

    Batches are `data.teacher_dataset` dicts: phonemes, phoneme_lengths, mel ([0, 1] scale), mel_lengths.
    `metrics`: loss, l1, guided_attention (Mean trackers); train_step also reports learning_rate."""

    def __init__(self, config: TeacherConfig | None = None, **kwargs):
        kwargs.setdefault("name", "teacher_trainer")
        super().__init__(**kwargs)
        self.config = config or TeacherConfig()
        self.teacher = DurationExtractor(self.config)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.l1_tracker = keras.metrics.Mean(name="l1")
        self.attention_tracker = keras.metrics.Mean(name="guided_attention")

    def build(self, input_shape=None):
        self.teacher.build(None)
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.l1_tracker, self.attention_tracker]

    def call(self, inputs, training=None):
        return self.teacher(inputs, training=training)

    # ---- pieces ---------------------------------------------------------------------------------------
    def augment(self, phonemes, phoneme_lengths, mel):
        """The reference's input augmentation (docs/training.md); mel float32 [B, T, n_mels]."""
        cfg = self.config
        x = add_noise(mel, cfg.input_noise)
        if cfg.feed_ratio > 0 and cfg.feed_repeat > 0:
            batch = tf.shape(x)[0]
            k = tf.cast(tf.floor(cfg.feed_ratio * tf.cast(batch, tf.float32)), tf.int32)
            # The model runs on at least one item: convolutions on an empty batch fail on the CPU, and a
            # tf.cond around the model upsets Grappler's cost model. Only the first k are written back.
            chosen = tf.random.shuffle(tf.range(batch))[:tf.maximum(k, 1)]
            sub = tf.gather(x, chosen)
            sub_inputs = {"phonemes": tf.gather(phonemes, chosen),
                          "phoneme_lengths": tf.gather(phoneme_lengths, chosen)}
            for _ in range(int(cfg.feed_repeat)):
                sub, _ = self.teacher({**sub_inputs, "mel": sub}, training=True)
            sub = tf.stop_gradient(tf.cast(sub, x.dtype))
            x = tf.tensor_scatter_nd_update(x, chosen[:k, None], sub[:k])
        return frame_dropout(x, cfg.replace_ratio)

    def loss_terms(self, decoded, weights, mel, mel_lengths, phoneme_lengths):
        """(l1, guided attention) as this replica's shares of the global batch's losses."""
        l1_sum, l1_count = masked_l1_sums(decoded, mel, mel_lengths)
        att_items = guided_attention_loss(weights, mel_lengths, phoneme_lengths,
                                          self.config.guided_attention_sigma)
        counts = all_reduce_sum(tf.stack([l1_count, tf.cast(tf.size(att_items), tf.float32)]))
        l1 = tf.math.divide_no_nan(l1_sum, counts[0])
        att = tf.math.divide_no_nan(tf.reduce_sum(att_items), counts[1])
        return l1, att

    def _total(self, l1, att):
        return self.config.l1_weight * l1 + self.config.guided_attention_weight * att

    def _track(self, loss, l1, att):
        # Shares of the global values: x replicas gives each replica's estimate of the global value; the
        # Mean over replicas (Keras's reduction of the logs, and the on-read sum of the trackers' states)
        # is then the global value.
        n = float(tf.distribute.get_strategy().num_replicas_in_sync)
        self.loss_tracker.update_state(loss * n)
        self.l1_tracker.update_state(l1 * n)
        self.attention_tracker.update_state(att * n)

    def clip_gradients(self, grads):
        """Sum over replicas, unscale (mixed precision), clip by global norm, and return what the optimizer
        expects: scaled, and divided by the replicas (it sums the replicas' gradients again)."""
        n = tf.distribute.get_strategy().num_replicas_in_sync
        grads = all_reduce_sum(grads)
        scale = tf.cast(self.optimizer.scale_loss(tf.constant(1.0, tf.float32)), tf.float32)
        grads = [g / scale for g in grads]
        if self.config.grad_clip_norm and self.config.grad_clip_norm > 0:
            grads, _ = tf.clip_by_global_norm(grads, self.config.grad_clip_norm)
        return [g * (scale / float(n)) for g in grads]

    # ---- Keras hooks ----------------------------------------------------------------------------------
    def train_step(self, batch):
        phonemes, plen = batch["phonemes"], batch["phoneme_lengths"]
        mel, mlen = tf.cast(batch["mel"], tf.float32), batch["mel_lengths"]
        inputs = self.augment(phonemes, plen, mel)
        variables = self.trainable_variables
        with tf.GradientTape() as tape:
            decoded, weights = self.teacher({"phonemes": phonemes, "phoneme_lengths": plen, "mel": inputs},
                                            training=True)
            l1, att = self.loss_terms(decoded, weights, mel, mlen, plen)
            loss = self._total(l1, att)
            scaled = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, variables)
        learning_rate = tf.cast(self.optimizer.learning_rate, tf.float32)  # the rate this step uses
        self.optimizer.apply(self.clip_gradients(grads), variables)
        self._track(loss, l1, att)
        logs = {m.name: m.result() for m in self.metrics}
        logs["learning_rate"] = learning_rate
        return keras_logs(logs)

    def test_step(self, batch):
        phonemes, plen = batch["phonemes"], batch["phoneme_lengths"]
        mel, mlen = tf.cast(batch["mel"], tf.float32), batch["mel_lengths"]
        decoded, weights = self.teacher({"phonemes": phonemes, "phoneme_lengths": plen, "mel": mel},
                                        training=False)
        l1, att = self.loss_terms(decoded, weights, mel, mlen, plen)
        self._track(self._total(l1, att), l1, att)
        return keras_logs({m.name: m.result() for m in self.metrics})

    def get_config(self):
        return {"config": to_dict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(from_dict(TeacherConfig, config["config"]), name=config.get("name", "teacher_trainer"))


class TeacherPlots:
    """plot_fn for common.EpochPlots: target mel, teacher-forced prediction and attention with the extracted
    alignment of a few fixed validation items -> RUN_DIR/plots/epoch_NNNN_<id>.png and TensorBoard images
    (RUN_DIR/tensorboard/plots)."""

    def __init__(self, trainer, items: list[dict], tensorboard_dir: str | None):
        self.trainer = trainer
        self.items = items  # {"id", "phonemes" int32 [N], "mel" float32 [T, n_mels] teacher scale}
        self.tensorboard_dir = tensorboard_dir
        self._writer = None
        self._fn = None

    def _forward(self, phonemes, mel):
        if self._fn is None:
            teacher = self.trainer.teacher

            def fn(p, m):
                plen = tf.shape(p)[1:2]
                decoded, weights = teacher({"phonemes": p, "phoneme_lengths": plen, "mel": m}, training=False)
                return decoded, weights, attention_logits(teacher, p, m)

            self._fn = tf.function(fn, reduce_retracing=True)
        return [np.asarray(v)[0] for v in self._fn(tf.constant(phonemes[None]), tf.constant(mel[None]))]

    def __call__(self, epoch: int, directory: str) -> None:
        from ..durations import TooFewFramesError, extract_durations
        from ..plots import alignment_summary_figure, figure_to_rgb, save_png

        images = []
        for item in self.items:
            decoded, weights, logits = self._forward(item["phonemes"], item["mel"])
            try:
                durations = extract_durations(logits)
            except TooFewFramesError:
                durations = None
            labels = [SYMBOLS[i] if 0 <= i < len(SYMBOLS) else str(i) for i in item["phonemes"]]
            fig = alignment_summary_figure(item["mel"], decoded, weights, durations=durations, labels=labels,
                                           title=f"{item['id']}, epoch {epoch}")
            save_png(fig, os.path.join(directory, f"epoch_{epoch:04d}_{item['id']}.png"))
            images.append((item["id"], figure_to_rgb(fig)))
        if self.tensorboard_dir and images:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(os.path.join(self.tensorboard_dir, "plots"))
            with self._writer.as_default():
                for item_id, image in images:
                    tf.summary.image(f"alignment/{item_id}", image[None], step=epoch)
            self._writer.flush()


def build_trainer(config: TeacherConfig | None = None, *, steps_per_epoch: int = 1, learning_rate: float | None = None,
                  mixed_precision: bool | str = False):
    """A compiled TeacherTrainer (call inside `strategy.scope()`): Adam with the reference's schedule
    (`steps_per_epoch` steps per data epoch, peak `learning_rate`, default the config's), wrapped in a
    LossScaleOptimizer under mixed precision. The layers are created under the mixed_float16 policy when
    mixed_precision; the global policy is restored afterwards."""
    cfg = config or TeacherConfig()
    previous = keras.mixed_precision.global_policy()
    set_mixed_precision(mixed_precision)
    try:
        trainer = TeacherTrainer(cfg)
        trainer.build(None)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    schedule = NoamSchedule(cfg.learning_rate if learning_rate is None else learning_rate,
                            cfg.warmup_epochs, cfg.init_lr_scale, steps_per_epoch)
    optimizer = keras.optimizers.Adam(schedule, beta_1=cfg.adam_beta1, beta_2=cfg.adam_beta2,
                                      epsilon=cfg.adam_epsilon)
    if needs_loss_scale(mixed_precision):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    trainer.compile(optimizer=optimizer, jit_compile=False)
    trainer.optimizer.build(trainer.trainable_variables)
    return trainer


# ==============================================================================================================
# train-teacher
# ==============================================================================================================

def _load_plot_items(cache, count: int) -> list[dict]:
    from ..audio import to_teacher_scale

    items = data.split_items(cache.items, "valid")[:max(0, count)]
    out = []
    for item in items:
        mel = to_teacher_scale(np.load(cache.mel_path(item["id"])).astype(np.float32), cache.audio)
        out.append({"id": item["id"], "phonemes": np.asarray(item["phonemes"], np.int32),
                    "mel": np.asarray(mel, np.float32)})
    return out


def train_teacher(cache_dir: str, run_dir: str, *, config: str | TeacherConfig | None = None,
                  steps_per_epoch: int | None = None, epochs: int | None = None, minutes: float | None = None,
                  batch_size: int | None = None, strategy: str = "auto", mixed_precision: bool | str = False,
                  seed: int | None = None, progress: bool = True, plot_items: int = 2, validation: bool = True,
                  dataset_transform: Callable | None = None, log: Callable[[str], Any] | None = print) -> dict:
    """Train (or resume) the teacher; see docs/training.md and `speedyspeech-tf train-teacher -h`.

    batch_size: per replica (default: the config's, 64 for 'paper'); the learning rate scales linearly with the
    replicas (common.scale_for_replicas). steps_per_epoch: default one pass over the training split.
    epochs: total epochs of the run counting earlier runs in RUN_DIR (default: the config's, 300).
    dataset_transform: optional function applied to the (repeated) training tf.data.Dataset (tests inject
    faults with it). Returns {"trainer", "history", "resumed", "completed_epochs", "stopped_by_time",
    "checkpoint", "steps_per_data_epoch", "global_batch_size"}.
    """
    from ..checkpoint import save_checkpoint

    check_run_arguments({"--steps-per-epoch": steps_per_epoch, "--epochs": epochs, "--batch-size": batch_size},
                        minutes)
    cache = data.load_cache(cache_dir)
    cfg = resolve_config(config)
    if batch_size is not None:
        cfg = dataclasses.replace(cfg, batch_size=batch_size)
    if cfg.n_mels != cache.audio.n_mels:
        raise ValueError(f"the teacher config has n_mels {cfg.n_mels}, the cache {cache.path} {cache.audio.n_mels}")
    if cfg.num_symbols < len(cache.text.symbols):
        raise ValueError(f"the teacher config has {cfg.num_symbols} symbols, the cache {cache.path} uses "
                         f"{len(cache.text.symbols)}")
    epochs = cfg.epochs if epochs is None else epochs

    strat = get_strategy(strategy)
    replicas = strat.num_replicas_in_sync
    global_batch, peak_lr = scale_for_replicas(cfg.batch_size, cfg.learning_rate, strat)
    train_items = data.split_items(cache.items, "train")
    per_data_epoch = steps_per_data_epoch(len(train_items), global_batch)
    steps_per_epoch = steps_per_epoch or per_data_epoch

    run = RunDir(run_dir)
    settings = {
        "kind": "teacher",
        "model": to_dict(cfg),
        "audio": to_dict(cache.audio),
        "text": to_dict(cache.text),
        "cache": os.path.abspath(cache.path),
        "steps_per_epoch": steps_per_epoch,
        "global_batch_size": global_batch,
        "peak_learning_rate": peak_lr,
        "steps_per_data_epoch": per_data_epoch,
        "mixed_precision": mixed_precision_mode(mixed_precision),
        "seed": seed,
        "epochs": epochs,
        "minutes": minutes,
        "strategy": strategy,
        "resume_ignore": ["epochs", "minutes", "strategy"],
    }
    resumed = run.prepare(settings)
    start_epoch = run.completed_epochs()
    result = {"trainer": None, "resumed": resumed, "checkpoint": run.checkpoint, "stopped_by_time": False,
              "steps_per_data_epoch": per_data_epoch, "global_batch_size": global_batch}
    if resumed and start_epoch >= epochs:
        if log:
            log(f"train-teacher: {run.root} has already trained {start_epoch} of {epochs} epochs; nothing to do")
        return {**result, "history": read_history(run.root), "completed_epochs": start_epoch}

    if seed is not None:
        keras.utils.set_random_seed(seed)
    workers, shard = data_shard(strat)
    per_worker_batch = cfg.batch_size * max(1, replicas // workers)
    ds = data.teacher_dataset(cache, per_worker_batch, "train", seed=resume_seed(seed, start_epoch), shard=shard,
                              masks=False).repeat()
    if dataset_transform is not None:
        ds = dataset_transform(ds)
    valid_ds = valid_steps = None
    if validation and len(data.split_items(cache.items, "valid")) >= workers:
        valid_ds = data.teacher_dataset(cache, per_worker_batch, "valid", shuffle=False, shard=shard, masks=False)
        # The number of (bucketed) validation batches, so that Keras does not run the iterator dry and warn.
        valid_steps = int(valid_ds.reduce(0, lambda count, _: count + 1))

    with strat.scope():
        trainer = build_trainer(cfg, steps_per_epoch=per_data_epoch, learning_rate=peak_lr,
                                mixed_precision=mixed_precision)

    def save_fn(directory):
        save_checkpoint(trainer.teacher, directory, "teacher", cfg, audio=cache.audio, text=cache.text,
                        source=f"train-teacher {os.path.abspath(run.root)}",
                        step=int(trainer.optimizer.iterations.numpy()))

    plot_fn = None
    if plot_items > 0:
        plot_fn = TeacherPlots(trainer, _load_plot_items(cache, plot_items), run.tensorboard)
    callbacks = standard_callbacks(run, steps_per_epoch, save_fn=save_fn, plot_fn=plot_fn)
    budget = TimeBudget(minutes) if minutes else None
    if budget:
        callbacks.append(budget)

    if log:
        what = "resuming" if resumed else "training"
        log(f"train-teacher: {what} at epoch {start_epoch + 1}/{epochs}, {steps_per_epoch} steps each, batch "
            f"{cfg.batch_size} x {replicas} replica(s), peak lr {peak_lr:g} ({per_data_epoch} steps per data "
            f"epoch), {len(train_items)} training items{f', mixed {mixed_precision_mode(mixed_precision)}' if mixed_precision else ''}; "
            f"run dir {run.root}")
    trainer.fit(ds, epochs=epochs, steps_per_epoch=steps_per_epoch, validation_data=valid_ds,
                validation_steps=valid_steps, callbacks=callbacks, shuffle=False, verbose=1 if progress else 0)
    completed = run.completed_epochs()
    stopped = bool(budget and budget.stopped_after_epoch is not None)
    if log:
        why = f" (time budget of {minutes:g} min reached)" if stopped else ""
        log(f"train-teacher: {completed}/{epochs} epochs done{why}; checkpoint {run.checkpoint}")
    return {**result, "trainer": trainer, "history": read_history(run.root), "completed_epochs": completed,
            "stopped_by_time": stopped}


# ==============================================================================================================
# extract-durations
# ==============================================================================================================

def extract_durations_to_file(teacher: str | Any, cache_dir: str | Any, out_file: str | None, *, batch_size: int = 16,
                              plots: int = 4, plots_dir: str | None = None, skip_short: bool = False,
                              window: int = 1, method: str = "reference", progress: bool = True,
                              log: Callable[[str], Any] | None = print) -> dict:
    """Durations of every cached item from a trained teacher, written with data.save_durations.

    The reference (DurationExtractor.generate(window=1, spectrograms=...) + extract_durations.py) decodes frame
    by frame with the ground-truth frames fed in (eval mode) and restricts each frame's attention to the previous
    frame's argmax phoneme and the next one. The decoder's output is never fed back in that mode: frame t's
    query comes from the audio encoder on ground-truth frames < t, and the only thing carried from frame to
    frame is the argmax. The causal audio encoder is therefore run once over the whole (shifted) spectrogram,
    the attention logits of all frames come out of one matrix product, and the constrained argmax (a softmax
    over the allowed phonemes has the same argmax as their logits) runs over them in numpy
    (durations.monotonic_argmax), which is the reference's result without its T sequential model calls.

    teacher: a teacher checkpoint directory or a DurationExtractor; cache_dir: a cache folder or data.Cache.
    Items with fewer frames than phonemes cannot get durations >= 1: they are an error naming them, or left out
    with skip_short. Also writes PNG plots of the first `plots` items' attention with the extracted alignment to
    plots_dir (default: OUT_FILE without its extension + "_plots"). window: phonemes a frame may move ahead of the
    previous frame's (1, the reference's; larger values tolerate a teacher whose attention skips phonemes).
    method: "reference" (the greedy rule above, then the reference's fix-up) or "viterbi" (the most likely
    monotonic path through the log-softmax of the attention, durations.monotonic_alignment_search: robust to a
    teacher that skips phonemes, measured in BENCHMARKS.md; `window` does not apply).
    Returns {"durations": {id: array}, "items", "skipped", "phonemes_unattended",
    "phonemes", "plots"}.
    """
    from tqdm import tqdm

    from ..checkpoint import audio_config_from_meta, load_checkpoint, text_config_from_meta
    from ..config import check_same
    from ..durations import (check_alignable, durations_from_alignment, fix_durations, monotonic_alignment_search,
                             monotonic_argmax)
    from ..plots import attention_figure, save_png

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"--batch-size must be a positive integer, got {batch_size!r}")
    if plots < 0:
        raise ValueError(f"--plots must be >= 0, got {plots}")
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"--window must be a positive integer, got {window!r}")
    if method not in EXTRACTION_METHODS:
        raise ValueError(f"--method must be one of {', '.join(EXTRACTION_METHODS)}, got {method!r}")
    cache = cache_dir if isinstance(cache_dir, data.Cache) else data.load_cache(cache_dir)
    if isinstance(teacher, (str, os.PathLike)):
        model, meta = load_checkpoint(teacher, kind="teacher")
        check_same(audio_config_from_meta(meta), cache.audio, f"the cache {cache.path} (audio settings) against "
                                                               f"the teacher checkpoint {teacher}")
        check_same(text_config_from_meta(meta), cache.text, f"the cache {cache.path} (text settings) against "
                                                             f"the teacher checkpoint {teacher}")
    else:
        model = teacher
    if model.config.n_mels != cache.audio.n_mels:
        raise ValueError(f"the teacher has n_mels {model.config.n_mels}, the cache {cache.path} "
                         f"{cache.audio.n_mels}")

    short = check_alignable((i["id"], len(i["phonemes"]), i["frames"]) for i in cache.items)
    if short and not skip_short:
        shown = ", ".join(short[:5]) + (f" (+{len(short) - 5} more)" if len(short) > 5 else "")
        raise ValueError(f"{len(short)} item(s) of {cache.path} have fewer mel frames than phonemes, so no "
                         f"durations of >= 1 frame can sum to their length: {shown}; pass --skip-short to leave "
                         "them out")
    if short:
        skip = set(short)
        cache = dataclasses.replace(cache, items=[i for i in cache.items if i["id"] not in skip])
        if not cache.items:
            raise ValueError(f"no item of {cache_dir} is long enough to align")
        if log:
            log(f"extract-durations: leaving out {len(short)} item(s) with fewer frames than phonemes: "
                + ", ".join(short[:5]) + (" ..." if len(short) > 5 else ""))

    n_mels = cache.audio.n_mels
    logits_fn = tf.function(lambda p, m: attention_logits(model, p, m), input_signature=[
        tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, None, n_mels], tf.float32)])
    ds = data.teacher_dataset(cache, batch_size, "all", shuffle=False, deterministic=True, with_ids=True, masks=False)
    plot_ids = [i["id"] for i in cache.items[:plots]]
    plots_dir = plots_dir or (os.path.splitext(os.fspath(out_file))[0] + "_plots" if out_file else None)
    frames_of = {i["id"]: int(i["frames"]) for i in cache.items}

    durations: dict[str, np.ndarray] = {}
    unattended = 0
    total_phonemes = 0
    written = []
    with tqdm(total=len(cache.items), desc="extract-durations", unit="utt", disable=not progress,
              dynamic_ncols=True, file=sys.stderr) as bar:
        for batch in ds:
            logits = logits_fn(batch["phonemes"], batch["mel"]).numpy()
            plen = batch["phoneme_lengths"].numpy()
            mlen = batch["mel_lengths"].numpy()
            ids = [i.decode("utf-8") for i in batch["id"].numpy()]
            if method == "reference":
                picks = monotonic_argmax(logits, plen, mlen, window=window)
            for b, item_id in enumerate(ids):
                n, t = int(plen[b]), int(mlen[b])
                if method == "viterbi":
                    row = logits[b, :t, :n].astype(np.float64)
                    row = row - row.max(axis=1, keepdims=True)
                    path = monotonic_alignment_search(row - np.log(np.exp(row).sum(axis=1, keepdims=True)))
                else:
                    path = picks[b, :t]
                counts = durations_from_alignment(path, n)
                unattended += int(np.sum(np.bincount(path, minlength=n) == 0))
                total_phonemes += n
                d = fix_durations(counts, t)
                if t != frames_of[item_id] or int(d.sum()) != t:  # the cache and the dataset disagree
                    raise ValueError(f"{item_id}: {t} frames in the batch, {frames_of[item_id]} in the cache")
                durations[item_id] = d.astype(np.int32)
                if plots_dir and item_id in plot_ids:
                    row = logits[b, :t, :n]
                    w = np.exp(row - row.max(axis=1, keepdims=True))
                    w /= w.sum(axis=1, keepdims=True)
                    labels = [SYMBOLS[i] if 0 <= i < len(SYMBOLS) else str(i)
                              for i in batch["phonemes"].numpy()[b, :n]]
                    fig = attention_figure(w, durations=d, labels=labels, title=f"{item_id}: teacher-forced "
                                           "attention and extracted durations")
                    written.append(save_png(fig, os.path.join(plots_dir, f"{item_id}.png")))
            bar.update(len(ids))
    missing = [i["id"] for i in cache.items if i["id"] not in durations]
    if missing:
        raise RuntimeError(f"no durations for {len(missing)} items (e.g. {missing[0]}): the dataset skipped them")
    if out_file:
        data.save_durations(out_file, durations)
    if log:
        share = unattended / max(1, total_phonemes)
        log(f"extract-durations: {len(durations)} items, {total_phonemes} phonemes ({share:.1%} never attended, "
            f"given 1 frame){'; wrote ' + os.fspath(out_file) if out_file else ''}"
            f"{'; plots in ' + plots_dir if written else ''}")
    return {"durations": durations, "items": len(durations), "skipped": short, "phonemes": total_phonemes,
            "phonemes_unattended": unattended, "plots": written}


__all__ = [
    "TeacherConfig", "METRIC_NAMES", "TRAINING_FIELDS", "PRESETS", "tiny_config", "resolve_config", "noam_scale",
    "steps_per_data_epoch", "masked_l1_sums", "guided_attention_loss", "add_noise", "frame_dropout",
    "attention_logits", "build_trainer", "train_teacher", "extract_durations_to_file", "EXTRACTION_METHODS",
    "TeacherTrainer", "NoamSchedule", "TeacherPlots",
]
