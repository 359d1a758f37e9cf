"""speedyspeech_tf.audio: decoding (both backends), resampling, the reference's log-mel, the named scales."""
from __future__ import annotations

import os
import re

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from speedyspeech_tf import audio  # noqa: E402
from speedyspeech_tf.audio import (AudioError, destandardize, from_teacher_scale, load_wav, log_mel,  # noqa: E402
                                   save_wav, standardize, to_teacher_scale)
from speedyspeech_tf.config import AudioConfig  # noqa: E402

BACKENDS = ["tfio", "soundfile", "auto"]


def _sine(freq, seconds, rate, amp=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def _dominant_freq(y, rate):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / rate)[np.argmax(spec)]


@pytest.fixture(scope="module")
def lj_wav(ljspeech_mini):
    return ljspeech_mini / "wavs" / "LJ001-0001.wav"


# ------------------------------------------------------------------------------------------- features

def test_log_mel_matches_reference(lj_wav, reference_dir):
    ref = np.load(reference_dir / "mel_LJ001-0001.npy")
    samples, rate = load_wav(lj_wav)
    assert rate == 22050
    mel = log_mel(samples)
    assert mel.dtype == np.float32
    assert mel.shape == ref.shape == (len(samples) // 256 + 1, 80)
    err = np.abs(mel - ref).max()
    assert err <= 1e-3, f"max abs error {err} in log space"


@pytest.mark.parametrize("n", [1, 100, 255, 256, 257, 1023, 1024, 5000])
def test_frame_count(n):
    y = np.random.default_rng(n).uniform(-0.5, 0.5, n).astype(np.float32)
    mel = log_mel(y)
    assert mel.shape == (n // 256 + 1, 80)
    assert np.all(np.isfinite(mel)) and mel.min() >= np.log(1e-5) - 1e-6


def test_log_mel_floor_and_bad_input():
    mel = log_mel(np.zeros(2048, np.float32))
    np.testing.assert_allclose(mel, np.log(1e-5), rtol=0, atol=1e-6)  # silence is exactly the floor
    with pytest.raises(ValueError, match="mono"):
        log_mel(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match="int16"):
        log_mel(np.zeros(100, np.int16))
    with pytest.raises(ValueError, match="no samples"):
        log_mel(np.zeros(0, np.float32))


def test_log_mel_sine_lands_in_right_band():
    cfg = AudioConfig()
    mel = log_mel(_sine(1000.0, 1.0, 22050).astype(np.float32), cfg)
    band = int(np.argmax(mel[10]))
    centres = audio.mel_basis(cfg).argmax(axis=1) * cfg.sample_rate / cfg.n_fft  # peak bin of each filter (Hz)
    assert abs(centres[band] - 1000.0) < 60.0


# ------------------------------------------------------------------------------------------- decoding

@pytest.mark.parametrize("backend", BACKENDS)
def test_resample_and_mix_stereo_44k(tmp_path, backend):
    left, right = _sine(440.0, 1.0, 44100, 0.6), _sine(440.0, 1.0, 44100, 0.2)
    path = tmp_path / "stereo44.wav"
    sf.write(path, np.stack([left, right], axis=1), 44100, subtype="PCM_16")
    y, rate = load_wav(path, backend=backend)
    assert rate == 22050 and y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 22050) <= 1
    assert abs(_dominant_freq(y, 22050) - 440.0) < 2.0
    # mono is the channel mean: a 0.4-amplitude sine
    assert np.max(np.abs(y[1000:-1000])) == pytest.approx(0.4, abs=0.01)


def test_resample_to_other_rate(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, _sine(300.0, 0.5, 22050), 22050, subtype="PCM_16")
    y, rate = load_wav(path, sample_rate=16000, backend="soundfile")
    assert rate == 16000 and abs(len(y) - 8000) <= 1
    assert abs(_dominant_freq(y, 16000) - 300.0) < 3.0


@pytest.mark.parametrize("subtype,rate", [("PCM_16", 22050), ("PCM_24", 22050), ("FLOAT", 44100)])
def test_tfio_and_soundfile_agree(tmp_path, subtype, rate):
    data = np.stack([_sine(220.0, 0.7, rate, 0.3), _sine(330.0, 0.7, rate, 0.5)], axis=1)
    path = tmp_path / f"x_{subtype}.wav"
    sf.write(path, data, rate, subtype=subtype)
    a, _ = load_wav(path, backend="tfio")
    b, _ = load_wav(path, backend="soundfile")
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_backends_agree_on_ljspeech(lj_wav):
    a, _ = load_wav(lj_wav, backend="tfio")
    b, _ = load_wav(lj_wav, backend="soundfile")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, sf.read(lj_wav, dtype="float32")[0])


def test_auto_falls_back_when_tfio_is_unusable(lj_wav, monkeypatch):
    monkeypatch.setattr(audio, "_tfio", lambda: "No module named 'tensorflow_io'")
    y, _ = load_wav(lj_wav, backend="auto")
    np.testing.assert_array_equal(y, sf.read(lj_wav, dtype="float32")[0])
    with pytest.raises(AudioError, match=re.escape(str(lj_wav)) + ".*tensorflow_io"):
        load_wav(lj_wav, backend="tfio")


def test_auto_falls_back_when_tfio_op_fails(lj_wav, monkeypatch):
    class Broken:
        class audio:
            @staticmethod
            def AudioIOTensor(path):
                raise RuntimeError("op failed")

    expected, _ = load_wav(lj_wav, backend="tfio")  # before the op breaks
    monkeypatch.setattr(audio, "_tfio", lambda: Broken)
    y, rate = load_wav(lj_wav, backend="auto")
    # the fallback decodes the same samples (not just as many: a wrong scale, dtype or channel mix would differ)
    assert rate == 22050 and len(y) == len(expected) == 212893
    np.testing.assert_allclose(y, expected, atol=1e-6)
    with pytest.raises(AudioError, match="op failed"):
        load_wav(lj_wav, backend="tfio")


@pytest.fixture
def bad_files(tmp_path):
    sf.write(tmp_path / "silent.wav", np.zeros(22050), 22050, subtype="PCM_16")
    sf.write(tmp_path / "empty.wav", np.zeros(0), 22050, subtype="PCM_16")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage" * 4)
    (tmp_path / "text.wav").write_text("this is not audio")
    return tmp_path


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,why", [("silent.wav", "silent"), ("empty.wav", "empty"),
                                      ("corrupt.wav", "cannot decode"), ("text.wav", "cannot decode"),
                                      ("missing.wav", "not found")])
def test_errors_name_the_file(bad_files, backend, name, why):
    path = bad_files / name
    with pytest.raises(AudioError, match=re.escape(str(path)) + ".*" + why):
        load_wav(path, backend=backend)


def test_missing_file_is_also_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_wav(tmp_path / "nope.wav")
    with pytest.raises(ValueError, match="backend"):
        load_wav(tmp_path / "nope.wav", backend="ffmpeg")


def test_quiet_but_not_silent_is_accepted(tmp_path):
    path = tmp_path / "quiet.wav"
    sf.write(path, _sine(440.0, 0.2, 22050, 0.001), 22050, subtype="PCM_16")
    y, _ = load_wav(path)
    assert 0.0009 < np.abs(y).max() < 0.0011


def test_float_wav_is_clipped_to_unit_range(tmp_path):
    path = tmp_path / "loud.wav"
    sf.write(path, np.array([0.0, 1.7, -2.5, 0.5] * 100, np.float32), 22050, subtype="FLOAT")
    y, _ = load_wav(path, backend="soundfile")
    assert y.max() == 1.0 and y.min() == -1.0


# ------------------------------------------------------------------------------------------ save_wav

def test_save_wav_roundtrip_and_clipping(tmp_path):
    y = np.array([0.0, 0.25, -0.5, 1.5, -3.0], np.float32)
    path = tmp_path / "sub" / "out.wav"
    save_wav(path, y, 22050)
    info = sf.info(path)
    assert info.subtype == "PCM_16" and info.samplerate == 22050 and info.channels == 1
    back, _ = sf.read(path, dtype="int16")
    np.testing.assert_array_equal(back, [0, 8192, -16384, 32767, -32768])
    with pytest.raises(ValueError, match=re.escape(str(path))):
        save_wav(path, np.array([0.0, np.nan]), 22050)
    with pytest.raises(ValueError, match="mono"):
        save_wav(path, np.zeros((100, 2)), 22050)


def test_int16_conversion_round_trips():
    pcm = np.array([-32768, -1, 0, 1, 32767], np.int16)
    np.testing.assert_array_equal(audio.float_to_int16(audio.int16_to_float(pcm)), pcm)


# -------------------------------------------------------------------------------------- named scales

def test_scales_numpy():
    cfg = AudioConfig()
    x = np.linspace(-11.5129, 2.0584, 50, dtype=np.float32).reshape(5, 10)
    s = standardize(x, cfg)
    assert s.dtype == np.float32
    assert standardize(np.float32(-5.522), cfg) == pytest.approx(0.0, abs=1e-6)
    assert standardize(np.float32(-5.522 + 2.063), cfg) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(destandardize(s, cfg), x, atol=1e-5)
    t = to_teacher_scale(x, cfg)
    assert t.dtype == np.float32
    assert t.min() == pytest.approx(0.0, abs=1e-6) and t.max() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(from_teacher_scale(t, cfg), x, atol=1e-5)
    # outside [min, max] the reference clamps to [0, 1]
    out = to_teacher_scale(np.array([-20.0, 5.0], np.float32), cfg)
    np.testing.assert_array_equal(out, [0.0, 1.0])


def test_scales_tensorflow():
    import tensorflow as tf

    x = np.array([[-20.0, -11.5129, -5.0, 2.0584, 4.0]], np.float32)
    t = to_teacher_scale(tf.constant(x))
    assert isinstance(t, tf.Tensor) and t.dtype == tf.float32
    np.testing.assert_allclose(t.numpy(), to_teacher_scale(x), atol=1e-7)
    s = standardize(tf.constant(x))
    np.testing.assert_allclose(destandardize(s).numpy(), x, atol=1e-5)
    np.testing.assert_allclose(from_teacher_scale(t).numpy(), from_teacher_scale(to_teacher_scale(x)), atol=1e-6)

    @tf.function
    def graph(v):
        return to_teacher_scale(standardize(v))

    np.testing.assert_allclose(graph(tf.constant(x)).numpy(), to_teacher_scale(standardize(x)), atol=1e-6)
