"""TFLite export: static shapes, builtin ops, parity with the Keras models (and the PyTorch reference), the four
quantizations within measured bounds, every file in every available interpreter, config.json, the command.

Bounds for the quantized files (BENCHMARKS.md, "TFLite export", has the measurements on the reference weights
they come from, with the default N / F / W; these tests use smaller buffers for speed). The bounds leave 3-6x
room for other calibration data and interpreters; a broken quantization misses them by orders of magnitude:
  dynamic  student: frames within 5 % on average (phonemes rounding to another duration), DTW mel error < 0.05
           vocoder: SNR > 40 dB, max audio error < 0.02     (measured: 1.0-1.8 %, 0.007; 47.5 dB, 0.0058)
  float16  student: frames within 5 %, DTW mel error < 0.01
           vocoder: SNR > 60 dB, max audio error < 1e-3     (measured: 0.9-1.5 %, 0.0018; 68 dB, 2.7e-4)
  int8     student (decoder int8, durations float): identical frame counts, mean mel error < 0.05, max < 0.3
           vocoder: SNR > 24 dB, max audio error < 0.1      (measured: identical, 0.017, 0.086; 30-31 dB, 0.035)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from speedyspeech_tf import cli  # noqa: E402
from speedyspeech_tf.config import (SYMBOLS, AudioConfig, ConfigMismatchError, ExportConfig,  # noqa: E402
                                    MelGANConfig, StudentConfig, TextConfig)
from speedyspeech_tf.exporting import accuracy, calibration, sizing  # noqa: E402
from speedyspeech_tf.exporting.graphs import (MAX_SPEED, MIN_SPEED, keras_student_outputs,  # noqa: E402
                                              polyphase_kernel,
                                              upsample_polyphase, write_student_saved_model,
                                              write_vocoder_saved_model)
from speedyspeech_tf.exporting.pipeline import (Source, check_compatible, export_models,  # noqa: E402
                                                export_student_tflite, export_vocoder_tflite, load_student,
                                                load_vocoder)
from speedyspeech_tf.exporting.tflite import (ExportError, SignatureModel, check_model,  # noqa: E402
                                              convert_saved_model, inspect_model, interpreter_backends, smoke_run)
from speedyspeech_tf.models.windows import default_context  # noqa: E402

TOL = 1e-4
SILENCE = np.float32(-11.5129)
BACKENDS = ["ai-edge-litert", "tflite-runtime", "tensorflow"]


def _backend(name):
    """Skip when the interpreter is not installed in this environment."""
    if name == "tflite-runtime":
        pytest.importorskip("tflite_runtime.interpreter")
    elif name == "ai-edge-litert":
        pytest.importorskip("ai_edge_litert.interpreter")
    if name not in interpreter_backends():
        pytest.skip(f"{name} cannot be imported here")
    return name


# --------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def models(reference_dir):
    return (load_student(reference_dir / "student_seed0.pth"), load_vocoder(reference_dir / "melgan_seed0.pth"))


@pytest.fixture(scope="module")
def float32_export(models, tmp_path_factory):
    """The reference checkpoints exported once (float32, default N / F / W / C)."""
    out = tmp_path_factory.mktemp("export") / "float32"
    result = export_models(models[0], models[1], out, "float32", evaluate=False, progress=False, log=None)
    return result


@pytest.fixture(scope="module")
def real_mel(reference_dir):
    mel = np.load(reference_dir / "mel_LJ001-0001.npy").astype(np.float32)  # [T, 80] natural-log mel
    assert mel.ndim == 2 and mel.shape[1] == 80
    return mel


def _sentence_inputs(n_slots, speeds=(1.0,), texts=calibration.EVALUATION_SENTENCES[:2]):
    sentences = calibration.builtin_sentences(texts, n_slots - 5)
    out = []
    for speed in speeds:
        out += calibration.student_inputs(sentences, n_slots, (speed,))
    return out


def _fixture_inputs(reference_dir, n_slots):
    with np.load(reference_dir / "student_seed0.npz") as d:
        phonemes, lengths = d["phonemes"], d["phoneme_lengths"]
    out = []
    for row, n in zip(phonemes, lengths):
        ids = np.zeros((1, n_slots), np.int32)
        ids[0, :n] = row[:n]
        out.append({"phoneme_ids": ids, "length": np.array([n], np.int32), "speed": np.array([1.0], np.float32)})
    return out


# ------------------------------------------------------------------------------------ float32: structure

def test_float32_export_writes_config_the_runtime_reads(float32_export, models):
    out = float32_export.out_dir
    for name in ("student.tflite", "vocoder.tflite", "config.json", "report.json", "report.md"):
        assert os.path.isfile(os.path.join(out, name)), name
    cfg = ExportConfig.load(out)
    assert cfg == float32_export.config
    assert (cfg.N, cfg.F, cfg.W, cfg.quantization) == (176, 1152, 128, "float32")
    assert cfg.C == default_context(MelGANConfig()) == 7
    assert cfg.vocoder_frames == 142 and cfg.vocoder_samples == 142 * 256
    assert cfg.audio == AudioConfig() and cfg.text.symbols == SYMBOLS and cfg.pad_symbols == 5
    assert cfg.student_inputs == ("phoneme_ids", "length", "speed")
    assert cfg.student_outputs == ("mel", "frames", "overflow", "durations")
    assert cfg.vocoder_inputs == ("mel",) and cfg.vocoder_outputs == ("audio",) and cfg.vocoder_output == "window"
    assert "student_seed0.pth" in cfg.student_source and "melgan_seed0.pth" in cfg.vocoder_source
    assert cfg.student_config["channels"] == 128 and cfg.vocoder_config["hop_length"] == 256
    assert "LJ Speech" in cfg.size_reasoning
    assert (cfg.min_speed, cfg.max_speed) == (MIN_SPEED, MAX_SPEED)
    # The TensorFlow-free runtime reads it with speedyspeech_tf.config alone.
    code = ("import sys; from speedyspeech_tf.config import ExportConfig; c = ExportConfig.load(sys.argv[1]); "
            "assert 'tensorflow' not in sys.modules; print(c.N, c.F, c.W, c.C, c.audio.sample_rate)")
    res = subprocess.run([sys.executable, "-c", code, out], capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["176", "1152", "128", "7", "22050"]


def test_float32_files_have_builtin_ops_static_shapes_and_the_signature(float32_export):
    cfg = float32_export.config
    s = check_model(os.path.join(float32_export.out_dir, cfg.student_file),
                    {"phoneme_ids": ((1, 176), "int32"), "length": ((1,), "int32"), "speed": ((1,), "float32")},
                    {"mel": ((1, 1152, 80), "float32"), "frames": ((1,), "int32"), "overflow": ((1,), "int32"),
                     "durations": ((1, 176), "int32")})
    v = check_model(os.path.join(float32_export.out_dir, cfg.vocoder_file),
                    {"mel": ((1, 142, 80), "float32")}, {"audio": ((1, 142 * 256), "float32")})
    # The length regulator is builtin arithmetic (cumsum + comparisons + matmul), no gather/scatter tricks.
    for op in ("CUMSUM", "BATCH_MATMUL", "CONV_2D"):
        assert s.ops[op] >= 1, op
    # The vocoder graph has no transposed convolution (no hybrid kernel in tflite-runtime 2.14) and none of the
    # ops a naive conversion of dilated/transposed convolutions produces.
    for op in ("TRANSPOSE_CONV", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "SHAPE", "CONCATENATION", "TRANSPOSE"):
        assert op not in v.ops, (op, v.histogram())
    assert v.ops["CONV_2D"] == 30 and v.ops["STRIDED_SLICE"] == 4  # 1 + 4 x (1 + 6) + 1 convs, 1 slice per upsampling


# ------------------------------------------------------------------------------------ float32: student

@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_student_equals_keras(float32_export, models, reference_dir, backend):
    backend = _backend(backend)
    student = models[0]
    cfg = float32_export.config
    model = SignatureModel(os.path.join(float32_export.out_dir, cfg.student_file), backend)
    inputs = _fixture_inputs(reference_dir, cfg.N) + _sentence_inputs(cfg.N, speeds=(1.0, 2.0, 0.5))
    frames = []
    for x in inputs:
        got = model(**x)
        want = keras_student_outputs(student.model, x["phoneme_ids"], x["length"], x["speed"], cfg.F, student.audio)
        assert got["mel"].shape == (1, cfg.F, 80) and got["mel"].dtype == np.float32
        assert got["frames"].dtype == np.int32 and got["overflow"].dtype == np.int32
        assert int(got["frames"][0]) == int(want["frames"][0])
        assert int(got["overflow"][0]) == int(want["overflow"][0]) == 0
        np.testing.assert_allclose(got["mel"], want["mel"], atol=TOL, rtol=0)
        n = int(got["frames"][0])
        assert 0 < n < cfg.F
        assert np.all(got["mel"][0, n:] == SILENCE)           # silence past the valid frames
        assert not np.any(got["mel"][0, :n] == SILENCE)
        frames.append(n)
    # speed 2.0 is about twice as fast, 0.5 about twice as slow (rounding per phoneme, at least 1 frame each)
    k = 2 + 0  # the built-in sentences start after the two fixture rows
    s1, s2, s05 = frames[k:k + 2], frames[k + 2:k + 4], frames[k + 4:k + 6]
    for a, b, c in zip(s1, s2, s05):
        assert 0.4 * a < b < 0.6 * a and 1.8 * a < c < 2.2 * a


def test_float32_student_reports_overflow_instead_of_truncating(float32_export, models):
    student = models[0]
    cfg = float32_export.config
    model = SignatureModel(os.path.join(float32_export.out_dir, cfg.student_file))
    long_text = " ".join(calibration.CALIBRATION_SENTENCES[4:7])
    x = calibration.student_inputs(calibration.builtin_sentences([long_text], cfg.max_text_symbols)[:1], cfg.N,
                                   (0.2,))[0]
    got = model(**x)
    want = keras_student_outputs(student.model, x["phoneme_ids"], x["length"], x["speed"], cfg.F, student.audio)
    assert int(want["overflow"][0]) == 1 and want["durations"].sum() > cfg.F
    assert int(got["overflow"][0]) == 1 and int(got["frames"][0]) == cfg.F
    np.testing.assert_allclose(got["mel"], want["mel"], atol=TOL, rtol=0)
    # the same sentence at normal speed fits
    x["speed"] = np.array([1.0], np.float32)
    got = model(**x)
    assert int(got["overflow"][0]) == 0 and int(got["frames"][0]) < cfg.F


@pytest.mark.parametrize("n_slots,n_frames", [(28, 95), (64, 300), ("default", "default")])
def test_student_tflite_matches_the_reference_sentence_by_sentence_at_any_buffer_size(models, reference_dir,
                                                                                       float32_export, tmp_path,
                                                                                       n_slots, n_frames):
    """The authors' inference.py, one sentence at a time (student_seed0_single.npz): the float32 export gives
    the same frame count and every mel frame within 1e-4 whatever N and F hold the sentence (positions past the
    sentence are re-zeroed inside the network, so the buffer's unused slots and frames never reach it)."""
    from speedyspeech_tf.reference.speedyspeech import single_sentences

    student = models[0]
    audio = student.audio
    if n_slots == "default":  # N = 176, F = 1152: the export every user gets
        n_slots = float32_export.config.N
        model = SignatureModel(os.path.join(float32_export.out_dir, "student.tflite"))
    else:
        model = SignatureModel(export_student_tflite(student.model, audio, n_slots, n_frames, workdir=tmp_path))
    with np.load(reference_dir / "student_seed0_single.npz") as d:
        fixture = {k: d[k] for k in d.files}
    for i, (ids, length) in enumerate(single_sentences(fixture)):
        mel_ref = fixture[f"mel_{i}"][0]
        buf = np.zeros((1, n_slots), np.int32)
        buf[0, :ids.shape[1]] = ids[0]
        got = model(phoneme_ids=buf, length=np.array([length], np.int32), speed=np.array([1.0], np.float32))
        assert int(got["overflow"][0]) == 0
        assert int(got["frames"][0]) == mel_ref.shape[0], (n_slots, n_frames, i)
        standardised = (got["mel"][0, :mel_ref.shape[0]] - np.float32(audio.mel_mean)) / np.float32(audio.mel_std)
        np.testing.assert_allclose(standardised, mel_ref, atol=TOL, rtol=0)


def test_student_export_follows_the_models_positional_encoding_and_clips_speed(tmp_path):
    from speedyspeech_tf.models.student import build_student

    keras.utils.set_random_seed(1)
    cfg = StudentConfig(channels=8, encoder_dilations=(1, 2), decoder_dilations=(1, 2), positional_encoding="phoneme")
    model = build_student(cfg)
    other = build_student(StudentConfig(**{**cfg.__dict__, "positional_encoding": "utterance"}))
    other.set_weights(model.get_weights())
    audio = AudioConfig()
    exported = SignatureModel(export_student_tflite(model, audio, 16, 48, workdir=tmp_path))
    rng = np.random.default_rng(0)
    for n, speed in ((9, 1.0), (11, 0.6), (11, 100.0)):
        ids = np.zeros((1, 16), np.int32)
        ids[0, :n] = rng.integers(2, 78, n)
        got = exported(phoneme_ids=ids, length=[n], speed=[speed])
        want = keras_student_outputs(model, ids, [n], [min(speed, MAX_SPEED)], 48, audio)
        assert int(got["frames"][0]) == int(want["frames"][0]) >= n
        np.testing.assert_allclose(got["mel"], want["mel"], atol=TOL, rtol=0)
        utterance_pe = keras_student_outputs(other, ids, [n], [min(speed, MAX_SPEED)], 48, audio)
        assert np.abs(utterance_pe["mel"] - got["mel"]).max() > 1e-3


# ------------------------------------------------------------------------------------ float32: vocoder

@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_vocoder_equals_keras(float32_export, models, real_mel, backend):
    backend = _backend(backend)
    cfg = float32_export.config
    model = SignatureModel(os.path.join(float32_export.out_dir, cfg.vocoder_file), backend)
    generator = models[1].model
    for start in (0, 300):
        window = real_mel[start:start + cfg.vocoder_frames][None]
        got = model(mel=window)["audio"]
        want = generator(tf.constant(window)).numpy()
        assert got.shape == (1, cfg.vocoder_samples) and got.dtype == np.float32
        assert np.abs(want).max() > 0.05
        np.testing.assert_allclose(got, want, atol=TOL, rtol=0)


def test_windowed_tflite_synthesis_equals_whole_utterance(float32_export, models, real_mel):
    cfg = float32_export.config
    model = SignatureModel(os.path.join(float32_export.out_dir, cfg.vocoder_file))
    generator = models[1].model
    run = lambda w: model(mel=w)["audio"]  # noqa: E731
    mel = real_mel[:400]                       # 4 windows: edges shifted to the utterance ends, interior centred
    stitched = accuracy.stitch_windows(run, mel, cfg.W, cfg.C, cfg.hop_length)
    whole = generator(tf.constant(mel[None])).numpy()[0]
    assert stitched.shape == whole.shape == (400 * 256,)
    np.testing.assert_allclose(stitched, whole, atol=TOL, rtol=0)
    # Too little context breaks it: the check is sensitive.
    short_context = accuracy.stitch_windows(lambda w: generator(tf.constant(w)).numpy(), mel, cfg.W + 2 * cfg.C - 4,
                                            2, cfg.hop_length)
    assert np.abs(short_context - whole).max() > 1e-3
    # A mel shorter than one call is padded with silence frames: the result is the generator on that padded mel.
    short = real_mel[200:260]
    padded = np.concatenate([short, np.full((cfg.vocoder_frames - 60, 80), SILENCE)])[None]
    got = accuracy.stitch_windows(run, short, cfg.W, cfg.C, cfg.hop_length)
    np.testing.assert_allclose(got, generator(tf.constant(padded)).numpy()[0, :60 * 256], atol=TOL, rtol=0)


def test_vocoder_tflite_matches_the_pytorch_reference(models, reference_dir, tmp_path):
    with np.load(reference_dir / "melgan_seed0.npz") as d:
        mel, audio = d["mel"], d["audio"]                 # [1, 80, 31] channels first, [1, 1, 7936]
    data = export_vocoder_tflite(models[1].model, mel.shape[2], workdir=tmp_path)
    got = SignatureModel(data)(mel=np.transpose(mel, (0, 2, 1)))["audio"]
    np.testing.assert_allclose(got, audio[:, 0], atol=TOL, rtol=0)


def test_polyphase_upsampling_equals_transposed_convolution():
    rng = np.random.default_rng(0)
    for f, c_in, c_out, t in ((8, 6, 5, 7), (2, 4, 3, 5), (4, 3, 2, 1)):
        kernel = rng.normal(size=(2 * f, c_out, c_in)).astype(np.float32)
        bias = rng.normal(size=c_out).astype(np.float32)
        x = rng.normal(size=(1, t, c_in)).astype(np.float32)
        want = tf.nn.conv1d_transpose(x, kernel, [1, t * f, c_out], f, "SAME").numpy() + bias
        pk, pb = polyphase_kernel(kernel, bias, f)
        assert pk.shape == (2, c_in, f * c_out)
        got = upsample_polyphase(tf.constant(x[:, None]), tf.constant(pk[None]), tf.constant(pb), f, c_out)
        np.testing.assert_allclose(got.numpy()[:, 0], want, atol=1e-5)
    with pytest.raises(ValueError, match="even stride"):
        polyphase_kernel(np.zeros((6, 2, 2), np.float32), np.zeros(2), 3)


# ------------------------------------------------------------------------------------------- quantized

QUANT_N, QUANT_F, QUANT_L = 64, 384, 31


@pytest.fixture(scope="module")
def quantized(models, real_mel, tmp_path_factory):
    """Smaller shapes for speed (same weights): SavedModels written once, converted three times."""
    student, vocoder = models
    tmp = tmp_path_factory.mktemp("quant")
    write_student_saved_model(student.model, tmp / "student", QUANT_N, QUANT_F, student.audio)
    write_vocoder_saved_model(vocoder.model, tmp / "vocoder", QUANT_L)
    cal_student = _sentence_inputs(QUANT_N, speeds=(1.0, 0.8, 1.25), texts=calibration.CALIBRATION_SENTENCES[:2])
    cal_windows = calibration.mel_windows([real_mel[:400]], QUANT_L, 6, stride=60)
    out = {}
    for q in ("dynamic", "float16", "int8"):
        s = convert_saved_model(tmp / "student", q, lambda: iter(cal_student),
                                int8_scopes=("decoder",) if q == "int8" else None)
        v = convert_saved_model(tmp / "vocoder", q, lambda: ({"mel": w} for w in cal_windows))
        out[q] = (s, v)
    return out


BOUNDS = {  # see the module docstring
    "dynamic": dict(frames_rel=0.05, dtw=0.05, snr=40.0, audio_max=0.02),
    "float16": dict(frames_rel=0.05, dtw=0.01, snr=60.0, audio_max=1e-3),
    "int8": dict(frames_rel=0.0, dtw=0.05, mel_mean=0.05, mel_max=0.3, snr=24.0, audio_max=0.1),
}


@pytest.mark.parametrize("quantization", ["dynamic", "float16", "int8"])
def test_quantized_files_stay_within_measured_bounds(quantized, models, real_mel, quantization):
    student, vocoder = models
    s_bytes, v_bytes = quantized[quantization]
    s_info = check_model(s_bytes, *_student_sig(QUANT_N, QUANT_F))
    v_info = check_model(v_bytes, {"mel": ((1, QUANT_L, 80), "float32")},
                         {"audio": ((1, QUANT_L * 256), "float32")})
    if quantization == "int8":
        assert s_info.ops["QUANTIZE"] >= 1 and v_info.ops["QUANTIZE"] >= 1
    elif quantization == "float16":
        assert s_info.ops["DEQUANTIZE"] > 50 and v_info.ops["DEQUANTIZE"] > 20  # float16 weights
    float_size = 17.0e6
    assert s_info.size_bytes < (0.7 if quantization == "int8" else 0.6) * float_size
    b = BOUNDS[quantization]
    # every file loads and runs in every interpreter available here
    eval_inputs = _sentence_inputs(QUANT_N, speeds=(1.0, 1.25))
    runs = smoke_run(s_bytes, eval_inputs[0])
    assert len(runs) >= 2
    smoke_run(v_bytes, {"mel": real_mel[500:500 + QUANT_L][None]})
    keras_run = lambda x: keras_student_outputs(student.model, x["phoneme_ids"], x["length"], x["speed"],  # noqa
                                                QUANT_F, student.audio)
    model = SignatureModel(s_bytes)
    acc = accuracy.compare_student(lambda x: model(**x), keras_run, eval_inputs)
    assert acc["overflow_mismatches"] == 0
    assert acc["frames_mean_relative_difference"] <= b["frames_rel"], acc
    assert acc["mel_dtw_mean_abs_error"] < b["dtw"], acc
    if "mel_mean" in b:
        assert acc["frame_mismatches"] == 0
        assert acc["mel_mean_abs_error"] < b["mel_mean"] and acc["mel_max_abs_error"] < b["mel_max"], acc
    assert acc["mel_dtw_mean_abs_error"] > 1e-6  # it is quantized, not the float model
    windows = calibration.mel_windows([real_mel[400:]], QUANT_L, 6)
    vmodel = SignatureModel(v_bytes)
    vacc = accuracy.compare_vocoder(lambda w: vmodel(mel=w)["audio"],
                                    lambda w: vocoder.model(tf.constant(w)).numpy(), windows)
    assert vacc["snr_db"] > b["snr"] and vacc["audio_max_abs_error"] < b["audio_max"], vacc
    assert vacc["audio_max_abs_error"] > 1e-6


def _student_sig(n, f):
    return ({"phoneme_ids": ((1, n), "int32"), "length": ((1,), "int32"), "speed": ((1,), "float32")},
            {"mel": ((1, f, 80), "float32"), "frames": ((1,), "int32"), "overflow": ((1,), "int32"),
             "durations": ((1, n), "int32")})


# ------------------------------------------------------------------------------------- loud failures

def _saved_model(tmp_path, fn, spec, module=None):
    module = module or tf.Module()
    module.f = tf.function(fn, input_signature=[spec])
    tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": module.f.get_concrete_function()})
    return tmp_path


def test_flex_ops_are_refused(tmp_path):
    path = _saved_model(tmp_path / "sm", lambda x: {"y": tf.math.erf(x)}, tf.TensorSpec([1, 4], tf.float32, name="x"))
    with pytest.raises(ExportError, match="Erf"):
        convert_saved_model(path)
    conv = tf.lite.TFLiteConverter.from_saved_model(str(path))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    flex = conv.convert()
    assert "CUSTOM:FlexErf" in inspect_model(flex).ops
    with pytest.raises(ExportError, match="FlexErf"):
        check_model(flex)


def test_resource_variable_ops_are_refused(tmp_path):
    class Accumulator(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = tf.Variable(tf.zeros([1, 4]))

    module = Accumulator()

    def fn(x):
        module.v.assign_add(x)
        return {"y": module.v.read_value()}

    path = _saved_model(tmp_path / "sm", fn, tf.TensorSpec([1, 4], tf.float32, name="x"), module)
    conv = tf.lite.TFLiteConverter.from_saved_model(str(path))
    conv.experimental_enable_resource_variables = True
    with pytest.raises(ExportError, match="VAR_HANDLE"):
        check_model(conv.convert())


def test_dynamic_shapes_and_wrong_signatures_are_refused(tmp_path):
    path = _saved_model(tmp_path / "sm", lambda x: {"y": x * 2.0}, tf.TensorSpec([1, None], tf.float32, name="x"))
    with pytest.raises(ExportError, match="dynamic shapes"):
        check_model(convert_saved_model(path))
    path = _saved_model(tmp_path / "sm2", lambda x: {"y": x * 2.0}, tf.TensorSpec([1, 3], tf.float32, name="x"))
    data = convert_saved_model(path)
    check_model(data, {"x": ((1, 3), "float32")}, {"y": ((1, 3), "float32")})
    with pytest.raises(ExportError, match="outputs are"):
        check_model(data, outputs={"audio": ((1, 3), "float32")})
    with pytest.raises(ExportError, match=r"expected float32 \[1, 4\]"):
        check_model(data, inputs={"x": ((1, 4), "float32")})
    with pytest.raises(ExportError, match="cannot read"):
        inspect_model(b"not a flatbuffer at all")


def test_export_refuses_mixed_audio_settings():
    student = Source("student", None, StudentConfig(), AudioConfig(), TextConfig(), "s")
    vocoder = Source("vocoder", None, MelGANConfig(), AudioConfig(sample_rate=16000), TextConfig(), "v")
    with pytest.raises(ConfigMismatchError, match="sample_rate: student 22050 != vocoder 16000"):
        check_compatible(student, vocoder)
    # The student's own standardisation statistics are not a mel-feature setting.
    check_compatible(student, Source("vocoder", None, MelGANConfig(), AudioConfig(mel_mean=-4.0), TextConfig(), "v"))
    with pytest.raises(ConfigMismatchError, match="n_mels"):
        check_compatible(Source("student", None, StudentConfig(n_mels=40), AudioConfig(), TextConfig(), "s"),
                         Source("vocoder", None, MelGANConfig(), AudioConfig(), TextConfig(), "v"))


def test_export_config_validation(tmp_path):
    with pytest.raises(ValueError, match="quantization"):
        ExportConfig(quantization="int4")
    with pytest.raises(ValueError, match="pad_symbols"):
        ExportConfig(max_phonemes=5)
    with pytest.raises(ValueError, match="student_int8"):
        ExportConfig(quantization="int8")
    with pytest.raises(FileNotFoundError, match="config.json"):
        ExportConfig.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"max_phonemes": 10, "bogus": 1}))
    with pytest.raises(ConfigMismatchError, match="bogus"):
        ExportConfig.load(tmp_path)


# ---------------------------------------------------------------------------------------- the command

TINY_AUDIO = AudioConfig()
TINY_STUDENT = StudentConfig(channels=8, encoder_dilations=(1, 2), decoder_dilations=(1, 2))
TINY_MELGAN = MelGANConfig(generator_channels=32, disc_channels=(4, 8, 16, 16, 16, 16), disc_groups=(2, 4, 4, 4))


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory):
    from speedyspeech_tf.checkpoint import save_checkpoint
    from speedyspeech_tf.models.melgan import build_melgan
    from speedyspeech_tf.models.student import build_student

    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("tiny")
    student = build_student(TINY_STUDENT)
    save_checkpoint(student, root / "student", "student", TINY_STUDENT, TINY_AUDIO)
    melgan = build_melgan(TINY_MELGAN)
    save_checkpoint(melgan, root / "melgan", "melgan", TINY_MELGAN, TINY_AUDIO)
    save_checkpoint(melgan, root / "melgan16k", "melgan", TINY_MELGAN, AudioConfig(sample_rate=16000))
    return root


def test_int8_export_with_a_dynamic_range_student(tiny_checkpoints, tmp_path, capsys):
    """--int8-student dynamic: full-integer vocoder, dynamic-range student (no QUANTIZE op, int8 weights)."""
    from speedyspeech_tf.exporting.tflite import inspect_model

    out = tmp_path / "out"
    code = cli.main(["export", "--student", str(tiny_checkpoints / "student"), "--vocoder",
                     str(tiny_checkpoints / "melgan"), "--quantize", "int8", "--int8-student", "dynamic",
                     "--out", str(out), "--calibration-samples", "2", "--max-phonemes", "32", "--max-frames", "96",
                     "--window", "16", "--no-eval", "--quiet"])
    assert code == 0, capsys.readouterr().err
    cfg = ExportConfig.load(out)
    assert (cfg.quantization, cfg.student_int8) == ("int8", "dynamic")
    student = inspect_model((out / "student.tflite").read_bytes())
    vocoder = inspect_model((out / "vocoder.tflite").read_bytes())
    assert "QUANTIZE" not in student.ops and vocoder.ops["QUANTIZE"] >= 1
    report = json.loads((out / "report.json").read_text())
    assert any("dynamic-range" in n for n in report["notes"])


def test_int16x8_is_not_an_export_choice(tiny_checkpoints, tmp_path, capsys):
    """int16x8 (measured for the vocoder by benchmarks/vocoder_quality.py: reference kernels, ~20x slower than
    float32) is refused by the export with the reason, instead of failing half-way through calibration."""
    from speedyspeech_tf.exporting.pipeline import export_models

    with pytest.raises(SystemExit):
        cli.main(["export", "--student", str(tiny_checkpoints / "student"), "--vocoder",
                  str(tiny_checkpoints / "melgan"), "--quantize", "int16x8", "--out", str(tmp_path / "o")])
    assert "int16x8" in capsys.readouterr().err
    with pytest.raises(ValueError, match="reference kernels"):
        export_models(str(tiny_checkpoints / "student"), str(tiny_checkpoints / "melgan"), str(tmp_path / "o"),
                      "int16x8", evaluate=False, progress=False, log=None)
    assert not (tmp_path / "o").exists()


def test_cli_exports_checkpoints_int8_with_a_calibration_cache(tiny_checkpoints, mini_cache, tmp_path, capsys):
    out, assets = tmp_path / "out", tmp_path / "assets"
    code = cli.main(["export", "--student", str(tiny_checkpoints / "student"), "--vocoder",
                     str(tiny_checkpoints / "melgan"), "--quantize", "int8", "--out", str(out),
                     "--calibration-cache", str(mini_cache), "--calibration-samples", "4", "--max-phonemes", "48",
                     "--max-frames", "160", "--window", "16", "--android-assets", str(assets), "--quiet"])
    assert code == 0, capsys.readouterr().err
    cfg = ExportConfig.load(out)
    assert (cfg.N, cfg.F, cfg.W, cfg.C, cfg.quantization, cfg.student_int8) == (48, 160, 16, 7, "int8", "decoder")
    assert "set on the command line" in cfg.size_reasoning
    assert str(mini_cache) in cfg.calibration and "4 student inputs" in cfg.calibration
    assert cfg.student_source.endswith("(checkpoint)") and cfg.student_config["channels"] == 8
    report = json.loads((out / "report.json").read_text())
    assert str(mini_cache) in report["data"]
    assert report["accuracy"]["student"]["sentences"] >= 1 and report["accuracy"]["vocoder"]["windows"] >= 1
    from speedyspeech_tf.android_assets import ASSET_FILES  # the front-end assets the Android app reads

    assert sorted(os.listdir(assets)) == sorted(["config.json", "student.tflite", "vocoder.tflite", *ASSET_FILES])
    assert (assets / "student.tflite").read_bytes() == (out / "student.tflite").read_bytes()
    for name in ("student.tflite", "vocoder.tflite"):
        smoke_run(out / name, None if name == "vocoder.tflite" else
                  calibration.student_inputs([calibration.Sentence([5, 6, 7], "t")], 48)[0])


def test_cli_errors_are_one_line(tiny_checkpoints, tmp_path, capsys):
    base = ["export", "--out", str(tmp_path / "o"), "--quiet"]
    code = cli.main(base + ["--student", str(tmp_path / "nope"), "--vocoder", str(tiny_checkpoints / "melgan")])
    err = capsys.readouterr().err
    assert code == 2 and "nope" in err and len(err.strip().splitlines()) == 1
    code = cli.main(base + ["--student", str(tiny_checkpoints / "student"), "--vocoder",
                            str(tiny_checkpoints / "melgan16k")])
    err = capsys.readouterr().err
    assert code == 2 and "sample_rate" in err and len(err.strip().splitlines()) == 1
    code = cli.main(base + ["--student", str(tiny_checkpoints / "student"), "--vocoder",
                            str(tiny_checkpoints / "melgan"), "--context", "3"])
    err = capsys.readouterr().err
    assert code == 2 and "receptive field" in err
    assert not (tmp_path / "o" / "student.tflite").exists()


# ------------------------------------------------------------------------------ N and F from LJ Speech

def test_default_buffer_sizes_follow_the_ljspeech_distribution(ljspeech_transcripts, ljspeech_mini):
    cfg = ExportConfig()
    texts = sizing.read_transcripts(ljspeech_transcripts)
    assert len(texts) == 13100
    counts = sizing.symbol_counts(texts[::10])          # every 10th transcript keeps this fast
    stats = sizing.sentence_length_stats(counts, cfg.pad_symbols)
    assert stats["p99"] + cfg.pad_symbols <= cfg.N       # split by the runtime: under 1 %
    assert stats["split_share"][176] <= 0.005
    assert 80 < stats["mean"] < 100
    rates = sizing.frames_per_symbol(ljspeech_mini)
    assert len(rates) == 32 and 5.0 < rates.mean() < 8.0
    assert sizing.overflow_rate(counts, rates, cfg.F) < 0.005
    assert sizing.overflow_rate(counts, rates, 896) > 0.01   # a smaller buffer would overflow noticeably
