"""Student training (speedyspeech_tf.training.student, speedyspeech_tf.losses).

Losses against the reference's formulas (a numpy port of pytorch_ssim and of losses.py), the learning-rate
schedule's torch semantics, a short real training run on ljspeech_mini with a small config (through the CLI, from
an --init checkpoint), resume + time budget, config mismatches, --init from the converted reference checkpoint,
and a subprocess with two logical CPUs for MirroredStrategy (global-batch losses, clipping, mixed precision).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from speedyspeech_tf import cli, losses as L  # noqa: E402
from speedyspeech_tf.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from speedyspeech_tf.config import (AudioConfig, ConfigMismatchError, StudentConfig, TextConfig,  # noqa: E402
                                    save_json, to_dict)
from speedyspeech_tf.training import student as ts  # noqa: E402
from speedyspeech_tf.training.common import read_history  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Small but real: 16 channels, 2 encoder and 2 decoder residual blocks, 78 symbols, 80 mel bands.
SMALL = StudentConfig(channels=16, encoder_dilations=(1, 2), decoder_dilations=(1, 2), batch_size=4)
MINIMAL = StudentConfig(channels=8, encoder_dilations=(1,), decoder_dilations=(1,), n_mels=12, batch_size=3)


def _numpy_batch(cfg, rng, plen=(9, 5, 7), max_d=4):
    plen = np.asarray(plen, np.int32)
    n = int(plen.max())
    ph = np.zeros([len(plen), n], np.int32)
    dur = np.zeros([len(plen), n], np.int32)
    for b, k in enumerate(plen):
        ph[b, :k] = rng.integers(2, cfg.num_symbols, k)
        dur[b, :k] = rng.integers(0, max_d + 1, k)
        dur[b, 0] = max(dur[b, 0], 1)
    mlen = dur.sum(1).astype(np.int32)
    mel = rng.normal(size=[len(plen), int(mlen.max()), cfg.n_mels]).astype(np.float32)
    return {"phonemes": ph, "phoneme_lengths": plen, "durations": dur, "mel": mel, "mel_lengths": mlen}


# ============================================================================================ losses

def _reference_ssim_map(a, b):
    """pytorch_ssim._ssim (window 11, sigma 1.5, conv2d padding 5, C1 0.01^2, C2 0.03^2), in float64 numpy."""
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2))
    w = np.outer(g / g.sum(), g / g.sum())

    def filt(x):
        xp = np.pad(x, ((0, 0), (5, 5), (5, 5)))
        return np.einsum("bhwij,ij->bhw", np.lib.stride_tricks.sliding_window_view(xp, (11, 11), axis=(1, 2)), w)

    mu1, mu2 = filt(a), filt(b)
    s1, s2, s12 = filt(a * a) - mu1 ** 2, filt(b * b) - mu2 ** 2, filt(a * b) - mu1 * mu2
    return ((2 * mu1 * mu2 + 1e-4) * (2 * s12 + 9e-4)) / ((mu1 ** 2 + mu2 ** 2 + 1e-4) * (s1 + s2 + 9e-4))


def test_losses_match_the_reference_formulas():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(3, 40, 20)).astype(np.float32)
    target = (0.6 * pred + 0.8 * rng.normal(size=pred.shape)).astype(np.float32)
    lengths = np.array([40, 23, 9], np.int32)
    m = (np.arange(40)[None, :] < lengths[:, None]).astype(np.float64)[..., None]
    p64, t64 = pred.astype(np.float64), target.astype(np.float64)

    # SSIM map: reference-exact, including short images (9 frames < the 11-frame window) and zero padding.
    np.testing.assert_allclose(L.ssim_map(pred, target).numpy(), _reference_ssim_map(p64, t64), atol=5e-6)
    # masked_ssim: 1 - mean over the whole padded batch of the SSIM of the masked spectrograms.
    expected_ssim = 1.0 - _reference_ssim_map(p64 * m, t64 * m).mean()
    assert abs(float(L.masked_ssim_loss(pred, target, lengths)) - expected_ssim) < 5e-6
    # tf.image.ssim ("valid" windows, per-image means) would give another value: the reason for our own.
    tf_ssim = 1.0 - float(tf.reduce_mean(tf.image.ssim((pred * m)[..., None].astype(np.float32),
                                                       (target * m)[..., None].astype(np.float32), 1.0)))
    assert abs(tf_ssim - expected_ssim) > 1e-3

    # l1_masked: sum |p*m - t*m| / m.sum() with m over [B, T, C].
    expected_l1 = np.abs(p64 * m - t64 * m).sum() / (m.sum() * 20)
    assert abs(float(L.masked_l1(pred, target, lengths)) - expected_l1) < 1e-5

    # masked_huber on log(max(d, 1)): smooth_l1 (beta 1) summed / number of valid phonemes.
    log_d = rng.normal(1.0, 1.5, size=(3, 12)).astype(np.float32)
    d = rng.integers(0, 12, size=(3, 12))
    plen = np.array([12, 7, 1], np.int32)
    pm = (np.arange(12)[None, :] < plen[:, None]).astype(np.float64)
    x = log_d * pm - np.log(np.maximum(d, 1)) * pm
    ax = np.abs(x)
    expected_h = np.where(ax < 1, 0.5 * ax ** 2, ax - 0.5).sum() / pm.sum()
    assert abs(float(L.masked_huber(log_d, d, plen)) - expected_h) < 1e-5


def test_losses_ignore_padding():
    rng = np.random.default_rng(1)
    pred = rng.normal(size=(2, 30, 16)).astype(np.float32)
    target = rng.normal(size=(2, 30, 16)).astype(np.float32)
    lengths = np.array([30, 17], np.int32)
    changed_p, changed_t = pred.copy(), target.copy()
    changed_p[1, 17:] += 5.0
    changed_t[1, 17:] -= 3.0
    for fn in (L.masked_l1, L.masked_ssim_loss):
        a, b = float(fn(pred, target, lengths)), float(fn(changed_p, changed_t, lengths))
        assert a == pytest.approx(b, abs=1e-6), fn.__name__
    # ... while a change inside the valid frames does change them.
    inside = pred.copy()
    inside[1, 5] += 1.0
    assert float(L.masked_l1(inside, target, lengths)) > float(L.masked_l1(pred, target, lengths))
    log_d = rng.normal(size=(2, 6)).astype(np.float32)
    d = np.array([[3, 4, 5, 6, 7, 8], [2, 2, 2, 0, 0, 0]])
    other = log_d.copy()
    other[1, 3:] = 40.0
    assert float(L.masked_huber(log_d, d, [6, 3])) == pytest.approx(float(L.masked_huber(other, d, [6, 3])))


def _pad_further(batch, symbols, frames):
    """data.student_dataset(pad_multiple=...) on one numpy batch."""
    n, t = batch["phonemes"].shape[1], batch["mel"].shape[1]
    out = dict(batch)
    for key in ("phonemes", "durations"):
        out[key] = np.pad(batch[key], [[0, 0], [0, symbols - n]])
    out["mel"] = np.pad(batch["mel"], [[0, 0], [0, frames - t], [0, 0]], constant_values=-3.0)
    out["batch_frames"] = np.full([len(batch["mel"])], t, np.int32)
    return out


def test_losses_and_gradients_do_not_depend_on_padding_past_the_longest_item():
    """pad_multiple pads batches past their longest item (fixed shapes): with BatchNorm in inference mode, every
    loss term and the gradient equal those of the batch padded to its longest item only, as the reference pads
    (in training mode BatchNorm's batch statistics see the extra zero frames: not compared here)."""
    keras.utils.set_random_seed(3)
    trainer = ts.build_trainer(SMALL)
    batch = _numpy_batch(SMALL, np.random.default_rng(4), plen=(11, 6, 9, 4), max_d=5)
    padded = _pad_further(batch, 16, 64)
    assert padded["mel"].shape[1] == 64 > batch["mel"].shape[1]

    def terms_and_grads(b):
        b = {k: tf.constant(v) for k, v in b.items()}
        with tf.GradientTape() as tape:
            terms = trainer.loss_terms(b, *trainer.forward(b, training=False))
        grads = tape.gradient(terms[0], trainer.student.trainable_variables)
        return [float(v) for v in terms], [g.numpy() for g in grads if g is not None]

    (t0, g0), (t1, g1) = terms_and_grads(batch), terms_and_grads(padded)
    assert t1 == pytest.approx(t0, rel=1e-5, abs=1e-7)
    assert len(g0) == len(g1) and all(np.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(g0, g1))
    # Without the batch's own length, SSIM would average over the padding too (the reference's formula on a
    # longer batch): a different loss, which is why the pipeline sends "batch_frames".
    plain = {k: v for k, v in padded.items() if k != "batch_frames"}
    assert terms_and_grads(plain)[0][2] < 0.9 * t0[2]


def test_bfloat16_mixed_precision_trains_with_float32_weights_and_outputs():
    """--mixed-precision bfloat16 (CPUs with bf16 units): no loss scaling, float32 variables (checkpoints) and
    outputs, and its first losses track float32's."""
    from speedyspeech_tf.training.common import cpu_has_bf16, mixed_precision_mode, set_mixed_precision

    assert mixed_precision_mode(True) == "float16" and mixed_precision_mode(None) is False
    with pytest.raises(ValueError, match="bfloat16"):
        mixed_precision_mode("int8")
    assert isinstance(cpu_has_bf16(), bool)
    batch = {k: tf.constant(v) for k, v in _numpy_batch(SMALL, np.random.default_rng(5)).items()}
    ds = tf.data.Dataset.from_tensors(batch).repeat()
    losses = {}
    for mode in (False, "bfloat16"):
        set_mixed_precision(mode)
        try:
            keras.utils.set_random_seed(6)
            trainer = ts.build_trainer(SMALL, mixed_precision=mode)
            hist = trainer.fit(ds, epochs=1, steps_per_epoch=3, verbose=0).history
        finally:
            set_mixed_precision(False)
        losses[mode] = hist["mel_l1"][-1]
        assert not isinstance(trainer.optimizer, keras.optimizers.LossScaleOptimizer)
        assert all(w.dtype == np.float32 for w in trainer.student.get_weights())
        mel, _ = trainer.forward(batch, training=False)
        assert mel.dtype == tf.float32
    assert keras.mixed_precision.global_policy().name == "float32"
    assert losses["bfloat16"] == pytest.approx(losses[False], rel=0.05)


def test_plateau_schedule_has_torch_semantics_and_survives_a_new_callback():
    PlateauLR = ts.PlateauLR
    trainer = ts.build_trainer(MINIMAL)
    lr = lambda: float(trainer.optimizer.learning_rate.numpy())  # noqa: E731

    cb = PlateauLR(factor=0.5, patience=3)
    cb.set_model(trainer)
    cb.on_train_begin()
    seen = []
    # 0.99995 is not an improvement on 1.0 (relative threshold 1e-4); the 4th epoch without improvement
    # (more than patience 3) halves the rate.
    for epoch, value in enumerate([1.0, 0.99995, 1.0, 1.0]):
        cb.on_epoch_begin(epoch)
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        seen.append(lr())
        assert logs["learning_rate"] == pytest.approx(0.002)  # the rate used during that epoch is logged
    assert seen == pytest.approx([0.002] * 4)
    assert float(trainer.plateau_best.numpy()) == 1.0 and float(trainer.plateau_wait.numpy()) == 3.0
    # A resumed run: a new callback reads best/wait from the model (restored from the backup).
    cb2 = PlateauLR(factor=0.5, patience=3)
    cb2.set_model(trainer)
    cb2.on_train_begin()
    for epoch, value in [(4, 1.0), (5, 0.5), (6, 0.6)]:
        cb2.on_epoch_begin(epoch)
        cb2.on_epoch_end(epoch, {"val_loss": value})
        seen.append(lr())
    assert seen == pytest.approx([0.002] * 4 + [0.001, 0.001, 0.001])
    assert float(trainer.plateau_best.numpy()) == 0.5


def test_clipping_on_one_device_matches_torch_and_handles_overflow():
    g = [tf.constant([3.0, 4.0]), tf.constant([[12.0]])]  # norm 13
    clipped, norm = ts.clip_by_global_norm_across_replicas(g, 1.0)
    assert float(norm) == pytest.approx(13.0)
    np.testing.assert_allclose(clipped[0].numpy(), [3 / (13 + 1e-6), 4 / (13 + 1e-6)], rtol=1e-6)
    # Under a loss scale the norm is the unscaled one; small gradients are left alone.
    clipped, norm = ts.clip_by_global_norm_across_replicas(g, 20.0, loss_scale=2.0)
    assert float(norm) == pytest.approx(6.5) and np.array_equal(clipped[1].numpy(), [[12.0]])
    bad = [tf.constant([np.inf, 1.0]), tf.constant([[1.0]])]
    nan_grads, norm = ts.clip_by_global_norm_across_replicas(bad, 1.0, nonfinite="nan")
    assert not np.isfinite(float(norm)) and all(np.isnan(x.numpy()).all() for x in nan_grads)
    zero_grads, _ = ts.clip_by_global_norm_across_replicas(bad, 1.0, nonfinite="zero")
    assert all(np.array_equal(x.numpy(), np.zeros_like(x.numpy())) for x in zero_grads)


# ======================================================================================= training runs

@pytest.fixture(scope="module")
def init_ckpt(tmp_path_factory):
    """A SMALL student checkpoint with a random, non-zero padding row in its embedding (a row training never
    changes, so it shows where a run's weights came from)."""
    import keras

    keras.utils.set_random_seed(123)
    model = ts.make_student(SMALL)
    emb = model.encoder.embedding.embeddings
    row0 = np.random.default_rng(7).normal(size=emb.shape[1]).astype(np.float32)
    emb.assign(tf.tensor_scatter_nd_update(emb, [[0]], row0[None]))
    path = tmp_path_factory.mktemp("init") / "ckpt"
    save_checkpoint(model, path, "student", SMALL)
    return path, row0


@pytest.fixture(scope="module")
def runs(mini_cache, durations_file, init_ckpt, tmp_path_factory):
    """Run A: `speedyspeech-tf train-student` (2 epochs of 10 steps, --init). Run B: the same RUN_DIR again with
    --epochs 4 and a time budget that stops it after one more epoch."""
    base = tmp_path_factory.mktemp("student_run")
    run_dir = base / "run"
    config_path = base / "small.json"
    save_json(SMALL, config_path)
    argv = ["train-student", str(mini_cache), str(durations_file), str(run_dir), "--config", str(config_path),
            "--init", str(init_ckpt[0]), "--epochs", "2", "--steps-per-epoch", "10", "--batch-size", "4",
            "--seed", "0", "--no-progress"]
    assert cli.main(argv) == 0
    history_a = read_history(run_dir)
    step_a = json.load(open(run_dir / "checkpoint" / "config.json"))["step"]
    result_b = ts.train_student(mini_cache, durations_file, run_dir, config=str(config_path), epochs=4,
                                steps_per_epoch=10, batch_size=4, seed=0, minutes=0.01, progress=False, log=None)
    return {"run_dir": run_dir, "config_path": config_path, "history_a": history_a, "step_a": step_a,
            "b": result_b, "argv": argv}


def test_training_lowers_the_losses_and_writes_its_outputs(runs):
    rows = read_history(runs["run_dir"])
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    first, last = rows[0], rows[-1]
    # Epoch means over 10 steps each: the first 10 steps against the last 10.
    assert last["loss"] < 0.75 * first["loss"], (first, last)
    assert last["mel_l1"] < first["mel_l1"]
    assert last["duration_huber"] < 0.5 * first["duration_huber"], (first, last)
    assert last["val_loss"] < first["val_loss"]
    assert all(np.isfinite(r[k]) for r in rows for k in ("loss", "val_loss", "grad_norm", "learning_rate"))

    run = runs["run_dir"]
    for e in (1, 2, 3):
        assert (run / "plots" / f"mel_epoch_{e:04d}.png").stat().st_size > 1000
    assert any((run / "tensorboard" / "images").iterdir()) and any((run / "tensorboard" / "train").iterdir())
    model, meta = load_checkpoint(run / "checkpoint", kind="student", model_config=SMALL)
    assert meta["step"] == 21 and meta["kind"] == "student"  # run b: the time budget ended epoch 3 after 1 step


def test_resume_continues_and_the_time_budget_stops_inside_the_epoch(runs):
    b = runs["b"]
    assert runs["step_a"] == 20 and [r["epoch"] for r in runs["history_a"]] == [1, 2]
    assert b["resumed"] and b["stopped_by_time"] and b["completed_epochs"] == 3  # asked for 4
    # The optimizer state came back from the backup (20 steps); the 0.6 s budget was used up by the first step
    # of epoch 3 (tracing alone takes longer), which training.common.TimeBudget ends there: 20 + 1 steps, and
    # the shortened epoch is saved like any other.
    assert int(b["trainer"].optimizer.iterations.numpy()) == 21
    # The weights too: the resumed epoch continues from epoch 2's level instead of starting over.
    rows = read_history(runs["run_dir"])
    assert rows[2]["loss"] < rows[1]["loss"] < rows[0]["loss"]
    # Nothing left to do at 3 of 3 epochs.
    again = ts.train_student(runs["argv"][1], runs["argv"][2], runs["run_dir"], config=str(runs["config_path"]),
                             epochs=3, steps_per_epoch=10, batch_size=4, seed=0, progress=False, log=None)
    assert again["completed_epochs"] == 3 and again["trainer"] is None


def test_init_starts_from_the_given_weights(runs, init_ckpt):
    _, row0 = init_ckpt
    model, meta = load_checkpoint(runs["run_dir"] / "checkpoint", kind="student")
    emb = model.encoder.embedding.embeddings.numpy()
    # The padding row never trains: it is still the --init checkpoint's (a fresh student has zeros there).
    np.testing.assert_array_equal(emb[0], row0)
    assert meta["init"] == os.path.abspath(init_ckpt[0])


def test_other_configurations_are_refused_naming_the_difference(runs, init_ckpt, mini_cache, durations_file,
                                                                capsys, tmp_path):
    other = StudentConfig(**{**to_dict(SMALL), "channels": 8})
    other_path = tmp_path / "other.json"
    save_json(other, other_path)
    # Rerunning a run directory with another config: exit 2, one line naming the field.
    argv = list(runs["argv"])
    argv[argv.index("--config") + 1] = str(other_path)
    capsys.readouterr()
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "channels" in err and "16" in err and "8" in err
    # --init from a checkpoint of another architecture (checked before any training).
    with pytest.raises(ConfigMismatchError, match="channels"):
        ts.train_student(mini_cache, durations_file, tmp_path / "run2", config=other, init=str(init_ckpt[0]),
                         epochs=1, progress=False, log=None)
    assert not (tmp_path / "run2" / "backup").exists()
    # Loading the trained checkpoint as another config.
    with pytest.raises(ConfigMismatchError, match="channels: 8 != 16"):
        load_checkpoint(runs["run_dir"] / "checkpoint", kind="student", model_config=other)
    # A missing durations file: exit 2 naming it.
    assert cli.main(["train-student", str(mini_cache), str(tmp_path / "nope.npz"), str(tmp_path / "r3")]) == 2
    assert "nope.npz" in capsys.readouterr().err
    # Durations that do not fit an item: exit 2 naming the file and the item, before the run directory is made.
    from speedyspeech_tf.data import load_durations, save_durations

    bad = load_durations(durations_file)
    item = sorted(bad)[3]
    bad[item] = bad[item] + np.eye(1, len(bad[item]), dtype=np.int32)[0]
    save_durations(tmp_path / "bad.npz", bad)
    assert cli.main(["train-student", str(mini_cache), str(tmp_path / "bad.npz"), str(tmp_path / "r4")]) == 2
    err = capsys.readouterr().err
    assert "bad.npz" in err and item in err and "sum to" in err
    assert not (tmp_path / "r4" / "train_config.json").exists()


def test_init_from_the_converted_reference_checkpoint(reference_dir, tmp_path, runs):
    pth = reference_dir / "student_seed0.pth"
    converted = tmp_path / "reference_student"
    assert cli.main(["convert-reference", str(pth), str(converted)]) == 0
    expected = load_checkpoint(converted, kind="student")[0].get_weights()

    trainer = ts.build_trainer(StudentConfig())
    assert not np.allclose(trainer.student.get_weights()[1], expected[1])
    info = ts.init_from(trainer, str(converted), audio=AudioConfig(), text=TextConfig())
    assert info["kind"] == "checkpoint"
    for got, want in zip(trainer.student.get_weights(), expected):
        np.testing.assert_array_equal(got, want)
    # The .pth itself works too.
    trainer.student.set_weights([np.zeros_like(w) for w in expected])
    assert ts.init_from(trainer, str(pth))["kind"] == "pth"
    for got, want in zip(trainer.student.get_weights(), expected):
        np.testing.assert_array_equal(got, want)
    # The small run's checkpoint does not fit the paper architecture.
    with pytest.raises(ConfigMismatchError, match="channels"):
        ts.init_from(trainer, str(runs["run_dir"] / "checkpoint"))
    # Audio settings other than the checkpoint's are refused.
    with pytest.raises(ConfigMismatchError, match="mel_mean"):
        ts.init_from(trainer, str(converted), audio=AudioConfig(mel_mean=-4.0))


# ================================================================================== MirroredStrategy

_MIRRORED_SCRIPT = r"""
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
args = json.loads(os.environ["STUDENT_TEST_ARGS"])
from speedyspeech_tf.config import StudentConfig, from_dict
from speedyspeech_tf.training.common import set_mixed_precision
from speedyspeech_tf.training.student import build_trainer, clip_by_global_norm_across_replicas

cfg = from_dict(StudentConfig, args["cfg"])
batch = {k: np.asarray(v) for k, v in args["batch"].items()}
batch = {k: tf.constant(v, tf.float32 if k == "mel" else tf.int32) for k, v in batch.items()}
ds = lambda: tf.data.Dataset.from_tensors(batch)
out = {}
keras.utils.set_random_seed(1)
single = build_trainer(cfg)
weights = single.get_weights()
# Single device, eagerly (no tracing): the losses of the whole batch.
values = single.loss_terms(batch, *single.forward(batch, training=False))
out["single"] = dict(zip(["loss", "mel_l1", "mel_ssim", "duration_huber"], [float(v) for v in values]))
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
out["replicas"] = strategy.num_replicas_in_sync
with strategy.scope():
    mirrored = build_trainer(cfg)
mirrored.set_weights(weights)
out["mirrored"] = mirrored.evaluate(ds(), verbose=0, return_dict=True)

def step():
    r = tf.distribute.get_replica_context().replica_id_in_sync_group
    g = tf.cast(tf.stack([r + 1, 2 * (r + 1)]), tf.float32) * 3.0
    clipped, norm = clip_by_global_norm_across_replicas([g], 1.0)
    return clipped[0], norm
per_replica, norms = tf.function(lambda: strategy.run(step))()
out["clip_sum"] = strategy.reduce("SUM", per_replica, axis=None).numpy().tolist()
out["clip_norms"] = [float(n) for n in strategy.experimental_local_results(norms)]

set_mixed_precision(True)
with strategy.scope():
    mp = build_trainer(cfg, mixed_precision=True)
mp.set_weights(weights)
before = [w.copy() for w in mp.student.get_weights()]
hist = mp.fit(ds().repeat(), epochs=1, steps_per_epoch=2, verbose=0).history
out["mp"] = {"loss": hist["loss"][-1], "optimizer": type(mp.optimizer).__name__,
             "mel_dtype": mp.student.decoder(tf.zeros([1, 30, cfg.channels], tf.float16)).dtype.name,
             "changed": any(not np.array_equal(a, b) for a, b in zip(before, mp.student.get_weights())),
             "weights_float32": all(w.dtype == np.float32 for w in mp.student.get_weights())}
print("RESULT " + json.dumps(out))
"""


def test_mirrored_strategy_global_batch_losses_clipping_and_mixed_precision():
    """Two logical CPUs: a batch of 3 items split 2 + 1 (the second replica without the longest item) gives the
    single-device losses; clipping uses the norm of the summed gradient; mixed precision trains."""
    batch = _numpy_batch(MINIMAL, np.random.default_rng(0))
    args = {"cfg": to_dict(MINIMAL), "batch": {k: v.tolist() for k, v in batch.items()}}
    env = dict(os.environ, STUDENT_TEST_ARGS=json.dumps(args), PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", _MIRRORED_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=300)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["replicas"] == 2
    for key in ts.METRIC_NAMES:
        assert out["mirrored"][key] == pytest.approx(out["single"][key], rel=1e-5, abs=1e-6), key
    # Per-replica [3, 6] and [6, 12] sum to [9, 18] (norm 20.12): every replica scales by 1 / 20.12.
    assert out["clip_norms"] == pytest.approx([np.hypot(9, 18)] * 2, rel=1e-6)
    assert out["clip_sum"] == pytest.approx([9 / np.hypot(9, 18), 18 / np.hypot(9, 18)], rel=1e-5)
    mp = out["mp"]
    assert mp["optimizer"] == "LossScaleOptimizer" and mp["mel_dtype"] == "float32"
    assert np.isfinite(mp["loss"]) and mp["changed"] and mp["weights_float32"]
