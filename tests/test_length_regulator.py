"""Length regulator and positional encoding (speedyspeech_tf.models.layers) against plain numpy references."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from speedyspeech_tf.models.layers import (LengthRegulator, positional_encoding, positional_encoding_table,  # noqa: E402
                                    regulate_length)

C = 6


def _numpy_regulate(enc, dur, variant, weight=1.0, num_frames=None):
    """np.repeat reference: expand each item, add PE (utterance: frame index; phoneme: index in phoneme)."""
    dur = np.maximum(dur.astype(np.int64), 0)
    totals = dur.sum(1)
    F = int(totals.max()) if num_frames is None else num_frames
    out = np.zeros((enc.shape[0], F, enc.shape[2]), np.float32)
    for b in range(enc.shape[0]):
        x = np.repeat(enc[b], dur[b], axis=0)
        if variant == "utterance":
            pos = np.arange(len(x))
        elif variant == "phoneme":
            pos = np.concatenate([np.arange(d) for d in dur[b]] + [np.zeros(0, np.int64)])
        if variant != "none":
            table = positional_encoding_table(max(int(dur.max()), int(totals.max()), 1), enc.shape[2], weight)
            x = x + table[pos]
        n = min(len(x), F)
        out[b, :n] = x[:n]
    return out, np.minimum(totals, F), totals > F


@pytest.fixture()
def batch():
    rng = np.random.default_rng(0)
    enc = rng.normal(size=(3, 7, C)).astype(np.float32)
    dur = rng.integers(0, 5, size=(3, 7)).astype(np.float32)
    dur[1, 5:] = 0  # padding
    dur[2, 0] = 0   # a phoneme with no frames inside an item
    return enc, dur


@pytest.mark.parametrize("variant", ["utterance", "phoneme", "none"])
def test_dynamic_matches_np_repeat(batch, variant):
    enc, dur = batch
    out, lengths, overflow = regulate_length(enc, dur, None, variant, 1.0)
    ref, ref_len, _ = _numpy_regulate(enc, dur, variant)
    assert out.shape == ref.shape == (3, int(dur.sum(1).max()), C)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-6)
    np.testing.assert_array_equal(lengths.numpy(), ref_len)
    assert not overflow.numpy().any()
    # zero past each item's length (PE included)
    for b, n in enumerate(ref_len):
        assert np.all(out.numpy()[b, n:] == 0)


def test_variants_differ_and_pe_weight_used(batch):
    enc, dur = batch
    utt = regulate_length(enc, dur, None, "utterance")[0].numpy()
    pho = regulate_length(enc, dur, None, "phoneme")[0].numpy()
    assert np.abs(utt - pho).max() > 1e-2
    w = regulate_length(enc, dur, None, "utterance", 6.42)[0].numpy()
    np.testing.assert_allclose(w, _numpy_regulate(enc, dur, "utterance", 6.42)[0], atol=1e-5)
    assert np.abs(w - utt).max() > 1e-2


@pytest.mark.parametrize("variant", ["utterance", "phoneme"])
@pytest.mark.parametrize("num_frames", [5, 9, 40])
def test_fixed_buffer_truncates_and_flags_overflow(batch, variant, num_frames):
    enc, dur = batch
    totals = dur.sum(1).astype(int)
    out, lengths, overflow = regulate_length(enc, dur, num_frames, variant)
    assert out.shape == (3, num_frames, C)
    ref, ref_len, ref_over = _numpy_regulate(enc, dur, variant, num_frames=num_frames)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-6)
    np.testing.assert_array_equal(lengths.numpy(), np.minimum(totals, num_frames))
    np.testing.assert_array_equal(overflow.numpy(), totals > num_frames)
    # the buffer holds exactly the first frames of the dynamic expansion
    dyn = regulate_length(enc, dur, None, variant)[0].numpy()
    n = min(num_frames, dyn.shape[1])
    np.testing.assert_allclose(out.numpy()[:, :n], dyn[:, :n], atol=1e-6)


def test_overflow_flags_only_the_items_that_do_not_fit(batch):
    enc, dur = batch
    totals = dur.sum(1).astype(int)
    F = int(np.sort(totals)[1])  # the middle item fits exactly, the longest does not
    _, lengths, overflow = regulate_length(enc, dur, F, "utterance")
    assert overflow.numpy().tolist() == (totals > F).tolist()
    assert overflow.numpy().any() and not overflow.numpy().all()
    assert lengths.numpy().tolist() == np.minimum(totals, F).tolist()


def test_float_durations_truncate_and_negatives_count_zero():
    enc = np.arange(2 * 3 * C, dtype=np.float32).reshape(2, 3, C)
    dur = np.array([[1.9, 2.0, -1.0], [0.5, 3.2, 1.0]], np.float32)
    out, lengths, _ = regulate_length(enc, dur, None, "none")
    ref, ref_len, _ = _numpy_regulate(enc, np.array([[1, 2, 0], [0, 3, 1]]), "none")
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(lengths.numpy(), [3, 4])


def test_inside_tf_function_with_dynamic_shapes(batch):
    enc, dur = batch
    layer = LengthRegulator("utterance")

    @tf.function(input_signature=[tf.TensorSpec([None, None, C], tf.float32), tf.TensorSpec([None, None], tf.float32)])
    def f(e, d):
        return layer(e, d)

    for cut in (7, 4):
        got = f(enc[:, :cut], dur[:, :cut])[0].numpy()
        np.testing.assert_allclose(got, _numpy_regulate(enc[:, :cut], dur[:, :cut], "utterance")[0], atol=1e-6)


def test_bad_variant_is_rejected():
    with pytest.raises(ValueError, match="positional"):
        LengthRegulator("sinusoid")


def test_positional_encoding_is_the_reference_formula():
    # 10.0**4**(2i/C) in Python is 10^(4^(2i/C)); channel 2i = sin, 2i+1 = cos
    channels, w = 8, 6.42
    pos = np.arange(30, dtype=np.float64)
    i = np.arange(channels // 2)
    den = 10.0 ** (4.0 ** (2 * i / channels))
    ref = np.zeros((30, channels))
    ref[:, 0::2] = np.sin(w * pos[:, None] / den)
    ref[:, 1::2] = np.cos(w * pos[:, None] / den)
    np.testing.assert_allclose(positional_encoding(tf.range(30), channels, w).numpy(), ref, atol=2e-5)
    np.testing.assert_allclose(positional_encoding_table(30, channels, w), ref, atol=2e-5)
    with pytest.raises(ValueError, match="even"):
        positional_encoding_table(3, 5)


def test_fixed_buffer_converts_to_tflite_builtins(batch):
    """The static-F regulator converts with TFLITE_BUILTINS only and gives the same result."""
    enc, dur = batch
    F = 9

    @tf.function(input_signature=[tf.TensorSpec([3, 7, C], tf.float32), tf.TensorSpec([3, 7], tf.float32)])
    def f(e, d):
        out, lengths, overflow = regulate_length(e, d, F, "phoneme")
        return out, lengths, tf.cast(overflow, tf.int32)

    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    interp = tf.lite.Interpreter(model_content=conv.convert())
    interp.allocate_tensors()
    for detail in interp.get_input_details():  # by rank: encodings are 3-D, durations 2-D
        interp.set_tensor(detail["index"], enc if len(detail["shape"]) == 3 else dur)
    interp.invoke()
    got = [interp.get_tensor(d["index"]) for d in interp.get_output_details()]
    ref = [x.numpy() for x in f(enc, dur)]
    got_3d = [g for g in got if g.ndim == 3]
    assert len(got_3d) == 1 and got_3d[0].shape == (3, F, C)
    np.testing.assert_allclose(got_3d[0], ref[0], atol=1e-5)
    assert sorted(tuple(g.tolist()) for g in got if g.ndim == 1) == sorted([tuple(ref[1]), tuple(ref[2])])
