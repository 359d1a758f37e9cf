"""The SpeedySpeech student model (speedyspeech_tf.models.student): behaviour with tiny configurations.

Reference parity with the authors' checkpoint is in test_reference.py.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from speedyspeech_tf.config import StudentConfig  # noqa: E402
from speedyspeech_tf.models.layers import ZeroPaddedConv1D  # noqa: E402
from speedyspeech_tf.models.student import SpeedySpeechStudent, build_student  # noqa: E402

TINY = StudentConfig(num_symbols=12, channels=8, n_mels=6, encoder_dilations=(1, 2), decoder_dilations=(1, 2, 4),
                     duration_kernel_sizes=(4, 3, 1))


def _batch(rng, lengths=(6, 4), max_len=6, max_d=3):
    B = len(lengths)
    ph = np.zeros((B, max_len), np.int32)
    dur = np.zeros((B, max_len), np.float32)
    for b, n in enumerate(lengths):
        ph[b, :n] = rng.integers(1, TINY.num_symbols, n)
        dur[b, :n] = rng.integers(1, max_d + 1, n)
    return {"phonemes": tf.constant(ph), "phoneme_lengths": tf.constant(lengths, tf.int32),
            "durations": tf.constant(dur)}


@pytest.fixture(scope="module")
def tiny():
    return build_student(TINY)


def test_training_call_shapes(tiny):
    batch = _batch(np.random.default_rng(0))
    mel, log_d = tiny(batch, training=True)
    assert mel.shape == (2, int(batch["durations"].numpy().sum(1).max()), TINY.n_mels)
    assert log_d.shape == (2, 6)
    assert np.all(np.isfinite(mel.numpy()))


def test_gradients_reach_every_weight_but_duration_loss_stops_at_encoder(tiny):
    batch = _batch(np.random.default_rng(1))
    enc_vars = tiny.encoder.trainable_weights
    dp_vars = tiny.duration_predictor.trainable_weights
    dec_vars = tiny.decoder.trainable_weights
    assert len(tiny.trainable_weights) == len(enc_vars) + len(dp_vars) + len(dec_vars)

    with tf.GradientTape(persistent=True) as tape:
        mel, log_d = tiny(batch, training=True)
        target = tf.random.stateless_normal(tf.shape(mel), seed=[1, 2])
        mel_loss = tf.reduce_mean(tf.abs(mel - target))
        dur_loss = tf.reduce_mean(tf.square(log_d - 1.0))
        total = mel_loss + dur_loss
    grads = tape.gradient(total, tiny.trainable_weights)
    for v, g in zip(tiny.trainable_weights, grads):
        assert g is not None and float(tf.reduce_max(tf.abs(tf.convert_to_tensor(g)))) > 0, v.path
    # the duration loss trains the duration predictor only
    g_enc = tape.gradient(dur_loss, enc_vars)
    assert all(g is None or float(tf.reduce_max(tf.abs(tf.convert_to_tensor(g)))) == 0 for g in g_enc)
    g_dp = tape.gradient(dur_loss, dp_vars)
    assert all(g is not None for g in g_dp)
    # the mel loss does not train the duration predictor
    assert all(g is None for g in tape.gradient(mel_loss, dp_vars))
    # the padding row of the embedding is frozen (PyTorch padding_idx)
    g_emb = tf.convert_to_tensor(tape.gradient(total, tiny.encoder.embedding.embeddings)).numpy()
    assert np.all(g_emb[0] == 0) and np.abs(g_emb[1:]).max() > 0


def test_undetached_duration_gradient_reaches_encoder():
    cfg = StudentConfig(**{**TINY.__dict__, "detach_duration_input": False})
    model = build_student(cfg)
    batch = _batch(np.random.default_rng(2))
    with tf.GradientTape() as tape:
        _, log_d = model(batch, training=True)
        loss = tf.reduce_mean(tf.square(log_d))
    grads = tape.gradient(loss, model.encoder.trainable_weights)
    assert any(g is not None and float(tf.reduce_max(tf.abs(tf.convert_to_tensor(g)))) > 0 for g in grads)


def test_train_step_in_tf_function_with_varying_lengths():
    tiny = build_student(TINY)  # its own model: the module's shared one has been trained by other tests
    opt = keras.optimizers.Adam(1e-2)
    spec = {"phonemes": tf.TensorSpec([None, None], tf.int32), "phoneme_lengths": tf.TensorSpec([None], tf.int32),
            "durations": tf.TensorSpec([None, None], tf.float32)}

    @tf.function(input_signature=[spec])
    def step(batch):
        with tf.GradientTape() as tape:
            mel, log_d = tiny(batch, training=True)
            loss = tf.reduce_mean(tf.square(mel)) + tf.reduce_mean(tf.square(log_d))
        grads = tape.gradient(loss, tiny.trainable_weights)
        opt.apply_gradients(zip(grads, tiny.trainable_weights))
        return loss

    rng = np.random.default_rng(3)
    mean_before = tiny.encoder.res_blocks[0].norms[0].moving_mean.numpy().copy()
    batches = [_batch(rng, lengths, max_len=max(lengths)) for lengths in [(6, 4), (3, 2, 5)]]
    losses = [float(step(batches[i % 2])) for i in range(8)]  # two shapes, one trace
    assert all(np.isfinite(losses))
    assert losses[-2] < losses[0] and losses[-1] < losses[1]  # the same batches again: the loss fell
    # training mode updates BatchNorm running statistics
    assert np.abs(tiny.encoder.res_blocks[0].norms[0].moving_mean.numpy() - mean_before).max() > 0


def test_durations_from_log_order_of_operations(tiny):
    log_d = np.log(np.array([[0.3, 1.4, 2.5, 3.5, 7.0]], np.float32))
    d = tiny.durations_from_log(log_d, tf.constant([4])).numpy()
    # <1 -> 1, round half to even (2.5 -> 2, 3.5 -> 4), padding -> 0
    np.testing.assert_array_equal(d, [[1, 1, 2, 4, 0]])
    d2 = tiny.durations_from_log(log_d, tf.constant([5]), speed=2.0).numpy()
    # divided by speed before the 1-frame floor: 0.15->1, 0.7->1, 1.25->1, 1.75->2, 3.5->4
    np.testing.assert_array_equal(d2, [[1, 1, 1, 2, 4]])
    # bounded after speed: max_symbol_frames (inf too)
    big = np.log(np.array([[1e3, np.inf, 150.0]], np.float32))
    d3 = tiny.durations_from_log(big, tf.constant([3]), speed=0.5).numpy()
    np.testing.assert_array_equal(d3, [[tiny.config.max_symbol_frames] * 3])


def test_infer_speed_and_lengths(tiny):
    batch = _batch(np.random.default_rng(4))
    mel, dur, mel_len = tiny.infer(batch["phonemes"], batch["phoneme_lengths"])
    np.testing.assert_array_equal(mel_len.numpy(), dur.numpy().sum(1).astype(int))
    assert mel.shape == (2, int(mel_len.numpy().max()), TINY.n_mels)
    assert np.all(dur.numpy()[1, 4:] == 0) and np.all(dur.numpy()[:, :4] >= 1)
    _, dur_fast, _ = tiny.infer(batch["phonemes"], batch["phoneme_lengths"], speed=2.0)
    assert dur_fast.numpy().sum() <= dur.numpy().sum()
    with pytest.raises(ValueError, match="speed"):
        tiny.infer(batch["phonemes"], batch["phoneme_lengths"], speed=0)
    mel_fixed, _, len_fixed = tiny.infer(batch["phonemes"], batch["phoneme_lengths"], num_frames=5)
    assert mel_fixed.shape == (2, 5, TINY.n_mels)
    np.testing.assert_array_equal(len_fixed.numpy(), np.minimum(mel_len.numpy(), 5))


def test_phoneme_positional_encoding_option():
    utt = build_student(TINY)
    pho = build_student(StudentConfig(**{**TINY.__dict__, "positional_encoding": "phoneme"}))
    pho.set_weights(utt.get_weights())
    batch = _batch(np.random.default_rng(5))
    enc = utt.encode(batch["phonemes"])
    a = utt.expand(enc, batch["durations"])[0].numpy()
    b = pho.expand(enc, batch["durations"])[0].numpy()
    d = batch["durations"].numpy()[0].astype(int)
    # equal on each item's first phoneme (positions coincide), different afterwards
    np.testing.assert_allclose(a[0, :d[0]], b[0, :d[0]], atol=1e-6)
    assert np.abs(a[0, d[0]:d.sum()] - b[0, d[0]:d.sum()]).max() > 1e-3
    with pytest.raises(ValueError, match="positional_encoding"):
        SpeedySpeechStudent(StudentConfig(**{**TINY.__dict__, "positional_encoding": "both"}))


def test_short_inputs_with_reference_dilations():
    """3 phonemes and 3 frames: shorter than every dilated kernel of the default config (the reference crashes)."""
    model = build_student(StudentConfig())
    ph = tf.constant([[5, 9, 3]], tf.int32)
    mel, log_d = model({"phonemes": ph, "phoneme_lengths": tf.constant([3]), "durations": tf.ones([1, 3])},
                       training=False)
    assert mel.shape == (1, 3, 80) and log_d.shape == (1, 3)
    mel, dur, mel_len = model.infer(ph, tf.constant([3]))
    assert mel.shape[1] == int(mel_len[0]) >= 3 and np.all(np.isfinite(mel.numpy()))


def _reference_conv_pad(x, kernel, bias, d, k):
    """numpy: valid dilated conv, then zeros floor(d(k-1)/2) before and the rest after."""
    T = x.shape[1]
    tot = d * (k - 1)
    y = np.stack([sum(x[:, t + j * d] @ kernel[j] for j in range(k)) for t in range(T - tot)], 1) + bias
    return np.pad(y, ((0, 0), (tot // 2, tot - tot // 2), (0, 0)))


@pytest.mark.parametrize("k,d", [(4, 1), (4, 2), (4, 8), (3, 1), (1, 1)])
def test_zero_padded_conv_matches_valid_conv_plus_pad_and_handles_short_input(k, d):
    rng = np.random.default_rng(k * 10 + d)
    layer = ZeroPaddedConv1D(3, k, d)
    layer.build((None, None, 2))
    kernel, bias = (w.numpy() for w in layer.conv.weights)
    bias[:] = rng.normal(size=3)
    layer.conv.bias.assign(bias)
    need = d * (k - 1) + 1
    dyn = tf.function(lambda x: layer(x), input_signature=[tf.TensorSpec([None, None, 2], tf.float32)])
    for T in (need, need + 5):  # long enough: exactly the reference's computation, static or dynamic T
        x = rng.normal(size=(2, T, 2)).astype(np.float32)
        ref = _reference_conv_pad(x, kernel, bias, d, k)
        np.testing.assert_allclose(layer(x).numpy(), ref, atol=1e-5)
        np.testing.assert_allclose(dyn(x).numpy(), ref, atol=1e-5)
    for T in range(1, need):  # too short for the reference: input zero-padded on the right, output cropped
        x = rng.normal(size=(2, T, 2)).astype(np.float32)
        padded = np.concatenate([x, np.zeros((2, need - T, 2), np.float32)], 1)
        ref = _reference_conv_pad(padded, kernel, bias, d, k)[:, :T]
        np.testing.assert_allclose(layer(x).numpy(), ref, atol=1e-5)
        np.testing.assert_allclose(dyn(x).numpy(), ref, atol=1e-5)


def test_checkpoint_round_trip(tiny, tmp_path):
    from speedyspeech_tf.checkpoint import load_checkpoint, save_checkpoint

    batch = _batch(np.random.default_rng(6))
    save_checkpoint(tiny, tmp_path / "ckpt", "student", TINY)
    loaded, meta = load_checkpoint(tmp_path / "ckpt", kind="student")
    assert meta["model"]["encoder_dilations"] == list(TINY.encoder_dilations)
    a = tiny.infer(batch["phonemes"], batch["phoneme_lengths"])[0].numpy()
    b = loaded.infer(batch["phonemes"], batch["phoneme_lengths"])[0].numpy()
    np.testing.assert_array_equal(a, b)


def test_missing_input_and_config_round_trip(tiny):
    with pytest.raises(ValueError, match="durations"):
        tiny({"phonemes": tf.ones([1, 3], tf.int32), "phoneme_lengths": tf.constant([3])})
    clone = SpeedySpeechStudent.from_config(tiny.get_config())
    assert clone.config == TINY


def test_output_does_not_depend_on_padding_or_buffer_sizes():
    """A sentence alone, in a wider buffer, and in a padded batch beside a longer one: the same durations and
    mel (inference), and the same teacher-forced mel (training path). With mask_padding off (the reference's
    batched forward) the padding leaks in, so this test can fail."""
    keras.utils.set_random_seed(3)
    model = build_student(TINY)
    rng = np.random.default_rng(3)
    short = rng.integers(2, TINY.num_symbols, 6).astype(np.int32)
    long = rng.integers(2, TINY.num_symbols, 15).astype(np.int32)

    def run(width, with_long, num_frames=None):
        ids = np.zeros((2 if with_long else 1, width), np.int32)
        ids[0, :6] = short
        lengths = [6]
        if with_long:
            ids[1, :15] = long
            lengths.append(15)
        mel, dur, frames = model.infer(tf.constant(ids), tf.constant(lengths), num_frames=num_frames)
        n = int(frames[0])
        durations = np.zeros_like(ids)
        durations[0, :6] = np.arange(1, 7)
        if with_long:
            durations[1, :15] = 3
        forced, _ = model({"phonemes": ids, "phoneme_lengths": np.array(lengths), "durations": durations})
        return dur.numpy()[0, :6], mel.numpy()[0, :n], np.asarray(forced)[0, :21]

    alone = run(6, False)
    for other in (run(30, False), run(30, False, num_frames=200), run(15, True)):
        np.testing.assert_array_equal(other[0], alone[0])
        np.testing.assert_allclose(other[1], alone[1], atol=1e-5, rtol=0)
        np.testing.assert_allclose(other[2], alone[2], atol=1e-5, rtol=0)
    model.config.mask_padding = False
    try:
        leaky = run(15, True)
    finally:
        model.config.mask_padding = True
    assert np.abs(leaky[2] - alone[2]).max() > 1e-3
