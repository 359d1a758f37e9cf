"""MelGAN training with `model.fit` (`train_vocoder`): a custom `train_step` that alternates generator and
discriminator updates on two independent batches, on ground-truth or student-predicted mels
(`student_mel_cache`). Command: training/cli.py. How it follows the reference: docs/training.md.
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from .. import data
from ..config import MelGANConfig, from_dict, load_json, to_dict
from ..config import resolve_config as _resolve_config
from ..models.melgan import MelGAN
from .common import (RunDir, SideWork, TimeBudget, TqdmProgress, check_run_arguments, data_shard, get_strategy,
                     is_chief, keras_logs, read_history, resume_seed, standard_callbacks)

# Fields of MelGANConfig that describe training, not the networks: they may differ between an --init
# checkpoint and the run that fine-tunes it.
TRAINING_FIELDS = ("learning_rate", "adam_beta1", "adam_beta2", "feature_match_weight", "segment_length",
                   "batch_size", "discriminator_steps")

METRIC_NAMES = ("g_loss", "g_adv_loss", "fm_loss", "d_loss", "d_real_loss", "d_fake_loss", "d_real", "d_fake")


def tiny_config(**overrides) -> MelGANConfig:
    """The reference architecture with few channels, short segments and small batches (tests, smoke runs).

    Same upsampling (hop 256), kernels, dilations, discriminator depth and strides as the paper's; the widths
    shrink and the discriminator's strided convolutions are ungrouped: TensorFlow's CPU kernels lack grouped
    convolutions, so they run through XLA, whose gradients made a tiny step 5x slower on 2 CPU cores (0.34 s
    against 0.07 s). The paper configuration (and tests/test_melgan.py) exercise the grouped path.
    """
    values = dict(generator_channels=32, disc_channels=(4, 8, 16, 32, 32, 32), disc_groups=(1, 1, 1, 1),
                  segment_length=8192, batch_size=4)
    values.update(overrides)
    return MelGANConfig(**values)


PRESETS: dict[str, Callable[[], MelGANConfig]] = {"paper": MelGANConfig, "tiny": tiny_config}


def resolve_config(spec: str | MelGANConfig | None) -> MelGANConfig:
    """'paper' | 'tiny' | path to a JSON file (MelGANConfig fields, or one of our checkpoints' config.json)."""
    return _resolve_config(MelGANConfig, spec, PRESETS, 'melgan', 'MelGAN')


def architecture(cfg: MelGANConfig) -> dict:
    """The config without its training fields (what must match for weights to fit)."""
    return {k: v for k, v in to_dict(cfg).items() if k not in TRAINING_FIELDS}


# ==============================================================================================================
# Losses
# ==============================================================================================================

def _per_example(x, reduce):
    return reduce(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def generator_loss_terms(disc_fake, disc_real):
    """Per-example generator losses [B]: (adversarial, feature matching), summed over the scales.

    adversarial = sum_t (D(fake) - 1)^2 per scale (least squares, summed over the score map as in the
    reference); feature matching = mean |D_l(fake) - D_l(real)| per layer l (real features are constants).
    """
    adv, fm = 0.0, 0.0
    for (feats_fake, score_fake), (feats_real, _) in zip(disc_fake, disc_real):
        adv += _per_example(tf.square(score_fake - 1.0), tf.reduce_sum)
        for f_fake, f_real in zip(feats_fake, feats_real):
            fm += _per_example(tf.abs(f_fake - tf.stop_gradient(f_real)), tf.reduce_mean)
    return adv, fm


def discriminator_loss_terms(disc_fake, disc_real):
    """Per-example discriminator losses [B]: (sum_t (D(real) - 1)^2, sum_t D(fake)^2), summed over the scales."""
    real, fake = 0.0, 0.0
    for (_, score_fake), (_, score_real) in zip(disc_fake, disc_real):
        real += _per_example(tf.square(score_real - 1.0), tf.reduce_sum)
        fake += _per_example(tf.square(score_fake), tf.reduce_sum)
    return real, fake


def _halves(disc_out, n):
    """Split every tensor of a discriminator output (run on a concatenated batch) at batch index n."""
    first = tf.nest.map_structure(lambda t: t[:n], disc_out)
    second = tf.nest.map_structure(lambda t: t[n:], disc_out)
    return first, second


def mean_score(disc_out):
    """Per-example discriminator score [B]: the mean raw score, averaged over the scales (1 = 'real')."""
    return tf.add_n([_per_example(score, tf.reduce_mean) for _, score in disc_out]) / len(disc_out)


# ==============================================================================================================
# The trainer model
# ==============================================================================================================

class MelGANTrainer(keras.Model):
    """Holds `.melgan` (a MelGAN: weight-normalised generator + multi-scale discriminator, the layout of our
    "melgan" checkpoints) and the two Adam optimizers `.g_optimizer`, `.d_optimizer`.

    `fit` data: dicts {"mel_g" [B, S, n_mels], "audio_g" [B, S * hop], "mel_d", "audio_d"} (two independent
    batches, as the reference trainer draws). Calling the model runs the generator.
    Make it with `build_trainer` (inside the distribution strategy's scope).
    """

    def __init__(self, config: MelGANConfig | None = None, **kwargs):
        kwargs.setdefault("name", "melgan_trainer")
        super().__init__(**kwargs)
        self.config = config = config or MelGANConfig()
        self.melgan = MelGAN(config, name="melgan")
        self.g_optimizer = self._adam("g_optimizer")
        self.d_optimizer = self._adam("d_optimizer")
        self.trackers = [keras.metrics.Mean(name=name) for name in METRIC_NAMES]

    def _adam(self, name):
        c = self.config
        return keras.optimizers.Adam(learning_rate=c.learning_rate, beta_1=c.adam_beta1, beta_2=c.adam_beta2,
                                     name=name)

    def build(self, input_shape=None):
        """Create the networks' weights and both optimizers' slots (needed before restoring a backup)."""
        self.melgan.build()
        # MelGAN.build leaves the weightless padding layers unbuilt (they build on first call); under a
        # distribution strategy fit() would then try to build the model symbolically from the data dict.
        # Private: Keras has no public recursive layer list; its own symbolic-build check walks this one.
        for layer in self.melgan._flatten_layers(include_self=False):
            if not layer.built and not layer.weights:
                layer.build(None)
        self.g_optimizer.build(self.melgan.generator.trainable_variables)
        self.d_optimizer.build(self.melgan.discriminator.trainable_variables)
        self.built = True

    @property
    def generator(self):
        return self.melgan.generator

    @property
    def discriminator(self):
        return self.melgan.discriminator

    @property
    def metrics(self):
        return list(self.trackers)

    def call(self, mel, training=None):
        return self.melgan.generator(mel, training=training)

    def train_step(self, batch):
        cfg = self.config
        gen, disc = self.melgan.generator, self.melgan.discriminator
        mel_g, audio_g = batch["mel_g"], batch["audio_g"]
        mel_d, audio_d = batch["mel_d"], batch["audio_d"]

        # 1. Generator (the reference updates G first). D(real) only gives feature-matching targets. Real and
        #    fake go through D as one batch (D has no batch statistics, so this equals two calls; it traces
        #    and runs faster).
        with tf.GradientTape() as tape:
            fake = gen(mel_g, training=True)
            fake_out, real_out = _halves(disc(tf.concat([fake, audio_g], axis=0), training=True),
                                         tf.shape(fake)[0])
            adv, fm = generator_loss_terms(fake_out, real_out)
            g_per_example = adv + cfg.feature_match_weight * fm
            g_loss = tf.nn.compute_average_loss(g_per_example)  # / global batch size
        g_vars = gen.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))

        # 2. Discriminator on another batch, against the updated generator's output, detached.
        fake_d = tf.stop_gradient(gen(mel_d, training=True))
        both = tf.concat([audio_d, fake_d], axis=0)
        d_vars = disc.trainable_variables
        for _ in range(cfg.discriminator_steps):
            with tf.GradientTape() as tape:
                out_real, out_fake = _halves(disc(both, training=True), tf.shape(fake_d)[0])
                d_real_term, d_fake_term = discriminator_loss_terms(out_fake, out_real)
                d_loss = tf.nn.compute_average_loss(d_real_term + d_fake_term)
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        # Trackers take per-replica means; Keras averages them over the replicas (equal batch sizes).
        values = {
            "g_loss": g_per_example, "g_adv_loss": adv, "fm_loss": fm,
            "d_loss": d_real_term + d_fake_term, "d_real_loss": d_real_term, "d_fake_loss": d_fake_term,
            "d_real": mean_score(out_real), "d_fake": mean_score(out_fake),
        }
        for tracker in self.trackers:
            tracker.update_state(tf.reduce_mean(values[tracker.name]))
        return keras_logs({t.name: t.result() for t in self.trackers})

    def get_config(self):
        return {"config": to_dict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(from_dict(MelGANConfig, config["config"]), name=config.get("name"))


def build_trainer(config: MelGANConfig | None = None):
    """A compiled MelGANTrainer with all weights and optimizer slots created. Call inside `strategy.scope()`."""
    trainer = MelGANTrainer(config or MelGANConfig())
    trainer.build()
    # No optimizer for Keras to manage (compile's default would build an RMSprop over all the weights): the
    # train_step applies its own two. No XLA for the whole step: on this 2-core CPU it took 92 s to compile
    # the tiny configuration's step and ran no faster (the grouped convolutions are XLA-compiled regardless).
    trainer.compile(optimizer=None, jit_compile=False)
    return trainer


def init_from(trainer, source: str) -> dict:
    """Load generator and discriminator weights into `trainer.melgan` from our checkpoint directory or an
    authors' MelGAN .pth (which holds the discriminator too). The architecture must match the trainer's
    (training fields may differ). Returns {"source", "kind": "checkpoint" | "pth"}."""
    from ..checkpoint import is_checkpoint, load_checkpoint
    from ..config import check_same

    source = os.fspath(source)
    if os.path.isdir(source):
        if not is_checkpoint(source):
            raise FileNotFoundError(f"--init {source}: not a checkpoint directory (no config.json + "
                                    "model.weights.h5)")
        model, meta = load_checkpoint(source, kind="melgan")
        kind = "checkpoint"
    elif os.path.isfile(source):
        from ..reference.melgan import import_melgan

        model, _ = import_melgan(source)
        kind = "pth"
    else:
        raise FileNotFoundError(f"--init {source}: no such checkpoint directory or .pth file")
    check_same(architecture(trainer.config), architecture(model.config), f"--init {source}")
    trainer.melgan.set_weights(model.get_weights())
    return {"source": os.path.abspath(source), "kind": kind}


# ==============================================================================================================
# Data
# ==============================================================================================================

def train_dataset(cache, batch_size: int, segment_samples: int, seed: int | None = None, split: str = "train",
                  shard: tuple[int, int] | None = None, deterministic: bool | None = None):
    """An endless dataset of {"mel_g", "audio_g", "mel_d", "audio_d"}: two independent streams of random
    aligned crops (data.vocoder_dataset), each batched to `batch_size` whole batches across epoch boundaries."""
    deterministic = seed is not None if deterministic is None else deterministic

    def stream(s):
        ds = data.vocoder_dataset(cache, batch_size=1, segment_samples=segment_samples, split=split, seed=s,
                             deterministic=deterministic, shard=shard, masks=False)
        return ds.unbatch().repeat().batch(batch_size, drop_remainder=True)

    a = stream(seed)
    b = stream(None if seed is None else seed + 1)
    ds = tf.data.Dataset.zip((a, b)).map(
        lambda g, d: {"mel_g": g["mel"], "audio_g": g["audio"], "mel_d": d["mel"], "audio_d": d["audio"]})
    return ds.prefetch(tf.data.AUTOTUNE)


@dataclasses.dataclass
class DerivedMelCache(data.Cache):
    """A cache whose mels live in `mel_dir` (e.g. a student's predictions) and whose audio is `audio_cache`'s;
    `data.vocoder_dataset` reads it like any cache."""

    mel_dir: str = ""
    audio_cache: data.Cache | None = None

    def mel_path(self, item_id: str) -> str:
        return os.path.join(self.mel_dir, item_id + ".npy")

    def audio_path(self, item_id: str) -> str:
        return self.audio_cache.audio_path(item_id)


def student_mel_cache(cache, student_ckpt: str, durations, out_dir: str, batch_size: int = 1,
                      progress: bool = True, log: Callable[[str], Any] | None = print):
    """Run the student (our checkpoint) on every cached item with its given durations (teacher forcing) and store
    the predicted natural-log mels (standardisation undone) as OUT_DIR/mels/<id>.npy.

    The predicted mel of an item has exactly its ground-truth frame count (the durations sum to it), so it pairs
    with the item's real audio like the ground-truth mel does. Items without durations are left out (counted in
    the log). batch_size 1 (default) gives each utterance's mel exactly as the student makes it alone; in larger
    batches the student's unmasked convolutions see the other items' padding, which changes an item's last
    frames (up to 1.3 in log-mel on a test student). Finished files are reused when OUT_DIR/manifest.json names
    the same student and durations.
    Returns a data.Cache over the kept items whose audio paths point into the source cache.
    """
    from ..audio import destandardize
    from ..checkpoint import load_checkpoint
    from ..config import save_json

    cache = cache if isinstance(cache, data.Cache) else data.load_cache(cache)
    if isinstance(durations, (str, os.PathLike)):
        durations_path = os.path.abspath(os.fspath(durations))
        durations = data.load_durations(durations_path)
    else:
        durations_path = "<in memory>"
    student_ckpt = os.path.abspath(os.fspath(student_ckpt))
    kept = [i for i in cache.items if i["id"] in durations]
    if not kept:
        raise ValueError(f"--durations {durations_path}: no item of cache {cache.path} has durations")
    skipped = len(cache.items) - len(kept)

    mel_dir = os.path.join(out_dir, "mels")
    os.makedirs(mel_dir, exist_ok=True)
    manifest_path = os.path.join(out_dir, "manifest.json")

    def stamp(path):
        p = os.path.join(path, "model.weights.h5") if os.path.isdir(path) else path
        return os.path.getmtime(p) if os.path.exists(p) else None

    manifest = {"student": student_ckpt, "student_mtime": stamp(student_ckpt), "durations": durations_path,
                "durations_mtime": stamp(durations_path) if durations_path != "<in memory>" else None,
                "cache": os.path.abspath(cache.path), "items": [i["id"] for i in kept]}
    done = os.path.exists(manifest_path) and load_json(manifest_path) == json.loads(json.dumps(manifest))
    if not done:
        student, _ = load_checkpoint(student_ckpt, kind="student", audio=cache.audio)
        # Inference mode (BatchNorm running statistics), the given durations expand the encodings.
        predict = tf.function(lambda inputs: student(inputs, training=False)[0], reduce_retracing=True)
        ds = data.student_dataset(cache, {i["id"]: durations[i["id"]] for i in kept}, batch_size, split="all",
                             shuffle=False, with_ids=True, masks=False, num_buckets=8, skip_missing=True)
        from tqdm import tqdm

        bar = tqdm(total=len(kept), desc="student mels", unit="utt", disable=not progress, dynamic_ncols=True)
        try:
            for batch in ds:
                mel = predict({k: batch[k] for k in ("phonemes", "phoneme_lengths", "durations")})
                mel = destandardize(np.asarray(mel, np.float32), cache.audio)
                for b, (item_id, n) in enumerate(zip(batch["id"].numpy(), batch["mel_lengths"].numpy())):
                    data.write_npy(os.path.join(mel_dir, item_id.decode("utf-8") + ".npy"),
                               mel[b, :int(n)].astype("<f4"))
                bar.update(len(batch["id"]))
        finally:
            bar.close()
        save_json(manifest, manifest_path)
    if log and skipped:
        log(f"train-vocoder: {skipped} of {len(cache.items)} items have no durations in {durations_path}; "
            "training on the other " + str(len(kept)))

    return DerivedMelCache(path=out_dir, audio=cache.audio, text=cache.text, items=kept, corpus=cache.corpus,
                           mel_dir=mel_dir, audio_cache=cache)


# ==============================================================================================================
# Callbacks
# ==============================================================================================================

class SampleAudio(keras.callbacks.Callback):
    """At the end of every epoch: vocode one validation item whole, write RUN_DIR/samples/epoch_NNNN.wav
    and a TensorBoard audio summary (chief only), and add `val_mel_l1` (mean |log-mel of the generated
    audio - the input log-mel|) to the epoch's logs (so History and TensorBoard record it)."""

    def __init__(self, mel, audio_cfg, samples_dir, tensorboard_dir, item_id, real_audio=None,
                 source="ground truth"):
        super().__init__()
        self.mel = np.asarray(mel, np.float32)
        self.audio_cfg = audio_cfg
        self.samples_dir = samples_dir
        self.tensorboard_dir = tensorboard_dir
        self.item_id = item_id
        self.real_audio = real_audio
        self.source = source
        self.last_generated = None  # log-mel of the latest generated audio (for `plot`)
        self._writer = self._image_writer = self._generate = None
        self.side_work = SideWork("audio sample")

    def on_epoch_end(self, epoch, logs=None):
        self.side_work.run(self._sample, epoch, logs)

    def _sample(self, epoch, logs):
        from ..audio import log_mel, save_wav

        gen = self.model.melgan.generator
        if self._generate is None:
            self._generate = tf.function(lambda m: gen(m, training=False), reduce_retracing=True)
        audio = np.asarray(self._generate(tf.constant(self.mel[None])))[0]
        generated = log_mel(audio, self.audio_cfg)[: len(self.mel)]
        self.last_generated = generated
        if logs is not None:
            logs["val_mel_l1"] = float(np.mean(np.abs(generated - self.mel)))
        if not is_chief():
            return
        rate = self.audio_cfg.sample_rate
        os.makedirs(self.samples_dir, exist_ok=True)
        save_wav(os.path.join(self.samples_dir, f"epoch_{epoch + 1:04d}_{self.item_id}.wav"), audio, rate)
        if self.tensorboard_dir:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(os.path.join(self.tensorboard_dir, "samples"))
            with self._writer.as_default():
                tf.summary.audio(f"generated/{self.item_id}", audio[None, :, None], rate, step=epoch + 1)
                if self.real_audio is not None:  # once per run, for comparison
                    tf.summary.audio(f"real/{self.item_id}", self.real_audio[None, :, None], rate,
                                     step=epoch + 1)
                    self.real_audio = None
            self._writer.flush()

    def plot(self, epoch: int, directory: str) -> None:
        """plot_fn for common.EpochPlots: the input log-mel over the log-mel of the audio generated from it
        -> PLOTS/mel_epoch_NNNN.png and a TensorBoard image (tensorboard/images)."""
        from ..plots import figure_to_rgb, mel_figure, save_png

        generated = self.last_generated
        if generated is None:
            return
        l1 = float(np.mean(np.abs(generated - self.mel)))
        fig = mel_figure([self.mel, generated], [f"input log-mel ({self.source})",
                                                 f"log-mel of the generated audio (L1 {l1:.3f})"],
                         suptitle=f"{self.item_id}  epoch {epoch}")
        save_png(fig, os.path.join(directory, f"mel_epoch_{epoch:04d}.png"))
        if self.tensorboard_dir:
            if self._image_writer is None:
                self._image_writer = tf.summary.create_file_writer(os.path.join(self.tensorboard_dir,
                                                                                "images"))
            with self._image_writer.as_default():
                tf.summary.image(f"mel/{self.item_id}", figure_to_rgb(fig)[None], step=epoch)
            self._image_writer.flush()


# ==============================================================================================================
# Training driver
# ==============================================================================================================

def train_vocoder(cache_dir: str, run_dir: str, *, config: str | MelGANConfig | None = None,
                  steps_per_epoch: int = 1000, epochs: int = 400, minutes: float | None = None,
                  batch_size: int | None = None, strategy: str = "auto", init: str | None = None,
                  student_ckpt: str | None = None, durations: str | None = None, seed: int | None = None,
                  progress: bool = True, log: Callable[[str], Any] | None = print) -> dict:
    """Train (or resume, or fine-tune) MelGAN; see docs/training.md and `speedyspeech-tf train-vocoder -h`.

    config: preset name, JSON path or MelGANConfig (default: the run directory's own when resuming, else the --init
    checkpoint's architecture, else 'paper').
    batch_size: per replica (default: config.batch_size); the learning rate is not scaled with the replicas
    (the generator/discriminator balance is tuned for the reference's lr 1e-4).
    Returns {"trainer", "history" (list of epoch rows), "resumed", "completed_epochs", "stopped_by_time",
    "checkpoint"}.
    """
    from ..checkpoint import save_checkpoint
    from ..config import check_same

    # ---- validate the arguments before any work ----
    check_run_arguments({"--steps-per-epoch": steps_per_epoch, "--epochs": epochs, "--batch-size": batch_size},
                        minutes, required=("--steps-per-epoch", "--epochs"))
    if (student_ckpt is None) != (durations is None):
        raise ValueError("--student-ckpt and --durations go together (the student is run with the given "
                         "durations); pass both or neither")
    cache = data.load_cache(cache_dir)
    if init is not None and not os.path.exists(init):
        raise FileNotFoundError(f"--init {init}: no such checkpoint directory or .pth file")

    init_cfg = _init_config(init) if init is not None else None
    run = RunDir(run_dir)
    if config is None and init_cfg is None and os.path.exists(run.config_path):
        # Resuming without --config: the run's own configuration (rather than 'paper', which would not match).
        stored = load_json(run.config_path).get("model")
        cfg = from_dict(MelGANConfig, stored) if isinstance(stored, dict) else MelGANConfig()
    elif config is None:
        cfg = init_cfg or MelGANConfig()
    else:
        cfg = resolve_config(config)
        if init_cfg is not None:
            check_same(architecture(cfg), architecture(init_cfg), f"--init {init} (against --config)")
    if batch_size is not None:
        cfg = dataclasses.replace(cfg, batch_size=batch_size)
    if cfg.n_mels != cache.audio.n_mels or cfg.hop_length != cache.audio.hop_length:
        raise ValueError(f"the MelGAN config (n_mels {cfg.n_mels}, hop {cfg.hop_length}) does not fit the cache "
                         f"{cache.path} (n_mels {cache.audio.n_mels}, hop {cache.audio.hop_length})")

    settings = {
        "kind": "melgan",
        "model": to_dict(cfg),
        "audio": to_dict(cache.audio),
        "cache": os.path.abspath(cache.path),
        "mels": "student" if student_ckpt else "ground truth",
        "student_ckpt": os.path.abspath(student_ckpt) if student_ckpt else None,
        "durations": os.path.abspath(durations) if durations else None,
        "init": os.path.abspath(init) if init else None,
        "steps_per_epoch": steps_per_epoch,
        "seed": seed,
        "epochs": epochs,
        "minutes": minutes,
        "strategy": strategy,
        "resume_ignore": ["epochs", "minutes", "strategy", "init"],
    }
    resumed = run.prepare(settings)
    start_epoch = run.completed_epochs()
    if resumed and start_epoch >= epochs:
        if log:
            log(f"train-vocoder: {run.root} has already trained {start_epoch} of {epochs} epochs; nothing to do")
        return {"trainer": None, "history": read_history(run.root), "resumed": True,
                "completed_epochs": start_epoch, "stopped_by_time": False, "checkpoint": run.checkpoint}

    if student_ckpt:
        data_cache = student_mel_cache(cache, student_ckpt, durations, os.path.join(run.root, "student_mels"),
                                       progress=progress, log=log)
    else:
        data_cache = cache

    strat = get_strategy(strategy)
    workers, shard = data_shard(strat)
    replicas = strat.num_replicas_in_sync
    per_worker_batch = cfg.batch_size * max(1, replicas // workers)
    ds = train_dataset(data_cache, per_worker_batch, cfg.segment_length, seed=resume_seed(seed, start_epoch),
                       shard=shard)

    if seed is not None:  # here, so that the initial weights depend on (seed, config) only
        keras.utils.set_random_seed(seed)
    with strat.scope():
        trainer = build_trainer(cfg)
        init_info = None
        if init is not None and not resumed:
            init_info = init_from(trainer, init)
            if log:
                log(f"train-vocoder: initialised generator and discriminator from {init}")

    # Validation sample: the first item of the validation split, whole.
    valid_items = data.split_items(data_cache.items, "valid")
    item = valid_items[0]
    mel = np.load(data_cache.mel_path(item["id"]))
    real = data.load_item(cache, item["id"])["audio"].astype(np.float32) / 32768.0

    def save_fn(directory):
        save_checkpoint(trainer.melgan, directory, "melgan", cfg, audio=cache.audio, text=cache.text,
                        source=f"train-vocoder {os.path.abspath(run.root)}",
                        trained_on=settings["mels"], init=settings["init"],
                        step=int(trainer.g_optimizer.iterations.numpy()))

    sampler = SampleAudio(mel, cache.audio, os.path.join(run.root, "samples"), run.tensorboard, item["id"],
                          real_audio=real, source=settings["mels"])
    callbacks = standard_callbacks(run, steps_per_epoch, save_fn=save_fn, plot_fn=sampler.plot)
    # After the NaN guard; before the plots (which draw what it generated) and History/TensorBoard (which
    # record the val_mel_l1 it adds to the epoch's logs).
    callbacks.insert(1, sampler)
    budget = TimeBudget(minutes) if minutes else None
    if budget:
        callbacks.insert(1, budget)
    keys = ("g_loss", "fm_loss", "d_loss", "d_real", "d_fake")
    callbacks.append(TqdmProgress(epochs, steps_per_epoch, keys=keys, end_keys=keys + ("val_mel_l1",), digits=3,
                                  disable=not progress))

    if log:
        what = "resuming" if resumed else "training"
        log(f"train-vocoder: {what} at epoch {start_epoch + 1}/{epochs}, {steps_per_epoch} steps each, batch "
            f"{cfg.batch_size} x {replicas} replica(s), {settings['mels']} mels, {len(data_cache.items)} items "
            f"({len(data.split_items(data_cache.items, 'train'))} train); run dir {run.root}")
    trainer.fit(ds, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=0)
    completed = run.completed_epochs()
    stopped = bool(budget and budget.stopped)
    if log:
        why = f" (time budget of {minutes:g} min reached)" if stopped else ""
        log(f"train-vocoder: {completed}/{epochs} epochs done{why}; checkpoint {run.checkpoint}")
    return {"trainer": trainer, "history": read_history(run.root), "resumed": resumed,
            "completed_epochs": completed, "stopped_by_time": stopped, "checkpoint": run.checkpoint,
            "init": init_info}


def _init_config(init: str) -> MelGANConfig:
    """The architecture an --init source describes (reads the config only; the weights load later)."""
    from ..checkpoint import is_checkpoint, model_config_from_meta, read_checkpoint_config

    if os.path.isdir(init):
        if not is_checkpoint(init):
            raise FileNotFoundError(f"--init {init}: not a checkpoint directory (no config.json + "
                                    "model.weights.h5)")
        meta = read_checkpoint_config(init)
        if meta["kind"] != "melgan":
            raise ValueError(f"--init {init}: a {meta['kind']} checkpoint, expected a MelGAN one")
        return model_config_from_meta(meta)
    from ..reference.melgan import infer_melgan_config
    from ..reference.pth import load_pth

    try:
        ckpt = load_pth(init)
    except Exception as e:
        raise ValueError(f"--init {init}: not a readable PyTorch checkpoint ({e})") from None
    if not isinstance(ckpt, dict) or "model_g" not in ckpt:
        raise ValueError(f"--init {init}: no 'model_g'; not a MelGAN checkpoint")
    return infer_melgan_config(ckpt["model_g"], init)


__all__ = [
    "MelGANConfig", "METRIC_NAMES", "TRAINING_FIELDS", "PRESETS", "tiny_config", "resolve_config",
    "architecture", "generator_loss_terms", "discriminator_loss_terms", "mean_score", "build_trainer",
    "init_from", "train_dataset", "DerivedMelCache", "student_mel_cache", "train_vocoder", "MelGANTrainer",
    "SampleAudio",
]
