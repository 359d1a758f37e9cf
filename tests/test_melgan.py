"""MelGAN: reference parity, weight-norm folding, windowed synthesis, import errors, gradients, checkpoints."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from speedyspeech_tf.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from speedyspeech_tf.config import ConfigMismatchError, MelGANConfig  # noqa: E402
from speedyspeech_tf.models.melgan import (MelGAN, MelGANGenerator, MultiScaleDiscriminator,  # noqa: E402
                                    WeightNormConv1D, WeightNormConv1DTranspose, build_melgan,
                                    generate_windowed, iter_generate_windowed)
from speedyspeech_tf.models.windows import default_context, generator_receptive_field, plan_windows  # noqa: E402
from speedyspeech_tf.reference.melgan import import_melgan, run_melgan_reference  # noqa: E402

TOL = 1e-4
# Tiny configurations: the reference architecture with few channels (same receptive field).
TINY = MelGANConfig(n_mels=12, generator_channels=32, disc_channels=(4, 8, 16, 16, 16, 16),
                    disc_groups=(2, 4, 4, 4))
TINY_OTHER = MelGANConfig(n_mels=12, generator_channels=16, upsample_factors=(4, 4), hop_length=16,
                          resstack_dilations=(1, 3), input_kernel_size=5, output_kernel_size=3)


def _mel(rng, batch, frames, n_mels):
    return rng.normal(-5.0, 2.0, (batch, frames, n_mels)).astype(np.float32)


def _set_gains(generator, gain):
    """Unit-ish kernel norms: the default (PyTorch) init shrinks the signal layer by layer, which would make
    window-edge errors too small to see."""
    for layer in generator.conv_layers():
        layer.g.assign(np.full(layer.g.shape, gain, np.float32))


@pytest.fixture(scope="module")
def reference(reference_dir):
    model, cfg = import_melgan(reference_dir / "melgan_seed0.pth")
    with np.load(reference_dir / "melgan_seed0.npz") as data:
        expected = {k: data[k] for k in data.files}
    return model, cfg, expected


@pytest.fixture(scope="module")
def reference_state(reference_dir):
    from speedyspeech_tf.reference.pth import load_pth
    return load_pth(reference_dir / "melgan_seed0.pth")


@pytest.fixture(scope="module")
def tiny_generator():
    keras.utils.set_random_seed(0)
    generator = MelGANGenerator(TINY).build_for()
    _set_gains(generator, 1.0)
    return generator


# ---------------------------------------------------------------------------------------------- parity


def test_reference_import_config_and_sizes(reference):
    model, cfg, _ = reference
    assert cfg == MelGANConfig()
    # README: 4,524,321 generator parameters counting g and v; 16,924,086 in the discriminator.
    assert model.generator.count_params() == 4_524_321
    assert model.discriminator.count_params() == 16_924_086


def test_generator_parity(reference):
    model, _, expected = reference
    out = run_melgan_reference(model, {"mel": expected["mel"]})
    assert out["audio"].shape == expected["audio"].shape == (1, 1, 31 * 256)
    err = np.abs(out["audio"] - expected["audio"]).max()
    assert err <= TOL, f"generator audio max abs error {err}"


def test_discriminator_parity(reference):
    model, _, expected = reference
    out = run_melgan_reference(model, {"disc_input": expected["disc_input"]})
    names = sorted(k for k in expected if k.startswith("disc") and k != "disc_input")
    assert sorted(out) == names and len(names) == 3 * 7
    for name in names:
        assert out[name].shape == expected[name].shape, name
        err = np.abs(out[name] - expected[name]).max()
        assert err <= TOL, f"{name}: max abs error {err}"


def test_plain_weight_checkpoint_matches(reference, reference_state):
    """A state dict saved after remove_weight_norm (weight = g v / ||v||, computed here in numpy in PyTorch's
    layout, independent of our Keras weight norm) imports and gives the same audio."""
    _, _, expected = reference
    plain = {}
    for key, value in reference_state["model_g"].items():
        if key.endswith("weight_v"):
            prefix = key[: -len("weight_v")]
            v = value.astype(np.float64)
            g = reference_state["model_g"][prefix + "weight_g"].astype(np.float64)
            norm = np.sqrt((v ** 2).sum(axis=(1, 2), keepdims=True))
            plain[prefix + "weight"] = (g * v / norm).astype(np.float32)
        elif key.endswith("bias"):
            plain[key] = value
    model, _ = import_melgan({"model_g": plain}, generator_only=True)
    out = run_melgan_reference(model, {"mel": expected["mel"]})
    assert np.abs(out["audio"] - expected["audio"]).max() <= TOL


# ---------------------------------------------------------------------------------------- weight norm


def test_fold_weight_norm_reference(reference):
    model, _, expected = reference
    folded = model.generator.fold_weight_norm()
    assert not folded.weight_norm and folded.fold_weight_norm() is folded
    names = [v.path for v in folded.weights]
    assert not any(n.endswith("/g") or n.endswith("/v") for n in names), names[:5]
    assert all(type(layer) in (keras.layers.Conv1D, keras.layers.Conv1DTranspose)
               for layer in folded.conv_layers())
    mel = tf.constant(expected["mel"].transpose(0, 2, 1))
    a, b = model.generator(mel).numpy(), folded(mel).numpy()
    assert np.abs(a - b).max() <= 1e-5
    assert np.abs(b - expected["audio"][:, 0]).max() <= TOL


def test_fold_weight_norm_uses_g():
    # Random g (not ||v|| as at init) so that folding must really use g.
    rng = np.random.default_rng(1)
    keras.utils.set_random_seed(1)
    gen = MelGANGenerator(TINY).build_for()
    for layer in gen.conv_layers():
        layer.g.assign(rng.uniform(0.5, 1.5, layer.g.shape).astype(np.float32))
    mel = _mel(rng, 2, 9, TINY.n_mels)
    folded = gen.fold_weight_norm()
    a, b = gen(mel).numpy(), folded(mel).numpy()
    assert a.shape == (2, 9 * 256) and np.abs(a).max() > 1e-2
    assert np.abs(a - b).max() <= 1e-5
    # Scaling g scales the kernel: the output changes.
    layer = gen.conv_layers()[3]
    layer.g.assign(layer.g * 2.0)
    assert np.abs(gen(mel).numpy() - a).max() > 1e-3


def test_weight_norm_layers_match_plain_keras_layers():
    """Our weight-normalised layers compute the same as Keras' own Conv1D/Conv1DTranspose given g v/||v||."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 11, 8)).astype(np.float32)
    for wn, plain, kwargs in [
        (WeightNormConv1D, keras.layers.Conv1D, dict(kernel_size=3, dilation_rate=3, padding="same")),
        (WeightNormConv1D, keras.layers.Conv1D, dict(kernel_size=5, strides=2, groups=4, padding="valid")),
        (WeightNormConv1DTranspose, keras.layers.Conv1DTranspose, dict(kernel_size=8, strides=4,
                                                                       padding="same")),
    ]:
        a = wn(4, **kwargs)
        a(x)
        a.g.assign(rng.uniform(0.5, 2.0, a.g.shape).astype(np.float32))
        b = plain(4, **kwargs)
        b(x)
        b.set_weights([a.folded_kernel().numpy(), a.bias.numpy()])
        np.testing.assert_allclose(a(x).numpy(), b(x).numpy(), atol=1e-5)
        norms = np.sqrt((a.folded_kernel().numpy() ** 2).sum(axis=(0, 1)))
        np.testing.assert_allclose(norms, a.g.numpy(), rtol=1e-5)


def test_transposed_conv_length_and_padding_match_pytorch():
    """ConvTranspose1d(kernel 2f, stride f, padding f/2): output f*L, the full transposed conv cropped by f/2."""
    rng = np.random.default_rng(3)
    for f in (2, 8):
        x = rng.normal(size=(1, 5, 3)).astype(np.float32)
        layer = WeightNormConv1DTranspose(2, 2 * f, strides=f, padding="same")
        y = layer(x).numpy()
        w = layer.folded_kernel().numpy()  # [k, out, in]
        full = np.zeros((5 * f + f, 2), np.float32)  # (L-1) f + k samples
        for i in range(5):
            full[i * f: i * f + 2 * f] += np.einsum("ki,koi->ko", np.repeat(x[0, i][None], 2 * f, 0), w)
        expected = full[f // 2: f // 2 + 5 * f] + layer.bias.numpy()
        assert y.shape == (1, 5 * f, 2)
        np.testing.assert_allclose(y[0], expected, atol=1e-5)


# ---------------------------------------------------------------------------------- receptive field


@pytest.mark.parametrize("cfg", [TINY, TINY_OTHER], ids=["reference-shape", "other-shape"])
def test_receptive_field_is_exact(cfg):
    """The support of the response to one frame is exactly [F - right, F + left] output frames.

    Non-negative kernels and zero biases, with input -5 (normalised to 0) except one frame: every activation
    is >= 0 and non-zero exactly where the frame reaches (no cancellation, no underflow)."""
    keras.utils.set_random_seed(3)
    gen = MelGANGenerator(cfg).build_for()
    for layer in gen.conv_layers():
        layer.v.assign(np.abs(layer.v.numpy()))
        layer.bias.assign(np.zeros(layer.bias.shape, np.float32))
    frames, f = 40, 20
    mel = np.full((1, frames, cfg.n_mels), -5.0, np.float32)
    mel[:, f] = -4.0
    reached = np.nonzero(np.abs(gen(mel).numpy()[0]).reshape(frames, cfg.hop_length).max(axis=1) > 0)[0]
    left, right = generator_receptive_field(cfg)
    # output frame F' reads input frames [F' - left, F' + right], so frame f reaches [f - right, f + left]
    assert (reached.min(), reached.max()) == (f - right, f + left)
    assert len(reached) == left + right + 1


def test_default_context_of_reference_architecture():
    assert generator_receptive_field(MelGANConfig()) == (7, 7)
    assert default_context(MelGANConfig()) == 7


# ----------------------------------------------------------------------------------- windowed synthesis


def test_plan_windows_properties():
    for n, w, c in [(53, 9, 7), (100, 16, 7), (10, 4, 7), (30, 16, 7), (31, 16, 7), (7, 1, 0)]:
        spans = plan_windows(n, w, c)
        length = min(w + 2 * c, n)
        assert [s.out_start for s in spans] == list(range(0, n, w)) or len(spans) == 1
        assert spans[0].out_start == 0 and spans[-1].out_end == n
        for s, t in zip(spans, spans[1:]):
            assert s.out_end == t.out_start
        for s in spans:
            assert s.in_end - s.in_start == length and 0 <= s.in_start and s.in_end <= n
            # exactness condition: c frames of context unless the window ends at an utterance edge
            assert s.out_start - s.in_start >= c or s.in_start == 0
            assert s.in_end - s.out_end >= c or s.in_end == n
    for bad in [dict(n_frames=0, window=4, context=1), dict(n_frames=5, window=0, context=1),
                dict(n_frames=5, window=4, context=-1), dict(n_frames=5.0, window=4, context=1)]:
        with pytest.raises(ValueError, match="must be an integer"):
            plan_windows(**bad)


@pytest.mark.parametrize("window,frames", [(1, 19), (4, 53), (9, 53), (25, 53)])
@pytest.mark.parametrize("fixed_length", [False, True])
def test_windowed_equals_full(tiny_generator, window, frames, fixed_length):
    rng = np.random.default_rng(window)
    mel = _mel(rng, 2, frames, TINY.n_mels)  # frames not a multiple of the window (but for window 1)
    full = tiny_generator(mel).numpy()
    assert np.abs(full).max() > 1e-3
    out = generate_windowed(tiny_generator, mel, window=window, fixed_length=fixed_length)
    assert out.shape == full.shape == (2, frames * 256)
    assert np.abs(out - full).max() <= TOL


@pytest.mark.parametrize("fixed_length", [False, True])
def test_windowed_shorter_than_one_window(tiny_generator, fixed_length):
    rng = np.random.default_rng(5)
    mel = _mel(rng, 1, 12, TINY.n_mels)[0]  # [T, n_mels]; window 16 + 2*7 context > 12 frames
    full = tiny_generator(mel[None]).numpy()[0]
    out = generate_windowed(tiny_generator, mel, window=16, fixed_length=fixed_length)
    assert out.shape == (12 * 256,)
    assert np.abs(out - full).max() <= TOL


def test_windowed_needs_the_context(tiny_generator):
    """Too little context is visibly wrong, so the tests above can fail."""
    rng = np.random.default_rng(6)
    mel = _mel(rng, 1, 53, TINY.n_mels)
    full = tiny_generator(mel).numpy()
    assert np.abs(generate_windowed(tiny_generator, mel, window=9, context=2) - full).max() > 1e-3


def test_windowed_reference_generator(reference):
    model, _, expected = reference
    mel = expected["mel"].transpose(0, 2, 1)  # 31 frames
    full = model.generator(mel).numpy()
    chunks = list(iter_generate_windowed(model.generator, mel, window=5, fixed_length=True))
    assert [c.shape[-1] for c in chunks] == [5 * 256] * 6 + [256]
    assert np.abs(np.concatenate(chunks, axis=-1) - full).max() <= TOL


def test_valid_frames_masks_padding(tiny_generator):
    """A batch padded to a common length gives each item's own unpadded audio (and silence after it)."""
    rng = np.random.default_rng(7)
    mel = _mel(rng, 2, 20, TINY.n_mels)
    mel[1, 13:] = 3.0  # padding content must not matter
    out = tiny_generator(mel, valid_frames=np.array([20, 13])).numpy()
    np.testing.assert_allclose(out[0], tiny_generator(mel[:1]).numpy()[0], atol=TOL)
    np.testing.assert_allclose(out[1, :13 * 256], tiny_generator(mel[1:, :13]).numpy()[0], atol=TOL)
    assert np.all(out[1, 13 * 256:] == 0)


# ------------------------------------------------------------------------------------ import errors


def _copy(state):
    return {"model_g": dict(state["model_g"]), "model_d": dict(state["model_d"])}


def test_import_wrong_shape_names_key(reference_state):
    bad = _copy(reference_state)
    bad["model_g"]["generator.5.weight_v"] = np.zeros((256, 100, 16), np.float32)
    with pytest.raises(ValueError, match=r"generator\.5\.weight_v.*\(256, 100, 16\).*\(256, 128, 16\)"):
        import_melgan(bad)


def test_import_missing_and_unexpected_keys(reference_state):
    bad = _copy(reference_state)
    del bad["model_d"]["discriminators.2.discriminator.3.0.weight_g"]
    with pytest.raises(ValueError, match=r"discriminators\.2\.discriminator\.3\.0\.weight_g"):
        import_melgan(bad)
    bad = _copy(reference_state)
    bad["model_g"]["generator.1.weight_v"] = np.zeros((3,), np.float32)  # e.g. a later version's layout
    with pytest.raises(ValueError, match=r"unexpected key 'generator\.1\.weight_v'"):
        import_melgan(bad)
    with pytest.raises(ValueError, match="model_d"):
        import_melgan({"model_g": reference_state["model_g"]})
    with pytest.raises(ValueError, match="model_g"):
        import_melgan({"state_dict": {}})


def test_import_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        import_melgan(tmp_path / "nope.pth")


# ------------------------------------------------------------------------------------ training shape


def test_gradients_flow_through_generator_and_discriminator():
    """LSGAN + feature-matching losses as the reference trains: every variable of both nets gets a gradient."""
    keras.utils.set_random_seed(4)
    model = build_melgan(TINY)
    rng = np.random.default_rng(4)
    mel = tf.constant(_mel(rng, 2, 6, TINY.n_mels))
    real = tf.constant(rng.uniform(-0.5, 0.5, (2, 6 * 256)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        fake = model(mel, training=True)
        d_fake = model.discriminator(fake, training=True)
        d_real = model.discriminator(real, training=True)
        loss_g = tf.add_n([tf.reduce_mean((s - 1.0) ** 2) for _, s in d_fake])
        loss_g += TINY.feature_match_weight * tf.add_n(
            [tf.reduce_mean(tf.abs(a - b)) for (fa, _), (fr, _) in zip(d_fake, d_real) for a, b in zip(fa, fr)])
        loss_d = tf.add_n([tf.reduce_mean((sr - 1.0) ** 2) + tf.reduce_mean(sf ** 2)
                           for (_, sf), (_, sr) in zip(d_fake, d_real)])
    for variables, loss in [(model.generator.trainable_variables, loss_g),
                            (model.discriminator.trainable_variables, loss_d)]:
        grads = tape.gradient(loss, variables)
        assert len(variables) == len(grads) > 0
        for v, g in zip(variables, grads):
            assert g is not None, v.path
            g = g.numpy()
            assert np.all(np.isfinite(g)) and np.abs(g).max() > 0, v.path
    names = {v.path.rsplit("/", 1)[-1] for v in model.trainable_variables}
    assert names == {"g", "v", "bias"}
    assert len(model.trainable_variables) == 3 * (len(model.generator.conv_layers()) + 3 * 7)


def test_gradients_inside_tf_function():
    """Graph mode with unknown batch/length (as a custom train_step traces it), masking included, and a
    grouped (XLA) weight-normalised convolution."""
    keras.utils.set_random_seed(8)
    model = build_melgan(TINY)
    gen = model.generator
    spec = [tf.TensorSpec([None, None, TINY.n_mels]), tf.TensorSpec([None], tf.int32)]

    @tf.function(input_signature=spec)
    def generator_step(mel, valid):
        with tf.GradientTape() as tape:
            audio = gen(mel, valid_frames=valid, training=True)
            loss = tf.reduce_sum(audio ** 2)
        return audio, tape.gradient(loss, gen.trainable_variables)

    rng = np.random.default_rng(8)
    mel = _mel(rng, 2, 6, TINY.n_mels)
    audio, grads = generator_step(mel, tf.constant([6, 4]))
    assert audio.shape == (2, 6 * 256)
    np.testing.assert_allclose(audio.numpy(), gen(mel, valid_frames=np.array([6, 4])).numpy(), atol=1e-5)
    assert all(g is not None and np.abs(g.numpy()).max() > 0 for g in grads)

    conv = model.discriminator.discriminators[0].convs[2]  # 8 -> 16 channels, 4 groups, stride 4

    @tf.function
    def conv_step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(conv(x) ** 2)
        return tape.gradient(loss, [x] + conv.trainable_variables)

    grads = conv_step(tf.constant(rng.normal(size=(2, 50, 8)).astype(np.float32)))
    assert [tuple(g.shape) for g in grads] == [(2, 50, 8), (41, 2, 16), (16,), (16,)]
    assert all(np.abs(g.numpy()).max() > 0 for g in grads)


# ------------------------------------------------------------------------------ shapes, errors, ckpt


def test_discriminator_shapes_and_input_ranks():
    keras.utils.set_random_seed(5)
    disc = MultiScaleDiscriminator(TINY)
    audio = np.random.default_rng(5).uniform(-1, 1, (2, 1000)).astype(np.float32)
    out2, out3 = disc(audio), disc(audio[:, :, None])
    length = 1000
    for i, ((feats, score), (feats3, score3)) in enumerate(zip(out2, out3)):
        if i:
            length = length // 2 + 1  # AvgPool1d(4, 2, padding 2)
        lengths = [length]
        for _ in range(4):
            lengths.append((lengths[-1] - 1) // 4 + 1)  # Conv1d(k 41, stride 4, padding 20)
        lengths.append(lengths[-1])
        assert [tuple(f.shape) for f in feats] == [(2, n, c) for n, c in zip(lengths, TINY.disc_channels)]
        assert tuple(score.shape) == (2, lengths[-1], 1)
        np.testing.assert_allclose(score.numpy(), score3.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="samples"):
        disc(audio[:, :, None, None])


def test_bad_inputs_are_named(tiny_generator):
    with pytest.raises(ValueError, match=r"\[batch, frames, 12\].*\(1, 5, 80\)"):
        tiny_generator(np.zeros((1, 5, 80), np.float32))
    with pytest.raises(ValueError, match=r"mel must be .*\(3, 7\)"):
        generate_windowed(tiny_generator, np.zeros((3, 7), np.float32))
    with pytest.raises(ValueError, match="MelGANConfig.hop_length"):
        MelGANConfig(hop_length=200)
    with pytest.raises(ValueError, match="MelGANConfig.upsample_factors"):
        MelGANConfig(upsample_factors=(8, 8, 3), hop_length=192)
    with pytest.raises(ValueError, match="MelGANConfig.disc_groups"):
        MelGANConfig(disc_groups=(4, 16, 64, 3))
    with pytest.raises(ValueError, match="mel_divisor"):
        MelGANConfig(mel_divisor=0.0)


def test_checkpoint_roundtrip(tmp_path):
    keras.utils.set_random_seed(6)
    model = build_melgan(TINY)
    assert isinstance(model, MelGAN)
    rng = np.random.default_rng(6)
    for layer in model.generator.conv_layers():  # weights that differ from a fresh init
        layer.g.assign(rng.uniform(0.5, 1.5, layer.g.shape).astype(np.float32))
    mel = _mel(rng, 1, 5, TINY.n_mels)
    audio = rng.uniform(-1, 1, (1, 700)).astype(np.float32)
    save_checkpoint(model, tmp_path / "ckpt", "melgan", TINY)
    loaded, meta = load_checkpoint(tmp_path / "ckpt", kind="melgan", model_config=TINY)
    assert meta["kind"] == "melgan" and isinstance(loaded, MelGAN) and loaded.config == TINY
    np.testing.assert_array_equal(loaded(mel).numpy(), model(mel).numpy())
    for (_, a), (_, b) in zip(loaded.discriminator(audio), model.discriminator(audio)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ConfigMismatchError, match="generator_channels"):
        load_checkpoint(tmp_path / "ckpt", model_config=MelGANConfig(n_mels=12))
