"""Teacher training (speedyspeech_tf.training.teacher) and duration extraction with a tiny teacher on the
ljspeech_mini cache: losses, schedule, augmentation, a short model.fit run that lowers the loss, resuming,
the NaN guard, mixed precision, MirroredStrategy against one device, and extract-durations."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from speedyspeech_tf.training.teacher import (build_trainer, frame_dropout, guided_attention_loss,  # noqa: E402
                                              masked_l1_sums, noam_scale, tiny_config, train_teacher)

# Tinier than tiny (fast to trace), one feed-back pass, and a higher learning rate without warm-up so that a
# few dozen steps show learning.
CFG = tiny_config(learning_rate=0.01, warmup_epochs=0, batch_size=4, text_encoder_dilations=(1, 3),
                  audio_encoder_dilations=(1, 3, 9), decoder_dilations=(1, 3), feed_repeat=1)
STEPS = 4


def _synthetic_batch(seed=0, B=3, T=30, N=7, n_mels=80):
    rng = np.random.default_rng(seed)
    plen = np.array([N, N - 2, 3, 5][:B], np.int32)
    mlen = np.array([T, T - 8, 12, 20][:B], np.int32)
    ph = np.zeros((B, N), np.int32)
    for b in range(B):
        ph[b, :plen[b]] = rng.integers(2, 70, plen[b])
    mel = rng.uniform(size=(B, T, n_mels)).astype(np.float32)
    return {"phonemes": tf.constant(ph), "phoneme_lengths": tf.constant(plen), "mel": tf.constant(mel),
            "mel_lengths": tf.constant(mlen)}


# ---------------------------------------------------------------------------------------------- pieces

def test_schedule_is_the_references_noam_per_data_epoch():
    from speedyspeech_tf.training.teacher import NoamSchedule

    s = NoamSchedule(0.002, 30, 0.25, steps_per_epoch=10)
    for step in (0, 9, 10, 155, 299, 300, 309, 310, 1200, 5000):
        assert float(s(step)) == pytest.approx(0.002 * noam_scale(step // 10, 30, 0.25), rel=1e-6)
    assert float(s(0)) == pytest.approx(0.0005)     # warm-up starts at 0.25 x lr
    assert float(s(300)) == pytest.approx(0.002)    # peak at data epoch 30
    assert float(s(1200)) == pytest.approx(0.001)   # sqrt(30 / 120) = 0.5
    s0 = NoamSchedule(0.01, 0, 0.25, steps_per_epoch=4)
    assert float(s0(3)) == pytest.approx(0.01) and float(s0(16)) == pytest.approx(0.005)


def test_losses_match_the_reference_formulas():
    rng = np.random.default_rng(1)
    B, T, N, sigma = 3, 11, 6, 0.3
    w = rng.uniform(size=(B, T, N)).astype(np.float32)
    tl, nl = np.array([11, 7, 4]), np.array([6, 2, 5])
    got = guided_attention_loss(tf.constant(w), tf.constant(tl), tf.constant(nl), sigma).numpy()
    for b in range(B):  # code/losses.py GuidedAttentionLoss, per item
        y, x = np.mgrid[0:T, 0:N].astype(np.float64)
        pen = 1 - np.exp(-((y / tl[b] - x / nl[b]) ** 2) / (2 * sigma ** 2))
        pen[(y >= tl[b]) | (x >= nl[b])] = 0
        assert got[b] == pytest.approx((pen * w[b]).sum() / (tl[b] * nl[b]), rel=1e-5)
    pred, target = rng.uniform(size=(B, T, 4)), rng.uniform(size=(B, T, 4))
    total, count = masked_l1_sums(tf.constant(pred), tf.constant(target), tf.constant(tl))
    mask = (np.arange(T)[None, :] < tl[:, None])[..., None]
    assert float(total) == pytest.approx(float((np.abs(pred - target) * mask).sum()), rel=1e-5)
    assert float(count) == tl.sum() * 4


def test_frame_dropout_zeroes_int_ratio_T_distinct_frames_per_item():
    x = tf.ones([5, 25, 3])
    y = frame_dropout(x, 0.1).numpy()
    zero_frames = (y == 0).all(axis=2).sum(axis=1)
    np.testing.assert_array_equal(zero_frames, [2] * 5)  # int(25 * 0.1)
    assert np.all((y == 0) | (y == 1))
    assert frame_dropout(x, 0.0) is x


@pytest.mark.parametrize("mode", [True, "bfloat16"])
def test_mixed_precision_keeps_outputs_float32_and_trains(mode):
    import keras

    tr = build_trainer(CFG, mixed_precision=mode)
    assert keras.mixed_precision.global_policy().name == "float32"  # restored
    assert tr.teacher.audio_encoder.conv_in.compute_dtype == ("float16" if mode is True else "bfloat16")
    assert tr.teacher.audio_decoder.conv_out.compute_dtype == "float32"
    # loss scaling for float16 only: bfloat16 has float32's exponent range
    assert isinstance(tr.optimizer, keras.optimizers.LossScaleOptimizer) == (mode is True)
    batch = _synthetic_batch()
    decoded, weights = tr.teacher(batch, training=False)
    assert decoded.dtype == tf.float32 and weights.dtype == tf.float32
    before = [v.numpy().copy() for v in tr.teacher.trainable_variables]
    logs = tr.train_step(batch)
    assert np.isfinite(float(logs["loss"]))
    changed = [np.abs(v.numpy() - b).max() for v, b in zip(tr.teacher.trainable_variables, before)]
    assert max(changed) > 0


def test_augmentation_degrades_inputs_but_keeps_shapes():
    tr = build_trainer(tiny_config(input_noise=0.0, replace_ratio=0.0, feed_ratio=0.5, feed_repeat=1))
    batch = _synthetic_batch(B=3)
    mel = batch["mel"]
    out = tr.augment(batch["phonemes"], batch["phoneme_lengths"], mel).numpy()
    assert out.shape == mel.shape
    changed = [not np.allclose(out[b], mel.numpy()[b]) for b in range(3)]
    assert sum(changed) == 1  # int(0.5 * 3) items replaced by the model's output
    single = tr.augment(batch["phonemes"][:1], batch["phoneme_lengths"][:1], mel[:1]).numpy()
    np.testing.assert_array_equal(single, mel.numpy()[:1])  # int(0.5 * 1) = 0: unchanged, no crash


def test_time_budget_stops_at_the_epoch_boundary_before_it_would_be_exceeded(monkeypatch):
    import keras

    from speedyspeech_tf.training import common

    clock = iter([0.0, 0.0, 20.0, 20.0, 45.0])  # train begin; epoch 1 begin/end; epoch 2 begin/end (seconds)
    monkeypatch.setattr(common.time, "monotonic", lambda: next(clock))  # the clock of the shared TimeBudget
    budget = common.TimeBudget(1.0)
    model = keras.Model()
    model.stop_training = False  # model.fit sets it before the callbacks run
    budget.set_model(model)
    budget.on_train_begin()
    budget.on_epoch_begin(0)
    budget.on_epoch_end(0)       # 20 s done, another 20 s epoch ends at 40 s < 60 s: go on
    assert not model.stop_training and budget.stopped_after_epoch is None
    budget.on_epoch_begin(1)
    budget.on_epoch_end(1)       # 45 s done, another 25 s epoch would end at 70 s > 60 s: stop now
    assert model.stop_training and budget.stopped_after_epoch == 2


# ------------------------------------------------------------------------------------------ training runs

@pytest.fixture(scope="module")
def trained(mini_cache, tmp_path_factory):
    """One epoch, then a rerun of the same run directory to 6 epochs (resume)."""
    run = str(tmp_path_factory.mktemp("teacher") / "run")
    first = train_teacher(str(mini_cache), run, config=CFG, steps_per_epoch=STEPS, epochs=1, seed=0,
                          progress=False, plot_items=0, validation=False, log=None)
    first_iterations = int(first["trainer"].optimizer.iterations.numpy())
    second = train_teacher(str(mini_cache), run, config=CFG, steps_per_epoch=STEPS, epochs=6, seed=0,
                           progress=False, plot_items=1, validation=True, log=None)
    return {"run": run, "first": first, "first_iterations": first_iterations, "second": second}


def test_resume_continues_epochs_and_optimizer_steps(trained):
    assert not trained["first"]["resumed"] and trained["first_iterations"] == STEPS
    second = trained["second"]
    assert second["resumed"] and second["completed_epochs"] == 6
    assert int(second["trainer"].optimizer.iterations.numpy()) == 6 * STEPS
    assert [row["epoch"] for row in second["history"]] == [1, 2, 3, 4, 5, 6]
    # The learning rate follows the schedule over the optimizer's steps (4 steps per epoch, 8 per data epoch).
    spd = second["steps_per_data_epoch"]
    assert spd == 8
    last_step = 6 * STEPS - 1
    assert second["history"][-1]["learning_rate"] == pytest.approx(
        0.01 * noam_scale(last_step // spd, 0, 0.25), rel=1e-5)


def test_training_lowers_the_loss(trained):
    h = trained["second"]["history"]
    first, last = h[0]["loss"], h[-1]["loss"]  # each the mean of STEPS steps
    assert last < 0.9 * first, [round(r["loss"], 4) for r in h]
    assert all(np.isfinite(r["val_loss"]) for r in h[1:])


def test_run_directory_holds_checkpoint_plots_and_tensorboard(trained, mini_cache):
    from speedyspeech_tf.checkpoint import load_checkpoint
    from speedyspeech_tf.config import ConfigMismatchError

    run = trained["run"]
    model, meta = load_checkpoint(os.path.join(run, "checkpoint"), kind="teacher", model_config=CFG)
    assert meta["step"] == 6 * STEPS
    for a, b in zip(model.get_weights(), trained["second"]["trainer"].teacher.get_weights()):
        np.testing.assert_array_equal(a, b)
    plots = sorted(os.listdir(os.path.join(run, "plots")))
    assert plots and all(p.endswith(".png") for p in plots) and plots[-1].startswith("epoch_0006_")
    for sub in ("train", "plots"):
        assert any(f.startswith("events.") for f in os.listdir(os.path.join(run, "tensorboard", sub)))
    # Nothing left to do at 6 epochs; another configuration is refused, naming the difference.
    again = train_teacher(str(mini_cache), run, config=CFG, steps_per_epoch=STEPS, epochs=6, seed=0, log=None)
    assert again["trainer"] is None and again["completed_epochs"] == 6
    with pytest.raises(ConfigMismatchError, match="channels"):
        train_teacher(str(mini_cache), run, config=dataclasses.replace(CFG, channels=8), steps_per_epoch=STEPS,
                      epochs=7, seed=0, log=None)


def test_nan_guard_names_the_step_and_keeps_the_last_good_backup(mini_cache, tmp_path):
    from speedyspeech_tf.training.common import RunDir, TrainingDivergedError

    def inject(ds):
        def poison(i, batch):
            bad = tf.fill(tf.shape(batch["mel"]), float("nan"))
            return {**batch, "mel": tf.where(i == 2, bad, batch["mel"])}  # the 3rd batch
        return ds.enumerate().map(poison)

    run = str(tmp_path / "run")
    message = r"(loss|l1|guided_attention) became nan at step 3 \(epoch 2, batch 1\)"
    with pytest.raises(TrainingDivergedError, match=message):
        train_teacher(str(mini_cache), run, config=CFG, steps_per_epoch=2, epochs=3, seed=0, progress=False,
                      plot_items=0, validation=False, dataset_transform=inject, log=None)
    assert RunDir(run).completed_epochs() == 1
    from speedyspeech_tf.checkpoint import load_checkpoint

    model, meta = load_checkpoint(os.path.join(run, "checkpoint"), kind="teacher")
    assert meta["step"] == 2 and all(np.isfinite(w).all() for w in model.get_weights())


_MIRRORED = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    from speedyspeech_tf.training.teacher import build_trainer, tiny_config

    # Deterministic (no noise, no augmentation) and clipping always active (a tiny clip norm).
    cfg = tiny_config(input_noise=0.0, feed_ratio=0.0, replace_ratio=0.0, attention_noise=0.0,
                      grad_clip_norm=1e-3, learning_rate=0.01, warmup_epochs=0, text_encoder_dilations=(1,),
                      audio_encoder_dilations=(1, 3), decoder_dilations=(1,))
    rng = np.random.default_rng(0)
    B, T, N = 4, 30, 7
    plen, mlen = np.array([7, 5, 6, 3], np.int32), np.array([30, 22, 27, 12], np.int32)
    ph = np.zeros((B, N), np.int32)
    for b in range(B):
        ph[b, :plen[b]] = rng.integers(2, 70, plen[b])
    batch = {"phonemes": ph, "phoneme_lengths": plen, "mel": rng.uniform(size=(B, T, 80)).astype(np.float32),
             "mel_lengths": mlen}
    keras.utils.set_random_seed(0)
    init = build_trainer(cfg).teacher.get_weights()

    def run(strategy):
        with strategy.scope():
            tr = build_trainer(cfg, steps_per_epoch=1)
            tr.teacher.set_weights(init)
        ds = tf.data.Dataset.from_tensors(batch).repeat()
        hist = tr.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
        return tr.teacher.get_weights(), hist.history["loss"][0], strategy.num_replicas_in_sync

    w1, l1, n1 = run(tf.distribute.get_strategy())
    w2, l2, n2 = run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    print(json.dumps({"replicas": [n1, n2], "loss": [l1, l2],
                      "max_diff": max(float(np.abs(a - b).max()) for a, b in zip(w1, w2)),
                      "moved": max(float(np.abs(a - b).max()) for a, b in zip(w1, init))}))
""")


@pytest.mark.slow
def test_mirrored_strategy_matches_one_device():
    """Two CPU replicas with unequal item lengths: global-batch loss normalisation and clipping of the summed
    gradient make two Adam steps equal to the one-device steps (a separate process: logical devices must be
    set up before TensorFlow starts)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", _MIRRORED], capture_output=True, text=True, cwd=repo,
                          timeout=600, env={**os.environ, "PYTHONPATH": repo})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == [1, 2]
    assert result["loss"][0] == pytest.approx(result["loss"][1], rel=1e-5)
    assert result["moved"] > 1e-3
    # Clipping each replica's gradient before summing (Keras's own order) moves weights ~3e-2 apart here.
    assert result["max_diff"] < 1e-4


# ------------------------------------------------------------------------------------------- extraction

@pytest.mark.parametrize("method", ["reference", "viterbi"])
def test_extract_durations_command(trained, mini_cache, tmp_path, method):
    from speedyspeech_tf.cli import main
    from speedyspeech_tf.data import load_cache, load_durations

    out = str(tmp_path / "durations.npz")
    code = main(["extract-durations", os.path.join(trained["run"], "checkpoint"), str(mini_cache), out,
                 "--plots", "2", "--no-progress", "--batch-size", "8", "--method", method])
    assert code == 0
    durations = load_durations(out)
    cache = load_cache(mini_cache)
    assert set(durations) == set(cache.ids)
    for item in cache.items:
        d = durations[item["id"]]
        assert len(d) == len(item["phonemes"]) and d.min() >= 1 and d.sum() == item["frames"]
    plots = sorted(os.listdir(tmp_path / "durations_plots"))
    assert plots == [f"{i}.png" for i in sorted(cache.ids[:2])]


def test_one_pass_equals_frame_by_frame_decoding(trained, mini_cache):
    """The reference's procedure with the model itself: decode_step frame by frame, ground-truth frames in,
    each frame masked to the previous frame's argmax phoneme and the next one."""
    from speedyspeech_tf.audio import to_teacher_scale
    from speedyspeech_tf.data import load_cache
    from speedyspeech_tf.durations import monotonic_argmax
    from speedyspeech_tf.training.teacher import attention_logits

    teacher = trained["second"]["trainer"].teacher
    cache = load_cache(mini_cache)
    item = cache.items[3]
    mel = to_teacher_scale(np.load(cache.mel_path(item["id"]))[:70], cache.audio).astype(np.float32)
    ph = np.asarray(item["phonemes"][:20], np.int32)[None]
    T, N = mel.shape[0], ph.shape[1]
    keys, values = teacher.encode_text(tf.constant(ph))
    step = tf.function(teacher.decode_step)
    state = teacher.initial_state(1)
    frame = tf.zeros([1, 1, mel.shape[1]])
    idx, path = 0, []
    for t in range(T):
        mask = tf.constant(((np.arange(N) >= idx) & (np.arange(N) <= idx + 1))[None, None])
        _, w, state = step(frame, tf.constant(t), keys, values, state, None, mask)
        idx = int(np.argmax(w.numpy()[0, 0]))
        path.append(idx)
        frame = tf.constant(mel[None, t:t + 1])
    logits = attention_logits(teacher, tf.constant(ph), tf.constant(mel[None])).numpy()[0]
    np.testing.assert_array_equal(monotonic_argmax(logits), path)


def test_extraction_refuses_short_items_and_other_audio_settings(trained, mini_cache, tmp_path):
    from speedyspeech_tf.config import ConfigMismatchError
    from speedyspeech_tf.data import load_cache
    from speedyspeech_tf.training.teacher import extract_durations_to_file

    ckpt = os.path.join(trained["run"], "checkpoint")
    cache = load_cache(mini_cache)
    items = [dict(i) for i in cache.items[:3]]
    items[1]["frames"] = len(items[1]["phonemes"]) - 1
    small = dataclasses.replace(cache, items=items)
    with pytest.raises(ValueError, match=f"fewer mel frames than phonemes.*{items[1]['id']}.*--skip-short"):
        extract_durations_to_file(ckpt, small, None, plots=0, progress=False, log=None)
    result = extract_durations_to_file(ckpt, small, None, plots=0, progress=False, skip_short=True, log=None)
    assert set(result["durations"]) == {items[0]["id"], items[2]["id"]} and result["skipped"] == [items[1]["id"]]
    wide = extract_durations_to_file(ckpt, small, None, plots=0, progress=False, skip_short=True, window=40,
                                     log=None)  # any jump of up to 40 phonemes: still valid durations
    for item in (items[0], items[2]):
        d = wide["durations"][item["id"]]
        assert d.min() >= 1 and d.sum() == item["frames"]
    other = dataclasses.replace(cache, audio=dataclasses.replace(cache.audio, fmax=7600.0))
    with pytest.raises(ConfigMismatchError, match="fmax"):
        extract_durations_to_file(ckpt, other, None, plots=0, progress=False, log=None)


def test_command_line_errors(trained, tmp_path, mini_cache, capsys):
    from speedyspeech_tf.cli import main

    assert main(["extract-durations", str(tmp_path), str(mini_cache), str(tmp_path / "d.npz")]) == 2
    assert "not a checkpoint directory" in capsys.readouterr().err
    assert main(["train-teacher", str(mini_cache), str(tmp_path / "run"), "--config", "nope"]) == 2
    assert "--config nope: not a preset" in capsys.readouterr().err
    ckpt = os.path.join(trained["run"], "checkpoint")
    assert main(["extract-durations", ckpt, str(mini_cache), str(tmp_path / "d.npz"), "--window", "0"]) == 2
    assert "--window must be a positive integer, got 0" in capsys.readouterr().err
    assert main(["train-teacher", str(mini_cache), str(tmp_path / "run"), "--epochs", "0"]) == 2
    assert "--epochs must be a positive integer" in capsys.readouterr().err
    for command in ("train-teacher", "extract-durations"):
        with pytest.raises(SystemExit) as e:
            main([command, "--help"])
        assert e.value.code == 0
