"""MelGAN training (training/vocoder.py): reference loss formulas, a short GAN run on real speech that learns,
backups that carry both optimizers, resume, fine-tuning from the authors' checkpoint, training on student mels,
and the command's errors.

Runtime about 60 s on 2 CPU cores (most of it tracing the training step, ~8 s per train_vocoder call).
"""
from __future__ import annotations

import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from speedyspeech_tf import cli  # noqa: E402
from speedyspeech_tf.audio import destandardize, log_mel  # noqa: E402
from speedyspeech_tf.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from speedyspeech_tf.config import ConfigMismatchError, StudentConfig  # noqa: E402
from speedyspeech_tf.data import load_cache, load_item, save_durations, split_items, vocoder_dataset  # noqa: E402
from speedyspeech_tf.training.vocoder import (build_trainer, discriminator_loss_terms,  # noqa: E402
                                              generator_loss_terms, init_from, mean_score, student_mel_cache,
                                              tiny_config, train_vocoder)

TINY = tiny_config()
STEPS = 25


def _quiet(**kwargs):
    return dict(progress=False, log=None, **kwargs)


# ------------------------------------------------------------------------------------------------ loss formulas

def test_loss_terms_are_the_reference_formulas():
    """seungwonpark/melgan: loss_g = sum_scales mean_b sum_t (s_fake - 1)^2 + 10 * mean |f_fake - f_real|;
    loss_d = sum_scales mean_b sum_t (s_real - 1)^2 + mean_b sum_t s_fake^2 (per-example terms here, averaged)."""
    rng = np.random.default_rng(0)
    B = 3

    def disc_out():
        return [([rng.normal(size=(B, L, C)).astype(np.float32) for L, C in ((40, 4), (10, 8), (3, 16))],
                 rng.normal(size=(B, 3, 1)).astype(np.float32)) for _ in range(3)]

    fake, real = disc_out(), disc_out()
    adv, fm = generator_loss_terms(tf.nest.map_structure(tf.constant, fake), tf.nest.map_structure(tf.constant, real))
    d_real, d_fake = discriminator_loss_terms(tf.nest.map_structure(tf.constant, fake),
                                              tf.nest.map_structure(tf.constant, real))
    ref_g = ref_d = 0.0
    for (ff, sf), (fr, sr) in zip(fake, real):
        ref_g += np.mean(np.sum((sf - 1.0) ** 2, axis=(1, 2)))
        ref_g += 10.0 * sum(np.mean(np.abs(a - b)) for a, b in zip(ff, fr))
        ref_d += np.mean(np.sum((sr - 1.0) ** 2, axis=(1, 2))) + np.mean(np.sum(sf ** 2, axis=(1, 2)))
    assert adv.shape == fm.shape == d_real.shape == (B,)
    np.testing.assert_allclose(np.mean(adv + 10.0 * fm), ref_g, rtol=1e-5)
    np.testing.assert_allclose(np.mean(d_real + d_fake), ref_d, rtol=1e-5)
    np.testing.assert_allclose(mean_score(tf.nest.map_structure(tf.constant, real)),
                               np.mean([s.reshape(B, -1).mean(1) for _, s in real], axis=0), rtol=1e-5)


# --------------------------------------------------------------------------------------- a short run that learns

@pytest.fixture(scope="module")
def trained(mini_cache, tmp_path_factory):
    """2 epochs, then the same command resumed to 3 (25 steps each) with the tiny configuration."""
    run = tmp_path_factory.mktemp("vocoder") / "run"
    first = train_vocoder(str(mini_cache), str(run), config=TINY, steps_per_epoch=STEPS, epochs=2, seed=0,
                          **_quiet())
    # The first run's final state and its backup (compared below with a fresh model loading that backup).
    first_state = {"weights": [np.array(v) for v in first["trainer"].melgan.weights],
                   "g_opt": [np.array(v) for v in first["trainer"].g_optimizer.variables],
                   "d_opt": [np.array(v) for v in first["trainer"].d_optimizer.variables],
                   "backup": str(run.parent / "backup_after_first_run.weights.h5")}
    shutil.copyfile(run / "backup" / "latest.weights.h5", first_state["backup"])
    second = train_vocoder(str(mini_cache), str(run), config=TINY, steps_per_epoch=STEPS, epochs=3, seed=0,
                           **_quiet())
    return run, first, first_state, second


def _eval_batches(cache, cfg):
    ds = vocoder_dataset(cache, 8, cfg.segment_length, split="all", seed=5, deterministic=True, masks=False)
    return list(ds.take(2))


def _evaluate(generator, discriminator, batches):
    fm, real, fake = [], [], []
    for b in batches:
        fake_out = discriminator(generator(b["mel"], training=False))
        real_out = discriminator(b["audio"])
        fm.append(np.mean(generator_loss_terms(fake_out, real_out)[1]))
        real.append(np.mean(mean_score(real_out)))
        fake.append(np.mean(mean_score(fake_out)))
    return float(np.mean(fm)), float(np.mean(real)), float(np.mean(fake))


def test_gan_training_learns(trained, mini_cache):
    run, first, _, second = trained
    trainer = second["trainer"]
    keras.utils.set_random_seed(0)
    initial = build_trainer(TINY)  # the run's initial weights (seed 0)
    batches = _eval_batches(mini_cache, TINY)

    fm_final, real, fake = _evaluate(trainer.generator, trainer.discriminator, batches)
    fm_initial, _, _ = _evaluate(initial.generator, trainer.discriminator, batches)
    # The discriminator separates real from generated audio (LSGAN targets: 1 real, 0 fake) ...
    assert real > fake + 0.1, (real, fake)
    # ... and the generator lowered its feature-matching loss: against the trained discriminator and against
    # the untrained one (whose features it never saw during training).
    assert fm_final < 0.97 * fm_initial, (fm_final, fm_initial)
    fm_final0, _, _ = _evaluate(trainer.generator, initial.discriminator, batches)
    fm_initial0, _, _ = _evaluate(initial.generator, initial.discriminator, batches)
    assert fm_final0 < 0.97 * fm_initial0, (fm_final0, fm_initial0)

    # The validation sample's log-mel came closer to its input than the untrained generator's.
    cache = load_cache(mini_cache)
    item = split_items(cache.items, "valid")[0]
    mel = np.load(cache.mel_path(item["id"]))
    audio0 = np.asarray(initial.generator(mel[None], training=False))[0]
    l1_initial = float(np.mean(np.abs(log_mel(audio0, cache.audio)[: len(mel)] - mel)))
    history = second["history"]
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert all(np.isfinite(row[k]) for row in history for k in ("g_loss", "d_loss", "fm_loss", "val_mel_l1"))
    assert history[-1]["val_mel_l1"] < 0.8 * l1_initial, (history, l1_initial)


def test_outputs_backup_and_resume(trained, mini_cache):
    run, first, first_state, second = trained
    assert not first["resumed"] and second["resumed"]
    assert first["completed_epochs"] == 2 and second["completed_epochs"] == 3
    # The resumed run restored both optimizers (their step counters continued from the backup) ...
    assert int(second["trainer"].g_optimizer.iterations.numpy()) == 3 * STEPS
    assert int(second["trainer"].d_optimizer.iterations.numpy()) == 3 * TINY.discriminator_steps * STEPS

    # ... because the backup holds the weights and both optimizers' states: a fresh model that loads it equals
    # the first run's model at its end, variable for variable.
    fresh = build_trainer(TINY)
    fresh.load_weights(first_state["backup"])
    for name, variables in (("weights", fresh.melgan.weights), ("g_opt", fresh.g_optimizer.variables),
                            ("d_opt", fresh.d_optimizer.variables)):
        assert len(variables) == len(first_state[name])
        for v, expected in zip(variables, first_state[name]):
            np.testing.assert_array_equal(np.array(v), expected, err_msg=f"{name}: {v.path}")
    assert any(np.abs(s).max() > 0 for s in first_state["d_opt"][2:])  # Adam moments really are there

    # Our checkpoint (every epoch) loads as a MelGAN and is the trained model.
    model, meta = load_checkpoint(os.path.join(run, "checkpoint"), kind="melgan", model_config=TINY)
    assert meta["trained_on"] == "ground truth" and meta["step"] == 3 * STEPS
    mel = tf.random.normal([1, 20, 80], -6.0, 2.0, seed=1)
    np.testing.assert_array_equal(np.asarray(model.generator(mel)),
                                  np.asarray(second["trainer"].generator(mel)))
    samples = sorted(os.listdir(os.path.join(run, "samples")))
    assert len(samples) == 3 and all(s.endswith(".wav") for s in samples)
    assert len([p for p in os.listdir(os.path.join(run, "plots")) if p.endswith(".png")]) == 3
    assert os.listdir(os.path.join(run, "tensorboard", "samples"))

    # Nothing left to do: a rerun asking for the same epochs trains nothing; another config is refused.
    again = train_vocoder(str(mini_cache), str(run), config=TINY, steps_per_epoch=STEPS, epochs=3, seed=0,
                          **_quiet())
    assert again["trainer"] is None and again["completed_epochs"] == 3
    with pytest.raises(ConfigMismatchError, match="segment_length"):
        train_vocoder(str(mini_cache), str(run), config=tiny_config(segment_length=4096), steps_per_epoch=STEPS,
                      epochs=4, seed=0, **_quiet())


# ------------------------------------------------------------------------------------------ fine-tuning (--init)

def test_init_from_reference_pth_gives_the_imported_model(reference_dir):
    from speedyspeech_tf.reference.melgan import import_melgan

    pth = reference_dir / "melgan_seed0.pth"
    imported, cfg = import_melgan(pth)
    trainer = build_trainer(cfg)
    info = init_from(trainer, str(pth))
    assert info["kind"] == "pth"
    with np.load(reference_dir / "melgan_seed0.npz") as data:
        mel = data["mel"].transpose(0, 2, 1)
        expected_audio = data["audio"][:, 0]
        disc_input = data["disc_input"].transpose(0, 2, 1)
    out = np.asarray(trainer.generator(mel, training=False))
    np.testing.assert_array_equal(out, np.asarray(imported.generator(mel, training=False)))
    np.testing.assert_allclose(out, expected_audio, atol=1e-4)  # and so the authors' model
    # The discriminator comes along (the .pth holds it): the same scores as the imported one.
    for (_, a), (_, b) in zip(trainer.discriminator(disc_input), imported.discriminator(disc_input)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_init_refuses_another_architecture(reference_dir, mini_cache, tmp_path):
    with pytest.raises(ConfigMismatchError, match="generator_channels"):
        train_vocoder(str(mini_cache), str(tmp_path / "run"), config="tiny",
                      init=str(reference_dir / "melgan_seed0.pth"), steps_per_epoch=1, epochs=1, **_quiet())


# --------------------------------------------------------------------------------------------- student mels

def test_train_on_student_mels_from_our_checkpoint(trained, mini_cache, tmp_path):
    from speedyspeech_tf.models.student import build_student

    run, _, _, second = trained
    cache = load_cache(mini_cache)
    scfg = StudentConfig(channels=8, encoder_dilations=(1, 2), decoder_dilations=(1, 2))
    student = build_student(scfg)
    student_dir = tmp_path / "student"
    save_checkpoint(student, student_dir, "student", scfg, audio=cache.audio, text=cache.text)
    durations = {}
    for item in cache.items[:-1]:  # the last item has none: it is left out
        n = len(item["phonemes"])
        d = np.full(n, item["frames"] // n)
        d[: item["frames"] - d.sum()] += 1
        durations[item["id"]] = d
    durations_path = tmp_path / "durations.npz"
    save_durations(durations_path, durations)

    # init_from our checkpoint directory: the generator starts as the checkpoint's.
    fresh = build_trainer(TINY)
    assert init_from(fresh, os.path.join(run, "checkpoint"))["kind"] == "checkpoint"
    mel = tf.random.normal([1, 12, 80], -6.0, 2.0, seed=2)
    np.testing.assert_array_equal(np.asarray(fresh.generator(mel)), np.asarray(second["trainer"].generator(mel)))

    result = train_vocoder(str(mini_cache), str(tmp_path / "run"), config=TINY, steps_per_epoch=2, epochs=1,
                           seed=1, init=os.path.join(run, "checkpoint"), student_ckpt=str(student_dir),
                           durations=str(durations_path), **_quiet())
    assert result["completed_epochs"] == 1 and result["init"]["kind"] == "checkpoint"
    _, meta = load_checkpoint(tmp_path / "run" / "checkpoint", kind="melgan")
    assert meta["trained_on"] == "student"

    # The predicted mels: one per item with durations, the item's frame count, the student's output
    # (teacher-forced, standardisation undone).
    mel_dir = tmp_path / "run" / "student_mels" / "mels"
    assert sorted(os.listdir(mel_dir)) == sorted(i + ".npy" for i in durations)
    item = cache.items[3]
    predicted = np.load(mel_dir / (item["id"] + ".npy"))
    assert predicted.shape == (item["frames"], 80)
    raw = load_item(cache, item["id"])
    out, _ = student({"phonemes": raw["phonemes"][None], "phoneme_lengths": np.array([len(raw["phonemes"])]),
                      "durations": durations[item["id"]][None]}, training=False)
    np.testing.assert_allclose(predicted, destandardize(np.asarray(out)[0], cache.audio), atol=1e-5)
    # Reused, not recomputed, when asked again with the same student and durations.
    stamp = os.path.getmtime(mel_dir / (item["id"] + ".npy"))
    derived = student_mel_cache(cache, str(student_dir), str(durations_path), str(tmp_path / "run" / "student_mels"),
                                progress=False, log=None)
    assert os.path.getmtime(mel_dir / (item["id"] + ".npy")) == stamp
    assert len(derived.items) == len(cache.items) - 1
    assert derived.audio_path(item["id"]) == cache.audio_path(item["id"])


# ------------------------------------------------------------------------------------------------ command line

@pytest.mark.parametrize("extra, message", [
    (["--student-ckpt", "somewhere"], "--student-ckpt and --durations go together"),
    (["--steps-per-epoch", "0"], "--steps-per-epoch must be a positive integer"),
    (["--config", "no_such.json"], "no_such.json"),
    (["--init", "no_such_dir"], "--init no_such_dir"),
])
def test_command_errors(mini_cache, tmp_path, capsys, extra, message):
    code = cli.main(["train-vocoder", str(mini_cache), str(tmp_path / "run"), "--no-progress", *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_command_refuses_a_folder_that_is_not_a_cache(tmp_path, capsys):
    assert cli.main(["train-vocoder", str(tmp_path), str(tmp_path / "run")]) == 2
    assert "not a preprocessed cache" in capsys.readouterr().err
