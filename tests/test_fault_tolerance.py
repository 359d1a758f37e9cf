"""Fault tolerance: `kill -9` in the middle of a run and a rerun of the same command continue from the last backup
(optimizer state included); a NaN loss stops the run naming the step and keeps the last good backup; corrupt or
missing cache files are reported by name; checkpoints and backups are written atomically; a checkpoint or run
directory made with another configuration is refused, naming the difference.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from speedyspeech_tf import cli  # noqa: E402
from speedyspeech_tf.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from speedyspeech_tf.config import ConfigMismatchError, StudentConfig, load_json  # noqa: E402
from speedyspeech_tf.training.common import (AtomicBackupAndRestore, RunDir,  # noqa: E402
                                             read_history)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_STUDENT = {"channels": 8, "encoder_dilations": [1], "decoder_dilations": [1], "batch_size": 2}
TINY_CFG = StudentConfig(channels=8, encoder_dilations=(1,), decoder_dilations=(1,), batch_size=2)


@pytest.fixture
def tiny_config_file(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY_STUDENT))
    return path


# ==================================================================================================== kill -9

@pytest.mark.slow
def test_kill_9_mid_run_and_rerun_resumes_with_the_optimizer_state(mini_cache, durations_file, tiny_config_file,
                                                                   tmp_path):
    run = tmp_path / "run"
    steps, epochs = 2, 4
    argv = [sys.executable, "-m", "speedyspeech_tf.cli", "train-student", str(mini_cache), str(durations_file),
            str(run), "--config", str(tiny_config_file), "--steps-per-epoch", str(steps), "--epochs", str(epochs),
            "--seed", "0", "--no-progress"]
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    metadata = run / "backup" / "training_metadata.json"

    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while not (metadata.exists() and load_json(metadata)["epoch"] >= 1):  # a backup, then some progress
            assert proc.poll() is None, f"the run ended before it could be killed:\n{proc.stdout.read()[-3000:]}"
            assert time.monotonic() < deadline, "no backup within 300 s"
            time.sleep(0.05)
        time.sleep(0.3)  # into the next epoch
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    saved = load_json(metadata)["epoch"]
    assert 1 <= saved < epochs, "the run was not killed mid-run"
    assert os.path.exists(run / "backup" / "latest.weights.h5")

    rerun = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert f"resuming at epoch {saved + 1}/{epochs}" in rerun.stdout
    # The optimizer continued from its saved step count: every one of the epochs x steps updates is counted
    # exactly once (a fresh optimizer would have counted only the rerun's).
    meta = load_json(run / "checkpoint" / "config.json")
    assert meta["step"] == epochs * steps
    history = read_history(str(run))
    assert [row["epoch"] for row in history] == list(range(1, epochs + 1))
    raw = [json.loads(line)["epoch"] for line in (run / "history.jsonl").read_text().splitlines() if line.strip()]
    repeated = {e for e in raw if raw.count(e) > 1}
    assert repeated <= {saved + 1}  # at most the epoch that was cut short is logged twice
    assert all(np.isfinite(row["loss"]) for row in history)


# ======================================================================================================== NaN

@pytest.mark.slow
def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_backup(mini_cache, durations_file,
                                                                       tiny_config_file, tmp_path, monkeypatch,
                                                                       capsys):
    from speedyspeech_tf import data

    original = data.student_dataset

    def poisoned(cache, durations, batch_size, split="train", *args, **kwargs):
        ds = original(cache, durations, batch_size, split, *args, **kwargs)
        if split != "train":
            return ds

        def poison(i, batch):  # the 3rd training batch: step 3 = epoch 2, batch 1 with 2 steps per epoch
            return {**batch, "mel": tf.where(i == 2, tf.fill(tf.shape(batch["mel"]), np.nan), batch["mel"])}
        return ds.enumerate().map(poison)

    monkeypatch.setattr(data, "student_dataset", poisoned)
    run = tmp_path / "run"
    code = cli.main(["train-student", str(mini_cache), str(durations_file), str(run), "--config",
                     str(tiny_config_file), "--steps-per-epoch", "2", "--epochs", "3", "--seed", "0",
                     "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "nan at step 3 (epoch 2, batch 1)" in err[0], err
    assert RunDir(str(run)).completed_epochs() == 1
    model, meta = load_checkpoint(run / "checkpoint", kind="student")
    assert meta["step"] == 2
    assert all(np.isfinite(w).all() for w in model.get_weights())
    import h5py

    arrays = []
    with h5py.File(run / "backup" / "latest.weights.h5") as f:
        f.visititems(lambda n, o: arrays.append(o[()]) if isinstance(o, h5py.Dataset) else None)
    assert arrays and all(np.isfinite(np.asarray(a, np.float64)).all() for a in arrays)
    assert [row["epoch"] for row in read_history(str(run))] == [1]


# ================================================================================================= bad data

@pytest.fixture
def broken_cache(mini_cache, tmp_path):
    """A copy of the cache, and the id of a training item and of a validation item."""
    from speedyspeech_tf.data import load_cache, split_items

    copy = tmp_path / "cache"
    shutil.copytree(mini_cache, copy)
    items = load_cache(copy).items
    return copy, split_items(items, "train")[0]["id"], split_items(items, "valid")[0]["id"]


@pytest.mark.parametrize("damage", ["truncated", "missing"])
@pytest.mark.slow
def test_corrupt_or_missing_cache_file_is_named_in_one_line(broken_cache, durations_file, tiny_config_file,
                                                            tmp_path, capsys, damage):
    """A truncated validation mel (met while the validation set is counted, before training) and a missing
    training mel (met by model.fit): one line naming the file, exit code 2."""
    cache, train_id, valid_id = broken_cache
    if damage == "truncated":
        bad = cache / "mels" / f"{valid_id}.npy"
        bad.write_bytes(bad.read_bytes()[:200])
    else:
        bad = cache / "mels" / f"{train_id}.npy"
        bad.unlink()
    code = cli.main(["train-student", str(cache), str(durations_file), str(tmp_path / "run"), "--config",
                     str(tiny_config_file), "--epochs", "1", "--seed", "0", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and str(bad) in err[0], err


# ============================================================================================ atomic writes

def _fail_midway(real_save):
    """A save_weights that writes half a file under the name it was given, then 'crashes'."""
    def save_weights(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
        raise OSError("simulated crash in the middle of writing the weights")
    return save_weights


def test_a_crash_while_saving_a_checkpoint_leaves_the_previous_one_intact(tmp_path, monkeypatch):
    from speedyspeech_tf.models.student import build_student

    keras.utils.set_random_seed(0)
    model = build_student(TINY_CFG)
    ckpt = tmp_path / "ckpt"
    save_checkpoint(model, ckpt, "student", TINY_CFG, step=1)
    before = [w.copy() for w in model.get_weights()]
    files = sorted(os.listdir(ckpt))

    model.set_weights([w + 1.0 for w in before])
    monkeypatch.setattr(model, "save_weights", _fail_midway(model.save_weights))
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(model, ckpt, "student", TINY_CFG, step=2)
    assert sorted(os.listdir(ckpt)) == files == ["config.json", "model.weights.h5"]  # no half-written file left
    loaded, meta = load_checkpoint(ckpt, kind="student", model_config=TINY_CFG)
    assert meta["step"] == 1
    for a, b in zip(loaded.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_a_crash_while_writing_a_backup_leaves_the_previous_one_intact(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    model.fit(x, y, epochs=1, verbose=0)
    backup = AtomicBackupAndRestore(str(tmp_path / "backup"))
    backup.set_model(model)
    backup.on_epoch_end(0)
    weights = tmp_path / "backup" / "latest.weights.h5"
    good = [w.copy() for w in model.get_weights()]
    listing = sorted(os.listdir(tmp_path / "backup"))
    assert listing == ["latest.weights.h5", "training_metadata.json"]

    model.set_weights([w + 1.0 for w in good])
    monkeypatch.setattr(model, "save_weights", _fail_midway(model.save_weights))
    with pytest.raises(OSError, match="simulated crash"):
        backup.on_epoch_end(1)
    assert sorted(os.listdir(tmp_path / "backup")) == listing  # the temporary file was removed
    assert load_json(tmp_path / "backup" / "training_metadata.json")["epoch"] == 1  # still the previous backup
    monkeypatch.undo()
    fresh = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    fresh.compile(optimizer="adam", loss="mse")
    fresh.optimizer.build(fresh.trainable_variables)
    fresh.load_weights(weights)
    for a, b in zip(fresh.get_weights(), good):
        np.testing.assert_array_equal(a, b)


# ==================================================================================== configuration checks

def test_checkpoints_carry_their_config_and_refuse_another(tmp_path):
    from speedyspeech_tf.models.student import build_student

    ckpt = tmp_path / "ckpt"
    save_checkpoint(build_student(TINY_CFG), ckpt, "student", TINY_CFG)
    assert load_json(ckpt / "config.json")["model"]["channels"] == 8
    other = StudentConfig(channels=16, encoder_dilations=(1,), decoder_dilations=(1,), batch_size=2)
    with pytest.raises(ConfigMismatchError, match="channels: 8 != 16|channels: 16 != 8"):
        load_checkpoint(ckpt, kind="student", model_config=other)
    with pytest.raises(ConfigMismatchError, match="student checkpoint, expected a teacher"):
        load_checkpoint(ckpt, kind="teacher")
    # Config and weights that do not fit each other (a config edited by hand): named, not a bare Keras error.
    meta = load_json(ckpt / "config.json")
    meta["model"]["channels"] = 16
    (ckpt / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigMismatchError, match="weights do not fit"):
        load_checkpoint(ckpt)


def test_a_run_directory_refuses_other_settings_and_the_history_survives_a_cut_line(tmp_path):
    run = RunDir(str(tmp_path / "run"))
    settings = {"kind": "student", "model": {"channels": 8}, "epochs": 3, "resume_ignore": ["epochs"]}
    assert run.prepare(settings) is False
    assert run.prepare({**settings, "epochs": 10}) is False  # epochs may change; no backup yet
    with pytest.raises(ConfigMismatchError, match="channels"):
        run.prepare({**settings, "model": {"channels": 16}})
    with open(run.history, "w") as f:
        f.write('{"epoch": 1, "loss": 3.0}\n{"epoch": 2, "loss": 2.5}\n{"epoch": 2, "loss": 2.4}\n{"epoch": 3, "lo')
    assert read_history(run.root) == [{"epoch": 1, "loss": 3.0}, {"epoch": 2, "loss": 2.4}]


class FakeClock:
    """A clock that moves only when a batch 'takes' time: TimeBudget's decisions without wall-clock races."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Takes(keras.callbacks.Callback):
    def __init__(self, clock, seconds):
        super().__init__()
        self.clock, self.seconds = clock, seconds

    def on_train_batch_end(self, batch, logs=None):  # runs before the budget's own check (listed first)
        self.clock.now += self.seconds


def _fit_with_budget(tmp_path, minutes, batch_seconds, batches_per_epoch, epochs):
    from speedyspeech_tf.training.common import History, TimeBudget

    clock = FakeClock()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((batches_per_epoch, 3), np.float32)
    budget = TimeBudget(minutes=minutes, clock=clock)
    model.fit(x, x[:, :1], batch_size=1, epochs=epochs, verbose=0,
              callbacks=[_Takes(clock, batch_seconds), budget, History(str(tmp_path / "history.jsonl")),
                         AtomicBackupAndRestore(str(tmp_path / "backup"))])
    return budget, int(model.optimizer.iterations.numpy())


def test_time_budget_stops_inside_a_long_epoch_and_the_epoch_end_still_saves(tmp_path):
    """--minutes is kept even when one epoch is longer than the budget: fit stops after the batch that used it
    up (the 4th batch of 3 s ends at 12 s > 10 s), and the epoch's end (history row, backup) still runs."""
    budget, iterations = _fit_with_budget(tmp_path, minutes=10 / 60, batch_seconds=3.0, batches_per_epoch=64,
                                          epochs=3)
    assert budget.stopped and budget.stopped_after_epoch == 1
    assert iterations == 4  # not the 64 batches of the epoch, and not one batch early or late
    assert [r["epoch"] for r in read_history(str(tmp_path))] == [1]
    assert os.path.exists(tmp_path / "backup" / "training_metadata.json")


def test_time_budget_skips_an_epoch_that_would_not_end_in_time(tmp_path):
    """Epochs of 4 s with a 10 s budget: epoch 2 ends at 8 s, and a third (expected to end at 12 s) is not
    started, so training stops after exactly 2 epochs = 8 batches."""
    budget, iterations = _fit_with_budget(tmp_path, minutes=10 / 60, batch_seconds=1.0, batches_per_epoch=4,
                                          epochs=5)
    assert budget.stopped_after_epoch == 2
    assert iterations == 8
    assert [r["epoch"] for r in read_history(str(tmp_path))] == [1, 2]


def test_time_budget_with_time_to_spare_runs_every_epoch(tmp_path):
    budget, iterations = _fit_with_budget(tmp_path, minutes=1.0, batch_seconds=1.0, batches_per_epoch=4, epochs=3)
    assert not budget.stopped and iterations == 12
