"""Student (SpeedySpeech) training with `model.fit` (`train_student`): a custom `train_step`/`test_step` with
teacher forcing, global-batch losses, clipping of the all-reduced gradient and torch's plateau schedule
(`PlateauLR`). Command: training/cli.py. How it follows the reference: docs/training.md.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from .. import data
from .. import losses as L
from ..config import StudentConfig, from_dict, load_json, to_dict
from ..config import resolve_config as _resolve_config
from ..models.student import SpeedySpeechStudent
from .common import (RunDir, TimeBudget, TqdmProgress, all_reduce_sum, check_run_arguments, data_shard,
                     get_strategy, keras_logs, read_history, resume_seed, set_mixed_precision, standard_callbacks,
                     mixed_precision_mode, needs_loss_scale)

# Fields of StudentConfig that describe training, not the network: they may differ between an --init checkpoint
# and the run that continues from it.
TRAINING_FIELDS = ("learning_rate", "adam_beta1", "adam_beta2", "adam_epsilon", "lr_plateau_factor",
                   "lr_plateau_patience", "grad_clip_norm", "batch_size", "epochs", "l1_weight", "ssim_weight",
                   "duration_weight", "huber_delta")

METRIC_NAMES = ("loss", "mel_l1", "mel_ssim", "duration_huber")  # train and validation (val_...)
TRAIN_ONLY_METRICS = ("grad_norm",)  # global gradient norm before clipping


def tiny_config(**overrides) -> StudentConfig:
    """The reference architecture, narrow and shallow (tests, smoke runs): 16 channels, 3 encoder and 4 decoder
    residual blocks, the same kernels, 78 symbols and 80 mel bands, so it trains on a real cache."""
    values = dict(channels=16, encoder_dilations=(1, 2, 4), decoder_dilations=(1, 2, 4, 8), batch_size=8)
    values.update(overrides)
    return StudentConfig(**values)


PRESETS: dict[str, Callable[[], StudentConfig]] = {"paper": StudentConfig, "tiny": tiny_config}


def resolve_config(spec: str | StudentConfig | None) -> StudentConfig:
    """'paper' | 'tiny' | path to a JSON file (StudentConfig fields, or one of our checkpoints' config.json or
    its directory)."""
    return _resolve_config(StudentConfig, spec, PRESETS, 'student')


def architecture(cfg: StudentConfig) -> dict:
    """The config without its training fields (what must match for weights to fit)."""
    return {k: v for k, v in to_dict(cfg).items() if k not in TRAINING_FIELDS}


# ==============================================================================================================
# Model, optimizer, gradient clipping
# ==============================================================================================================

def make_student(cfg: StudentConfig, float32_outputs: bool = True):
    """A built SpeedySpeechStudent whose two output convolutions (mel, log durations) compute in float32 even
    under a mixed_float16 global policy (a no-op under float32)."""
    student = SpeedySpeechStudent(cfg)
    if float32_outputs:
        student.decoder.out_conv.dtype_policy = "float32"
        student.duration_predictor.out_conv.dtype_policy = "float32"
    student.build(None)
    return student


def make_optimizer(cfg: StudentConfig, mixed_precision: bool | str = False):
    """Adam as the reference's (torch defaults besides the learning rate). No `global_clipnorm`: the train step
    clips the all-reduced gradient itself (Keras would clip per replica). Wrapped in a LossScaleOptimizer for
    float16 mixed precision (bfloat16 needs no loss scaling)."""
    opt = keras.optimizers.Adam(learning_rate=cfg.learning_rate, beta_1=cfg.adam_beta1, beta_2=cfg.adam_beta2,
                                epsilon=cfg.adam_epsilon)
    if needs_loss_scale(mixed_precision):
        opt = keras.optimizers.LossScaleOptimizer(opt)
    return opt


def clip_by_global_norm_across_replicas(grads, clip_norm: float, loss_scale=1.0, nonfinite: str = "nan"):
    """torch's clip_grad_norm_ for gradients that are summed over the replicas afterwards.

    grads: this replica's share (its gradient of sum / global count). The norm is that of the SUM over the
    replicas (the gradient of the global-batch loss), divided by `loss_scale` (the mixed-precision loss scale).
    Every replica multiplies its share by the same factor min(1, clip / (norm + 1e-6)), so the sum is clipped
    exactly. A non-finite norm makes every replica's gradients NaN (nonfinite="nan": a LossScaleOptimizer then
    skips the step on all of them alike) or zero (nonfinite="zero": the weights stay finite; a diverged loss
    still stops training through the NaN guard). Returns (clipped grads, norm).
    """
    grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    present = [g for g in grads if g is not None]
    total = all_reduce_sum(present)
    norm = tf.linalg.global_norm(total) / tf.cast(loss_scale, tf.float32)
    if clip_norm is None or clip_norm <= 0:
        return grads, norm
    factor = tf.minimum(1.0, clip_norm / (norm + 1e-6))
    if nonfinite not in ("nan", "zero"):
        raise ValueError(f"nonfinite must be 'nan' or 'zero', got {nonfinite!r}")
    finite = tf.math.is_finite(norm)
    if nonfinite == "nan":
        factor = tf.where(finite, factor, tf.constant(float("nan")))
        return [None if g is None else g * tf.cast(factor, g.dtype) for g in grads], norm
    # zeros, not g * 0 (inf * 0 is NaN)
    return [None if g is None else tf.where(finite, g * tf.cast(factor, g.dtype), tf.zeros_like(g))
            for g in grads], norm


# ==============================================================================================================
# The trainer model
# ==============================================================================================================

class StudentTrainer(keras.Model):
    """Holds `.student` (a SpeedySpeechStudent, the layout of our "student" checkpoints), the loss trackers and
    the learning-rate schedule's state (`plateau_best`, `plateau_wait`: weights, so that backups carry them).

    `fit` data: dicts {"phonemes" [B, N], "phoneme_lengths" [B], "durations" [B, N] (frames, 0 on padding),
    "mel" [B, T, n_mels] standardised log-mel, "mel_lengths" [B]} (data.student_dataset).
    Create it inside the distribution strategy's scope (`build_trainer`).
    """

    def __init__(self, config: StudentConfig | None = None, **kwargs):
        kwargs.setdefault("name", "student_trainer")
        super().__init__(**kwargs)
        self.config = config = config or StudentConfig()
        self.student = make_student(config)
        self.trackers = [keras.metrics.Mean(name=n) for n in METRIC_NAMES + TRAIN_ONLY_METRICS]
        self.plateau_best = self.add_weight(name="plateau_best", shape=(), trainable=False,
                                            initializer=keras.initializers.Constant(np.inf), dtype="float32")
        self.plateau_wait = self.add_weight(name="plateau_wait", shape=(), trainable=False,
                                            initializer="zeros", dtype="float32")
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers)

    @property
    def grad_norm_tracker(self):
        return self.trackers[len(METRIC_NAMES)]

    def call(self, inputs, training=None):
        return self.student(inputs, training=training)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Private Keras hook: its symbolic build averages the first batch over the replicas, which fails on a batch
        # that does not split evenly (test_mirrored_strategy_global_batch_losses_clipping_and_mixed_precision).
        if self.optimizer is not None and self.optimizer.built:
            return
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    # ---- forward and losses ----------------------------------------------------------------------------
    def forward(self, batch, training):
        """Teacher-forced forward pass -> (mel [B, T, n_mels] float32 with T = the target's frames,
        log durations [B, N] float32)."""
        st = self.student
        # F = the target's frames (a replica's share of a batch may lack its longest item; frames past an
        # item's total are zeros and masked, so the padding is exact).
        mel, log_durations, _ = st.teacher_forced(batch["phonemes"], batch["phoneme_lengths"],
                                                  batch["durations"], training=training,
                                                  num_frames=tf.shape(batch["mel"])[1])
        return tf.cast(mel, tf.float32), tf.cast(log_durations, tf.float32)

    def loss_terms(self, batch, mel, log_durations):
        """This replica's share of each loss (sum / global count) and of the weighted total."""
        cfg = self.config
        l1_sum, l1_n = L.l1_terms(mel, batch["mel"], batch["mel_lengths"])
        # Batches padded past their longest item (pad_multiple) carry the length before that padding.
        frames = tf.reduce_max(batch["batch_frames"]) if "batch_frames" in batch else None
        ssim_sum, ssim_n = L.ssim_terms(mel, batch["mel"], batch["mel_lengths"], frames=frames)
        hub_sum, hub_n = L.huber_terms(log_durations, batch["durations"], batch["phoneme_lengths"],
                                       cfg.huber_delta)
        counts = all_reduce_sum(tf.stack([l1_n, ssim_n, hub_n]))
        l1 = tf.math.divide_no_nan(l1_sum, counts[0])
        ssim = tf.math.divide_no_nan(ssim_sum, counts[1])
        huber = tf.math.divide_no_nan(hub_sum, counts[2])
        total = cfg.l1_weight * l1 + cfg.ssim_weight * ssim + cfg.duration_weight * huber
        return total, l1, ssim, huber

    def _update(self, values: dict):
        for tracker in self.trackers:
            if tracker.name in values:
                tracker.update_state(values[tracker.name])
        return keras_logs({t.name: t.result() for t in self.trackers if t.name in values})

    # ---- steps -----------------------------------------------------------------------------------------
    def train_step(self, batch):
        variables = self.student.trainable_variables
        with tf.GradientTape() as tape:
            mel, log_d = self.forward(batch, training=True)
            total, l1, ssim, huber = self.loss_terms(batch, mel, log_d)
            scaled = self.optimizer.scale_loss(total)
        grads = tape.gradient(scaled, variables)
        loss_scale = self.optimizer.scale_loss(tf.constant(1.0, tf.float32))
        # With loss scaling, an overflow (non-finite norm) is expected now and then: NaN gradients make the
        # LossScaleOptimizer skip the step and lower the scale. Without it, the step changes nothing.
        scaled_loss = isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer)
        grads, norm = clip_by_global_norm_across_replicas(grads, self.config.grad_clip_norm, loss_scale,
                                                          nonfinite="nan" if scaled_loss else "zero")
        self.optimizer.apply(grads, variables)
        values = all_reduce_sum(tf.stop_gradient(tf.stack([total, l1, ssim, huber])))
        logs = self._update({"loss": values[0], "mel_l1": values[1], "mel_ssim": values[2],
                             "duration_huber": values[3]})
        # The mean gradient norm over the steps whose norm was finite (skipped overflow steps of mixed
        # precision would otherwise make it inf and trip the NaN guard).
        finite = tf.math.is_finite(norm)
        self.grad_norm_tracker.update_state(tf.where(finite, norm, 0.0), sample_weight=tf.cast(finite,
                                                                                               tf.float32))
        logs["grad_norm"] = self.grad_norm_tracker.result()
        return keras_logs(logs)  # idempotent: shapes for Keras's multi-worker reduction

    def test_step(self, batch):
        mel, log_d = self.forward(batch, training=False)
        values = all_reduce_sum(tf.stack(self.loss_terms(batch, mel, log_d)))
        return self._update({"loss": values[0], "mel_l1": values[1], "mel_ssim": values[2],
                             "duration_huber": values[3]})

    def get_config(self):
        return {"config": to_dict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(from_dict(StudentConfig, config["config"]), name=config.get("name"))


def build_trainer(config: StudentConfig | None = None, mixed_precision: bool | str = False):
    """A compiled StudentTrainer with all weights and the optimizer's slots created. Call inside
    `strategy.scope()`; with mixed_precision=True set the global policy first (common.set_mixed_precision)."""
    trainer = StudentTrainer(config or StudentConfig())
    trainer.compile(optimizer=make_optimizer(trainer.config, mixed_precision), jit_compile=False)
    trainer.optimizer.build(trainer.student.trainable_variables)  # slots exist before a backup is restored
    return trainer


def init_from(trainer, source: str, audio=None, text=None) -> dict:
    """Load the student's weights from our checkpoint directory or an authors' SpeedySpeech .pth.

    The architecture must match the trainer's (training fields may differ); a checkpoint's audio/text settings
    must equal `audio`/`text` (the cache's) when given (a .pth is taken to have the default, reference settings).
    Raises ConfigMismatchError naming the difference. Returns {"source", "kind": "checkpoint" | "pth"}.
    """
    from ..checkpoint import (WEIGHTS_NAME, audio_config_from_meta, is_checkpoint, model_config_from_meta,
                              read_checkpoint_config, text_config_from_meta)
    from ..config import AudioConfig, ConfigMismatchError, TextConfig, check_same

    source = os.fspath(source)
    if os.path.isdir(source):
        if not is_checkpoint(source):
            raise FileNotFoundError(f"--init {source}: not a checkpoint directory (no config.json + "
                                    "model.weights.h5)")
        meta = read_checkpoint_config(source)
        if meta["kind"] != "student":
            raise ConfigMismatchError(f"--init {source}: is a {meta['kind']} checkpoint, expected a student")
        cfg = model_config_from_meta(meta)
        ckpt_audio, ckpt_text = audio_config_from_meta(meta), text_config_from_meta(meta)
        model, kind = None, "checkpoint"
    elif os.path.isfile(source):
        from ..reference.speedyspeech import import_student

        try:
            model, cfg = import_student(source)
        except (KeyError, OSError) as e:
            raise ValueError(f"--init {source}: not a readable SpeedySpeech checkpoint ({e})") from None
        ckpt_audio, ckpt_text, kind = AudioConfig(), TextConfig(), "pth"
    else:
        raise FileNotFoundError(f"--init {source}: no such checkpoint directory or .pth file")
    check_same(architecture(trainer.config), architecture(cfg), f"--init {source}")
    if audio is not None:
        check_same(audio, ckpt_audio, f"--init {source} (audio settings, against the cache's)")
    if text is not None:
        check_same(text, ckpt_text, f"--init {source} (text settings, against the cache's)")
    if model is None:
        try:
            trainer.student.load_weights(os.path.join(source, WEIGHTS_NAME))
        except ValueError as e:
            raise ConfigMismatchError(f"--init {source}: weights do not fit the model its config describes: "
                                      f"{e}") from None
    else:
        trainer.student.set_weights(model.get_weights())
    return {"source": os.path.abspath(source), "kind": kind}


def _init_config(init: str) -> StudentConfig:
    """The architecture an --init source describes (reads the config only when it can)."""
    from ..checkpoint import is_checkpoint, model_config_from_meta, read_checkpoint_config

    if os.path.isdir(init):
        if not is_checkpoint(init):
            raise FileNotFoundError(f"--init {init}: not a checkpoint directory (no config.json + "
                                    "model.weights.h5)")
        meta = read_checkpoint_config(init)
        if meta["kind"] != "student":
            raise ValueError(f"--init {init}: a {meta['kind']} checkpoint, expected a student one")
        return model_config_from_meta(meta)
    if not os.path.isfile(init):
        raise FileNotFoundError(f"--init {init}: no such checkpoint directory or .pth file")
    from ..reference.pth import load_pth
    from ..reference.speedyspeech import infer_student_config

    try:
        ckpt = load_pth(init)
    except Exception as e:
        raise ValueError(f"--init {init}: not a readable PyTorch checkpoint ({e})") from None
    sd = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(sd, dict) or not any(str(k).startswith("encoder.") for k in sd):
        raise ValueError(f"--init {init}: not a SpeedySpeech student checkpoint (no encoder weights)")
    return infer_student_config(sd, init)


# ==============================================================================================================
# Callbacks (plots: speedyspeech_tf.plots)
# ==============================================================================================================

class PlateauLR(keras.callbacks.ReduceLROnPlateau):
    """ReduceLROnPlateau with torch's semantics (the reference's scheduler): an epoch improves when
    val_loss < best * (1 - 1e-4) (relative); the rate is multiplied by `factor` after MORE than
    `patience` epochs without improvement (Keras's own reduces after `patience`). Its state (best, wait)
    lives in the trainer's weights `plateau_best`/`plateau_wait`, so backups carry it and a resumed run
    continues the schedule. Put it before the backup callback so a backup holds the reduced rate."""

    def __init__(self, factor: float, patience: int, threshold: float = 1e-4, monitor: str = "val_loss"):
        super().__init__(monitor=monitor, factor=factor, patience=patience + 1, mode="min", min_delta=0.0,
                         cooldown=0, min_lr=0.0)
        self.threshold = threshold

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None or not np.isfinite(reference_value):
            return True
        return float(monitor_value) < float(reference_value) * (1.0 - self.threshold)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._restored = False

    def on_epoch_begin(self, epoch, logs=None):
        # Read the state at the first epoch, not at on_train_begin: the backup is restored then, by a
        # callback that runs after this one.
        if not self._restored:
            best = float(self.model.plateau_best.numpy())
            self.best = best if np.isfinite(best) else None
            self.wait = int(round(float(self.model.plateau_wait.numpy())))
            self._restored = True

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self.model.plateau_best.assign(np.inf if self.best is None else float(self.best))
        self.model.plateau_wait.assign(float(self.wait))


class MelPlotter:
    """plot_fn for common.EpochPlots: target, teacher-forced and free-running mel of one validation item
    -> PLOTS/mel_epoch_NNNN.png and a TensorBoard image (tensorboard/images)."""

    def __init__(self, trainer, item: dict, tensorboard_dir: str | None):
        self.trainer = trainer
        self.item = item
        self.tensorboard_dir = tensorboard_dir
        self._writer = None

    def __call__(self, epoch: int, directory: str) -> None:
        from ..plots import figure_to_rgb, mel_figure, save_png

        st = self.trainer.student
        it = self.item
        ph = tf.constant(it["phonemes"][None], tf.int32)
        n = tf.constant([len(it["phonemes"])], tf.int32)
        forced, _ = st({"phonemes": ph, "phoneme_lengths": n,
                        "durations": tf.constant(it["durations"][None], tf.float32)}, training=False)
        free, _, free_len, overflow = st.infer(ph, n, return_overflow=True)
        forced = np.asarray(forced, np.float32)[0]
        free = np.asarray(free, np.float32)[0, :int(free_len[0])]
        path = os.path.join(directory, f"mel_epoch_{epoch:04d}.png")
        l1 = float(np.mean(np.abs(forced - it["mel"])))
        fig = mel_figure([it["mel"], forced, free],
                         ["target", f"teacher-forced (L1 {l1:.3f})",
                          f"inference ({free.shape[0]} frames{' (cut: overflow)' if bool(overflow[0]) else ''}"
                          f", target {it['mel'].shape[0]})"],
                         suptitle=f"{it['id']}  epoch {epoch}")
        save_png(fig, path)
        if self.tensorboard_dir:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(os.path.join(self.tensorboard_dir, "images"))
            with self._writer.as_default():
                tf.summary.image(f"mel/{it['id']}", figure_to_rgb(fig)[None], step=epoch)
            self._writer.flush()


# ==============================================================================================================
# Training driver
# ==============================================================================================================

def train_student(cache_dir: str, durations, run_dir: str, *, config: str | StudentConfig | None = None,
                  steps_per_epoch: int | None = None, epochs: int | None = None, minutes: float | None = None,
                  batch_size: int | None = None, strategy: str = "auto", mixed_precision: bool | str = False,
                  init: str | None = None, seed: int | None = None, progress: bool = True,
                  pad_multiple: tuple[int, int] | None = None,
                  log: Callable[[str], Any] | None = print) -> dict:
    """Train (or resume, or continue from --init) the student; see docs/training.md and
    `speedyspeech-tf train-student -h`.

    durations: a file written by data.save_durations (or a dict {item id: frames per phoneme}).
    config: preset name, JSON path or StudentConfig (default: the --init source's architecture, else 'paper').
    batch_size: per replica (default config.batch_size); the global batch is batch_size x replicas. The learning
    rate is the config's whatever the number of replicas.
    steps_per_epoch: default one pass over the training split. epochs: total, counting earlier runs in RUN_DIR
    (default config.epochs). pad_multiple: (symbols, frames) multiples the training batches are padded to
    (data.student_dataset): the masked losses are unchanged, BatchNorm's batch statistics see the extra frames. mixed_precision: False, "float16" or "bfloat16".
    Returns {"trainer", "history" (epoch rows), "resumed", "completed_epochs", "stopped_by_time", "checkpoint",
    "init"}.
    """
    from ..audio import standardize
    from ..checkpoint import save_checkpoint
    from ..config import check_same

    # ---- validate the arguments before any work ----
    check_run_arguments({"--steps-per-epoch": steps_per_epoch, "--epochs": epochs, "--batch-size": batch_size},
                        minutes)
    cache = data.load_cache(cache_dir)
    if isinstance(durations, (str, os.PathLike)):
        durations_path = os.path.abspath(os.fspath(durations))
        durations = data.load_durations(durations_path)
    else:
        durations_path = "<in memory>"
    init_cfg = _init_config(init) if init is not None else None
    if config is None:
        cfg = init_cfg or StudentConfig()
    else:
        cfg = resolve_config(config)
        if init_cfg is not None:
            check_same(architecture(cfg), architecture(init_cfg), f"--init {init} (against --config)")
    if batch_size is not None:
        cfg = StudentConfig(**{**to_dict(cfg), "batch_size": batch_size})
    epochs = cfg.epochs if epochs is None else epochs  # how long to train; the config keeps its own value
    if cfg.n_mels != cache.audio.n_mels:
        raise ValueError(f"the student config has n_mels {cfg.n_mels}, the cache {cache.path} "
                         f"{cache.audio.n_mels}")
    if cfg.num_symbols < len(cache.text.symbols):
        raise ValueError(f"the student config has {cfg.num_symbols} symbols, the cache {cache.path} uses "
                         f"{len(cache.text.symbols)}")
    train_items = data.split_items(cache.items, "train")
    valid_items = data.split_items(cache.items, "valid")

    strat = get_strategy(strategy)
    replicas = strat.num_replicas_in_sync
    _, shard = data_shard(strat)
    global_batch = cfg.batch_size * replicas  # tf.distribute splits each (global) batch over the replicas
    if steps_per_epoch is None:
        steps_per_epoch = max(1, math.ceil(len(train_items) / global_batch))

    run = RunDir(run_dir)
    # The datasets first: they check the durations against the cache (before the run directory is written).
    try:
        train_ds = data.student_dataset(cache, durations, global_batch, "train",
                                        seed=resume_seed(seed, run.completed_epochs()), shard=shard, masks=False,
                                        drop_remainder=replicas > 1, pad_multiple=pad_multiple).repeat()
        valid_ds = data.student_dataset(cache, durations, global_batch, "valid", masks=False)
    except ValueError as e:
        if str(e).startswith(("durations of", "no durations")):  # name the file the bad values came from
            raise ValueError(f"{durations_path}: {e}") from None
        raise
    # Bucketed batches have an unknown cardinality, and Keras warns ("input ran out of data") at the end of
    # every validation pass over such a dataset; count the batches once (the count does not depend on the
    # order) and state it.
    valid_batches = sum(1 for _ in valid_ds.map(lambda b: 0))
    valid_ds = valid_ds.apply(tf.data.experimental.assert_cardinality(valid_batches))

    settings = {
        "kind": "student",
        "model": to_dict(cfg),
        "audio": to_dict(cache.audio),
        "cache": os.path.abspath(cache.path),
        "durations": durations_path,
        "init": os.path.abspath(init) if init else None,
        "steps_per_epoch": steps_per_epoch,
        "seed": seed,
        "mixed_precision": mixed_precision_mode(mixed_precision),
        "epochs": epochs,
        "minutes": minutes,
        "strategy": strategy,
        "pad_multiple": list(pad_multiple) if pad_multiple else None,
        "resume_ignore": ["epochs", "minutes", "strategy", "init", "pad_multiple"],
    }
    if init is None and os.path.exists(run.config_path):
        # A rerun without --init continues a run that may have started from one: keep recording it.
        settings["init"] = load_json(run.config_path).get("init")
    resumed = run.prepare(settings)
    start_epoch = run.completed_epochs()
    if resumed and start_epoch >= epochs:
        if log:
            log(f"train-student: {run.root} has already trained {start_epoch} of {epochs} epochs; nothing to do")
        return {"trainer": None, "history": read_history(run.root), "resumed": True,
                "completed_epochs": start_epoch, "stopped_by_time": False, "checkpoint": run.checkpoint,
                "init": None}

    if seed is not None:
        keras.utils.set_random_seed(seed)
    # The validation item that is plotted every epoch: the first of the validation split.
    v = valid_items[0]
    plot_item = {"id": v["id"], "phonemes": np.asarray(v["phonemes"], np.int32),
                 "durations": np.asarray(durations[v["id"]], np.int32),
                 "mel": standardize(np.load(cache.mel_path(v["id"])), cache.audio).astype(np.float32)}

    previous_policy = keras.mixed_precision.global_policy()
    set_mixed_precision(mixed_precision)
    try:
        with strat.scope():
            trainer = build_trainer(cfg, mixed_precision)
            init_info = None
            if init is not None and not resumed:
                init_info = init_from(trainer, init, audio=cache.audio, text=cache.text)
                if log:
                    log(f"train-student: initialised the student from {init}")
            elif init is not None and log:
                log(f"train-student: resuming {run.root}; --init {init} is not applied again")

        def save_fn(directory):
            save_checkpoint(trainer.student, directory, "student", cfg, audio=cache.audio, text=cache.text,
                            source=f"train-student {os.path.abspath(run.root)}", durations=durations_path,
                            init=settings["init"], step=int(trainer.optimizer.iterations.numpy()))

        plotter = MelPlotter(trainer, plot_item, run.tensorboard)
        callbacks = standard_callbacks(run, steps_per_epoch, save_fn=save_fn, plot_fn=plotter)
        # After the NaN guard and before the backup: the backup then holds the reduced learning rate, and
        # History/TensorBoard see `learning_rate` in the epoch's logs.
        callbacks.insert(1, PlateauLR(cfg.lr_plateau_factor, cfg.lr_plateau_patience))
        budget = TimeBudget(minutes) if minutes else None
        if budget:
            callbacks.insert(1, budget)
        callbacks.append(TqdmProgress(epochs, steps_per_epoch, keys=METRIC_NAMES,
                                      end_keys=("loss", "val_loss", "learning_rate"), disable=not progress))

        if log:
            what = "resuming" if resumed else "training"
            log(f"train-student: {what} at epoch {start_epoch + 1}/{epochs}, {steps_per_epoch} steps each, batch "
                f"{cfg.batch_size} x {replicas} replica(s), {len(train_items)} train / {len(valid_items)} "
                f"validation items{f', mixed {mixed_precision_mode(mixed_precision)}' if mixed_precision else ''}; run dir {run.root}")
        trainer.fit(train_ds, validation_data=valid_ds, epochs=epochs, steps_per_epoch=steps_per_epoch,
                    callbacks=callbacks, verbose=0, shuffle=False)  # the dataset shuffles itself
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    completed = run.completed_epochs()
    stopped = bool(budget and budget.stopped)
    if log:
        why = f" (time budget of {minutes:g} min reached)" if stopped else ""
        log(f"train-student: {completed}/{epochs} epochs done{why}; checkpoint {run.checkpoint}")
    return {"trainer": trainer, "history": read_history(run.root), "resumed": resumed,
            "completed_epochs": completed, "stopped_by_time": stopped, "checkpoint": run.checkpoint,
            "init": init_info}


__all__ = [
    "StudentConfig", "METRIC_NAMES", "TRAIN_ONLY_METRICS", "TRAINING_FIELDS", "PRESETS", "tiny_config",
    "resolve_config", "architecture", "make_student", "make_optimizer", "all_reduce_sum",
    "clip_by_global_norm_across_replicas", "build_trainer", "init_from", "train_student", "StudentTrainer",
    "PlateauLR", "MelPlotter",
]
