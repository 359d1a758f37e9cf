"""The demo's crash (issue 11): a barely trained duration predictor predicted ten million frames, Keras `infer`
tried to allocate them (OOM in the positional encoding) and the epoch-end plot callback took the run down.

Inference is bounded (config.max_symbol_frames per symbol, config.max_frames per utterance) and reports what it
cut; side work in callbacks (plots, TensorBoard, audio samples) never stops training."""
from __future__ import annotations

import os
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from speedyspeech_tf.config import StudentConfig  # noqa: E402
from speedyspeech_tf.models.student import build_student  # noqa: E402
from speedyspeech_tf.training import common  # noqa: E402

TINY = dict(channels=8, encoder_dilations=(1, 2), decoder_dilations=(1, 2))


def _runaway_student(**overrides):
    """A student whose duration predictor says exp(30) ~ 1e13 frames for every symbol."""
    keras.utils.set_random_seed(0)
    model = build_student(StudentConfig(**{**TINY, **overrides}))
    conv = model.duration_predictor.out_conv
    conv.kernel.assign(tf.zeros_like(conv.kernel))
    conv.bias.assign(tf.fill(conv.bias.shape, 30.0))
    return model


def test_infer_caps_runaway_durations_and_reports_them():
    model = _runaway_student()  # the default bounds: 200 frames per symbol, 4096 per utterance
    ids = tf.constant([[12, 40, 3, 55, 20, 0, 0]], tf.int32)
    mel, durations, lengths, overflow = model.infer(ids, tf.constant([5]), return_overflow=True)
    cfg = model.config
    np.testing.assert_array_equal(durations.numpy()[0], [cfg.max_symbol_frames] * 5 + [0, 0])
    assert int(lengths[0]) == 5 * cfg.max_symbol_frames and not bool(overflow[0])
    assert mel.shape[1] == 5 * cfg.max_symbol_frames
    # A longer sentence: 30 symbols x 200 frames > 4096: cut at max_frames, flagged, nothing larger allocated.
    long_ids = tf.constant(np.arange(2, 32, dtype=np.int32)[None], tf.int32)
    mel, durations, lengths, overflow = model.infer(long_ids, tf.constant([30]), return_overflow=True)
    assert mel.shape[1] == cfg.max_frames and int(lengths[0]) == cfg.max_frames and bool(overflow[0])
    # the bounds are settings
    small = _runaway_student(max_symbol_frames=7, max_frames=20)
    mel, durations, lengths = small.infer(ids, tf.constant([5]))
    assert durations.numpy().max() == 7 and mel.shape[1] == 20 and int(lengths[0]) == 20


def test_epoch_plot_of_a_runaway_student_does_not_crash(tmp_path):
    from speedyspeech_tf.training.student import MelPlotter

    model = _runaway_student()
    rng = np.random.default_rng(0)
    item = {"id": "x", "phonemes": np.array([12, 40, 3, 55, 20], np.int32),
            "durations": np.array([3, 4, 2, 5, 3], np.int32), "mel": rng.normal(size=(17, 80)).astype(np.float32)}
    plotter = MelPlotter(types.SimpleNamespace(student=model), item, str(tmp_path / "tb"))
    callback = common.EpochPlots(str(tmp_path / "plots"), plotter)
    callback.on_epoch_end(0)
    assert callback.side_work.failures == 0
    assert (tmp_path / "plots" / "mel_epoch_0001.png").stat().st_size > 1000


def test_failing_side_work_is_logged_once_and_training_goes_on(tmp_path, capsys):
    calls = []

    def plot_fn(epoch, directory):
        calls.append(epoch)
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[1,10182038,128]")

    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    plots = common.EpochPlots(str(tmp_path / "plots"), plot_fn)
    history = model.fit(x, x[:, :1], epochs=3, batch_size=8, verbose=0, callbacks=[plots])
    assert len(history.history["loss"]) == 3 and calls == [1, 2, 3]
    assert plots.side_work.failures == 3
    err = capsys.readouterr().err
    assert err.count("epoch plot failed") == 1 and "ResourceExhaustedError" in err and "training goes on" in err
