"""The duration extractor (speedyspeech_tf.models.teacher): behaviour with tiny configurations.

Reference parity with the authors' checkpoint is in test_reference.py.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from speedyspeech_tf.config import TeacherConfig  # noqa: E402
from speedyspeech_tf.models.teacher import build_teacher  # noqa: E402

TINY = TeacherConfig(num_symbols=12, channels=8, hidden_channels=6, kernel_size=3, n_mels=5,
                     text_encoder_dilations=(1, 3), audio_encoder_dilations=(1, 3, 9), decoder_dilations=(1, 2),
                     attention_hidden_channels=7)


@pytest.fixture(scope="module")
def tiny():
    return build_teacher(TINY)


def _batch(seed=0, T=11):
    rng = np.random.default_rng(seed)
    ph = np.array([[3, 5, 7, 2, 9, 4], [8, 1, 6, 0, 0, 0]], np.int32)
    mel = rng.uniform(size=(2, T, TINY.n_mels)).astype(np.float32)
    return {"phonemes": tf.constant(ph), "phoneme_lengths": tf.constant([6, 3]), "mel": tf.constant(mel)}


def test_shapes_and_masked_attention(tiny):
    decoded, weights = tiny(_batch(), training=False)
    assert decoded.shape == (2, 11, TINY.n_mels) and weights.shape == (2, 11, 6)
    w = weights.numpy()
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)
    assert np.all(w[1, :, 3:] == 0)  # padded phonemes get exactly 0
    d = decoded.numpy()
    assert np.all((d > 0) & (d < 1))  # sigmoid output


def test_teacher_forcing_is_causal_with_one_frame_shift(tiny):
    """Output frame t depends on input frames < t only (spectrogram shifted right inside the model)."""
    batch = _batch(1)
    base = tiny(batch, training=False)[0].numpy()
    t = 5
    mel = batch["mel"].numpy().copy()
    mel[:, t] += 0.5
    changed = tiny({**batch, "mel": tf.constant(mel)}, training=False)[0].numpy()
    diff = np.abs(changed - base).max(axis=(0, 2))
    assert np.all(diff[: t + 1] == 0)
    assert diff[t + 1] > 0


def test_step_by_step_decoding_equals_teacher_forcing(tiny):
    batch = _batch(2)
    decoded, weights = tiny(batch, training=False)
    keys, values = tiny.encode_text(batch["phonemes"])
    shifted = tiny.shift_right(batch["mel"])
    state = tiny.initial_state(2)

    @tf.function
    def step(frame, t, state):
        return tiny.decode_step(frame, t, keys, values, state, batch["phoneme_lengths"])

    outs, ws = [], []
    for t in range(shifted.shape[1]):
        out, w, state = step(shifted[:, t:t + 1], tf.constant(t), state)
        outs.append(out)
        ws.append(w)
    np.testing.assert_allclose(tf.concat(outs, 1).numpy(), decoded.numpy(), atol=1e-5)
    np.testing.assert_allclose(tf.concat(ws, 1).numpy(), weights.numpy(), atol=1e-5)


def test_attend_with_extra_mask(tiny):
    batch = _batch(3)
    keys, values = tiny.encode_text(batch["phonemes"])
    queries = tiny.encode_audio(tiny.shift_right(batch["mel"]))
    # allow only phonemes 1..2 for every frame (a window, as monotonic extraction would)
    window = np.zeros((2, 11, 6), bool)
    window[:, :, 1:3] = True
    _, w = tiny.attend(queries, keys, values, batch["phoneme_lengths"], mask=tf.constant(window))
    w = w.numpy()
    assert np.all(w[:, :, [0, 3, 4, 5]] == 0)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)
    # the extra mask combines with the length mask: phoneme 4 of item 1 is padding
    window[:, :, 4] = True
    _, w2 = tiny.attend(queries, keys, values, batch["phoneme_lengths"], mask=tf.constant(window))
    assert np.all(w2.numpy()[1, :, 4] == 0) and np.all(w2.numpy()[0, :, 4] > 0)


def test_attention_noise_only_in_training(tiny):
    batch = _batch(4)
    w_eval = [tiny(batch, training=False)[1].numpy() for _ in range(2)]
    np.testing.assert_array_equal(w_eval[0], w_eval[1])
    w_train = tiny(batch, training=True)[1].numpy()
    assert np.abs(w_train - w_eval[0]).max() > 1e-4
    assert np.all(w_train[1, :, 3:] == 0)  # still masked


def test_gradients_reach_every_weight_in_tf_function(tiny):
    batch = _batch(5)

    @tf.function
    def grads(batch):
        with tf.GradientTape() as tape:
            decoded, weights = tiny(batch, training=True)
            loss = tf.reduce_mean(tf.abs(decoded - batch["mel"])) + tf.reduce_mean(weights[:, :, 0])
        return tape.gradient(loss, tiny.trainable_weights)

    for v, g in zip(tiny.trainable_weights, grads(batch)):
        g = tf.convert_to_tensor(g).numpy()
        assert np.abs(g).max() > 0, v.path
        if v is tiny.text_encoder.embedding.embeddings:
            assert np.all(g[0] == 0)  # padding row frozen


def test_short_inputs_with_reference_dilations():
    """3 phonemes, 5 frames through the default-size teacher (dilations up to 27)."""
    model = build_teacher(TeacherConfig())
    decoded, weights = model({"phonemes": tf.constant([[4, 7, 9]]), "phoneme_lengths": tf.constant([3]),
                              "mel": tf.random.uniform([1, 5, 80])}, training=False)
    assert decoded.shape == (1, 5, 80) and weights.shape == (1, 5, 3)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, atol=1e-5)


def test_checkpoint_round_trip(tiny, tmp_path):
    from speedyspeech_tf.checkpoint import load_checkpoint, save_checkpoint

    save_checkpoint(tiny, tmp_path / "t", "teacher", TINY)
    loaded, _ = load_checkpoint(tmp_path / "t", kind="teacher", model_config=TINY)
    batch = _batch(6)
    np.testing.assert_array_equal(loaded(batch)[0].numpy(), tiny(batch)[0].numpy())


def test_missing_input_is_a_clear_error(tiny):
    with pytest.raises(ValueError, match="mel"):
        tiny({"phonemes": tf.ones([1, 3], tf.int32), "phoneme_lengths": tf.constant([3])})
