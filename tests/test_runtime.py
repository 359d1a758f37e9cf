"""The TensorFlow-free runtime (speedyspeech_tf.runtime), the speedyspeech-synth command and export/synthesize.py.

One small float32 export of the authors' reference checkpoints (student_seed0.pth + melgan_seed0.pth: random
weights, the real architecture) is made once per session with N = 64 phoneme slots, F = 384 frames and a
vocoder window of W = 32 (+ 2 x 7 context) frames, so that sentences are chunked, windows are stitched and slow
speech overflows, all within a second of synthesis. The export takes ~20-50 s (CPU load); the rest ~40 s.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from speedyspeech_tf.config import ExportConfig, load_json, save_json  # noqa: E402
from speedyspeech_tf.runtime import (PAD_FRAMES, AtomicWavWriter, Synthesizer, available_runtimes,  # noqa: E402
                                     read_wav, split_in_two)
from speedyspeech_tf.runtime.cli import main as synth_main  # noqa: E402
from speedyspeech_tf.text import SPACE_ID, SYMBOL_TO_ID, chunk_ids, split_sentences, text_to_ids  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
N, F, W = 64, 384, 32
SENTENCE = "This is a test of the runtime, which reads text aloud."
# A paragraph whose second sentence is longer than N - 5 = 59 symbols.
PARAGRAPH = ("Hello world. The quick brown fox jumps over the lazy dog, and then it runs far away into the "
             "dark green forest, where nobody can find it again. The end!")


@pytest.fixture(scope="session")
def model_dir(reference_dir, tmp_path_factory) -> Path:
    from speedyspeech_tf.exporting.pipeline import export_models

    out = tmp_path_factory.mktemp("runtime_export") / "model"
    export_models(reference_dir / "student_seed0.pth", reference_dir / "melgan_seed0.pth", out, "float32",
                  max_phonemes=N, max_frames=F, window=W, evaluate=False, progress=False, log=None)
    return out


@pytest.fixture(scope="session")
def synth(model_dir) -> Synthesizer:
    return Synthesizer(model_dir, threads=1, runtime="ai-edge-litert")


@pytest.fixture(scope="module")
def keras_models(reference_dir):
    """The reference checkpoints as Keras models (student, MelGAN generator)."""
    from speedyspeech_tf.exporting.pipeline import load_student, load_vocoder

    return load_student(reference_dir / "student_seed0.pth"), load_vocoder(reference_dir / "melgan_seed0.pth")


def _run_cli(args, capsys):
    code = synth_main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _wav_info(path):
    with wave.open(str(path), "rb") as w:
        return w.getnframes(), w.getframerate(), w.getsampwidth(), w.getnchannels()


# ------------------------------------------------------------------------------------- no TensorFlow

_NO_TF = textwrap.dedent("""
    import importlib.abc, json, runpy, sys
    BLOCKED = {"tensorflow", "keras", "tf_keras", "librosa", "soundfile", "torch", "jax"} | set(sys.argv[2:])

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, Block())
    model_dir = sys.argv[1]
    from speedyspeech_tf.runtime import Synthesizer
    from speedyspeech_tf.runtime.cli import main
    synth = Synthesizer(model_dir)
    audio, sr = synth.synthesize("Hello world. It works without TensorFlow.")
    result = {"runtime": synth.runtime, "samples": int(audio.size), "sr": sr,
              "frames": synth.last_stats.chunk_frames, "finite": bool(abs(audio).max() <= 1.0)}
    result["cli"] = main(["--model-dir", model_dir, "--text", "Hello again.", "--out", model_dir + "/../cli.wav",
                          "--quiet"])
    result["cli_tensorflow"] = main(["--model-dir", model_dir, "--text", "Hi.", "--out", model_dir + "/../tf.wav",
                                     "--runtime", "tensorflow"])
    sys.argv = ["synthesize.py", "--model-dir", model_dir, "--text", "And the plain script.",
                "--out", model_dir + "/../script.wav"]
    try:
        runpy.run_path(SCRIPT, run_name="__main__")
    except SystemExit as e:
        result["script"] = e.code
    result["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    result["tensorflow_in_sys_modules"] = "tensorflow" in sys.modules
    print("RESULT " + json.dumps(result))
""")


def _run_without_tf(model_dir, tmp_path, *extra_blocked):
    work = tmp_path / "work"
    work.mkdir()
    local = work / "model"
    shutil.copytree(model_dir, local)
    code = _NO_TF.replace("SCRIPT", repr(str(REPO / "export" / "synthesize.py")))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code, str(local), *extra_blocked], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):]), proc.stderr, work


def test_synthesis_runs_with_tensorflow_unimportable(model_dir, tmp_path):
    result, stderr, work = _run_without_tf(model_dir, tmp_path)
    assert result["runtime"] == "ai-edge-litert"
    assert result["loaded"] == [] and result["tensorflow_in_sys_modules"] is False
    assert result["sr"] == 22050 and result["samples"] == sum(result["frames"]) * 256 > 0
    assert result["finite"]
    assert result["cli"] == 0 and _wav_info(work / "cli.wav")[0] > 0
    assert result["script"] == 0 and _wav_info(work / "script.wav")[0] > 0
    # Forcing TensorFlow's interpreter when TensorFlow cannot be imported: exit 2, one line, no file.
    assert result["cli_tensorflow"] == 2
    assert "speedyspeech-synth: error: TFLite interpreter 'tensorflow' is not available" in stderr
    assert not (work / "tf.wav").exists()


@pytest.mark.skipif("tflite-runtime" not in available_runtimes(), reason="tflite-runtime is not installed")
def test_auto_falls_back_to_tflite_runtime(model_dir, tmp_path):
    result, _, _ = _run_without_tf(model_dir, tmp_path, "ai_edge_litert")
    assert result["runtime"] == "tflite-runtime"
    assert result["loaded"] == [] and result["cli"] == 0 and result["script"] == 0


# ----------------------------------------------------------------------------------------- correctness

def test_wav_length_rate_and_json_fields(model_dir, tmp_path, capsys):
    out = tmp_path / "a.wav"
    code, stdout, err = _run_cli(["--model-dir", model_dir, "--text", PARAGRAPH, "--out", out, "--json",
                                  "--threads", "2"], capsys)
    assert code == 0, err
    stats = json.loads(stdout)
    n, rate, width, channels = _wav_info(out)
    cfg = ExportConfig.load(model_dir)
    assert (rate, width, channels) == (cfg.audio.sample_rate, 2, 1)
    assert n == sum(stats["chunk_frames"]) * cfg.hop_length == stats["audio_samples"]
    for key in ("audio_seconds", "synthesis_seconds", "rtf", "first_audio_seconds", "student_seconds",
                "vocoder_seconds", "threads", "quantization", "runtime"):
        assert key in stats, key
    assert stats["audio_seconds"] == pytest.approx(n / rate, abs=1e-5)
    assert stats["rtf"] == pytest.approx(stats["synthesis_seconds"] / stats["audio_seconds"], rel=1e-3)
    assert 0 < stats["first_audio_seconds"] <= stats["synthesis_seconds"]
    assert 0 < stats["student_seconds"] + stats["vocoder_seconds"] <= stats["synthesis_seconds"]
    assert stats["threads"] == 2 and stats["quantization"] == "float32" and stats["runtime"] == "ai-edge-litert"
    assert stats["sentences"] == 3 and stats["chunks"] == len(stats["chunk_frames"]) >= 4
    # 16-bit PCM of the same audio the API gives
    audio, _ = read_wav(out)
    assert np.abs(audio).max() > 0.01


def test_matches_the_authors_inference_recipe_with_keras_models(synth, keras_models):
    """Student with 5 padding symbols, mel past the predicted length = -11.5129, 5 such frames appended, the
    generator run once on the whole thing and the audio of the appended frames trimmed."""
    import tensorflow as tf

    from speedyspeech_tf.exporting.graphs import keras_student_outputs

    student, vocoder = keras_models
    cfg = synth.config
    (ids,) = synth.text_chunks(SENTENCE)
    slots = np.zeros((1, cfg.N), np.int32)
    slots[0, :len(ids)] = ids  # >= 5 padding ids follow
    ref = keras_student_outputs(student.model, slots, [len(ids)], [1.0], cfg.F, cfg.audio)
    T = int(ref["frames"][0])
    mel = np.concatenate([ref["mel"][0, :T], np.full((PAD_FRAMES, 80), -11.5129, np.float32)])
    expected = vocoder.model(tf.constant(mel[None]), training=False).numpy().reshape(-1)[:T * 256]

    audio, sr = synth.synthesize(SENTENCE)
    assert synth.last_stats.chunk_frames == [T] and T + PAD_FRAMES > cfg.vocoder_frames  # several windows
    assert synth.last_stats.vocoder_calls == len(range(0, T, cfg.W))
    assert audio.shape == expected.shape
    np.testing.assert_allclose(audio, expected, atol=2e-5)
    assert np.abs(expected).max() > 0.1


def test_stitched_windows_equal_one_pass(synth, keras_models):
    import tensorflow as tf

    _, vocoder = keras_models
    cfg = synth.config
    rng = np.random.default_rng(0)
    silence = np.float32(cfg.silence_log_mel)
    for T in (1, 20, cfg.vocoder_frames - PAD_FRAMES, cfg.vocoder_frames, 3 * cfg.W + 1, 200):
        mel = (rng.standard_normal((T, 80)) - 5.0).astype(np.float32)
        padded = np.concatenate([mel, np.full((PAD_FRAMES, 80), silence, np.float32)])
        if padded.shape[0] < cfg.vocoder_frames:  # one call of the static-shape vocoder, silence at the end
            padded = np.concatenate([padded, np.full((cfg.vocoder_frames - padded.shape[0], 80), silence,
                                                     np.float32)])
        whole = vocoder.model(tf.constant(padded[None]), training=False).numpy().reshape(-1)[:T * 256]
        pieces = list(synth.iter_vocode(mel))
        assert sum(p.size for p in pieces) == T * 256
        assert len(pieces) == (len(range(0, T, cfg.W)) if T + PAD_FRAMES > cfg.vocoder_frames else 1)
        np.testing.assert_allclose(np.concatenate(pieces), whole, atol=2e-5, err_msg=f"T = {T}")


def test_interpreters_give_the_same_audio(model_dir, synth):
    text = "Hello world. " + SENTENCE
    reference, _ = synth.synthesize(text)
    frames = synth.last_stats.chunk_frames
    others = [r for r in ("tflite-runtime", "tensorflow") if r in available_runtimes()]
    assert "tflite-runtime" in others, "tflite-runtime (a dev dependency) should be installed"
    for runtime in others:
        other = Synthesizer(model_dir, runtime=runtime, warm_up=False)
        audio, _ = other.synthesize(text)
        assert other.runtime == runtime and other.last_stats.runtime == runtime
        assert other.last_stats.chunk_frames == frames, runtime
        np.testing.assert_allclose(audio, reference, atol=1e-4, err_msg=runtime)


def test_stream_yields_windows_as_they_are_ready(synth):
    whole, _ = synth.synthesize(PARAGRAPH)
    calls = []
    pieces = []
    for piece in synth.stream(PARAGRAPH, progress=lambda done, total: calls.append((done, total))):
        pieces.append(piece)
        if len(pieces) == 1:  # the first window arrives before the rest is synthesised
            assert synth.last_stats.vocoder_calls == 1 and not synth.last_stats.complete
    stats = synth.last_stats
    assert stats.complete and len(pieces) == stats.vocoder_calls
    # A window gives at most W frames of audio; a chunk shorter than one call gives all of it at once.
    longest = max(synth.config.W, synth.config.vocoder_frames - PAD_FRAMES) * synth.hop_length
    assert all(p.dtype == np.float32 and 0 < p.size <= longest for p in pieces)
    np.testing.assert_array_equal(np.concatenate(pieces), whole)
    assert calls[-1] == (len(synth.text_chunks(PARAGRAPH)),) * 2
    assert 0 < stats.first_audio_seconds < stats.synthesis_seconds


def test_stdout_streams_the_same_pcm_as_the_wav(model_dir, tmp_path, capsysbinary):
    assert synth_main(["--model-dir", str(model_dir), "--text", SENTENCE, "--out", "-", "--json"]) == 0
    captured = capsysbinary.readouterr()
    assert synth_main(["--model-dir", str(model_dir), "--text", SENTENCE, "--out", str(tmp_path / "s.wav")]) == 0
    with wave.open(str(tmp_path / "s.wav"), "rb") as w:
        frames = w.readframes(w.getnframes())
    assert captured.out == frames and len(frames) > 0
    stats = json.loads(captured.err.decode().strip().splitlines()[-1])  # JSON goes to stderr with --out -
    assert stats["audio_samples"] * 2 == len(frames)


# ----------------------------------------------------------------------------------- chunks and overflow

def test_long_paragraph_is_chunked_to_the_student_slots(synth):
    cfg = synth.config
    limit = cfg.N - cfg.pad_symbols
    chunks = synth.text_chunks(PARAGRAPH)
    sentences = split_sentences(PARAGRAPH)
    assert len(sentences) == 3 and len(text_to_ids(sentences[1])) > limit
    expected = [c for s in sentences for c in chunk_ids(text_to_ids(s), limit)]
    assert chunks == expected and len(chunks) > len(sentences)
    assert all(0 < len(c) <= limit for c in chunks)
    # The long sentence's chunks, joined with spaces, give back its ids (split at punctuation/word boundaries).
    long_chunks = chunk_ids(text_to_ids(sentences[1]), limit)
    joined = [i for c in long_chunks for i in c + [SPACE_ID]][:-1]
    assert joined == text_to_ids(sentences[1])
    audio, _ = synth.synthesize(PARAGRAPH)
    stats = synth.last_stats
    assert stats.chunk_symbols == [len(c) for c in chunks] and stats.resplits == 0
    assert audio.size == sum(stats.chunk_frames) * synth.hop_length
    assert all(f < cfg.F for f in stats.chunk_frames)


def test_overflow_resplits_the_chunk(synth):
    cfg = synth.config
    (ids,) = synth.text_chunks(SENTENCE)
    mel, frames, overflow = synth.models.student(ids, 0.5)
    assert overflow and frames == cfg.F  # too long for F frames when spoken at half speed
    audio, _ = synth.synthesize(SENTENCE, speed=0.5)
    stats = synth.last_stats
    assert stats.resplits >= 1 and stats.chunks == stats.resplits + 1
    assert stats.student_calls == 2 * stats.resplits + 1
    assert all(f < cfg.F for f in stats.chunk_frames)
    assert audio.size == sum(stats.chunk_frames) * synth.hop_length
    # The pieces cover the chunk: every symbol except the spaces at the cuts.
    assert len(ids) - stats.resplits <= sum(stats.chunk_symbols) <= len(ids)
    slow = sum(stats.chunk_frames)
    synth.synthesize(SENTENCE, speed=1.0)
    assert slow > 1.5 * sum(synth.last_stats.chunk_frames)


def test_a_chunk_that_cannot_be_split_is_an_error(synth, monkeypatch):
    def always_overflow(ids, speed=1.0):
        return np.zeros((synth.config.F, 80), np.float32), synth.config.F, True

    monkeypatch.setattr(synth.models, "student", always_overflow)
    with pytest.raises(ValueError, match="need more than the student's 384 frames"):
        synth.synthesize("Hi.")


def test_split_in_two_prefers_punctuation_then_spaces_near_the_middle():
    ids = text_to_ids("one two three, four five six seven")
    comma = SYMBOL_TO_ID[","]
    a, b = split_in_two(ids)
    assert a[-1] == comma and a + [SPACE_ID] + b == ids
    ids = text_to_ids("one two three four")
    a, b = split_in_two(ids)
    assert a + [SPACE_ID] + b == ids and a == text_to_ids("one two")
    word = text_to_ids("supercalifragilistic")
    a, b = split_in_two(word)
    assert a + b == word and abs(len(a) - len(b)) <= 1
    assert split_in_two(text_to_ids("a")[:1]) is None
    assert split_in_two([SPACE_ID, 5, SPACE_ID]) is None


# ------------------------------------------------------------------------------------------ bad input

def _broken_copy(model_dir, tmp_path, edit=None, remove=None, truncate=None):
    bad = tmp_path / "bad_model"
    bad.mkdir()
    for name in os.listdir(model_dir):
        if name != remove:
            os.symlink(model_dir / name, bad / name)
    if truncate:
        (bad / truncate).unlink()
        (bad / truncate).write_bytes((model_dir / truncate).read_bytes()[:1000])
    if edit:
        data = load_json(model_dir / "config.json")
        data.update(edit)
        (bad / "config.json").unlink()
        save_json(data, bad / "config.json")
    return bad


@pytest.mark.parametrize("case, message", [
    ("empty", "empty text"),
    ("blank", "empty text"),
    ("unpronounceable", "nothing pronounceable"),
    ("speed", "speed 0.01 is outside"),
    ("no_dir", "no such model directory"),
    ("no_vocoder", "vocoder.tflite: missing"),
    ("truncated", "student.tflite: truncated or corrupt TFLite file"),
    ("wrong_N", "student input 'phoneme_ids' is int32 [1, 64] but config.json (max_phonemes N = 80)"),
    ("wrong_F", "student output 'mel' is float32 [1, 384, 80]"),
    ("wrong_W", "vocoder input 'mel' is float32 [1, 46, 80] but config.json (W + 2C = 64 + 2 x 7"),
    ("small_context", "smaller than the vocoder's receptive field"),
    ("bad_config", "not a valid export config"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(model_dir, tmp_path, capsys, case, message):
    text, speed, directory = SENTENCE, "1.0", model_dir
    if case == "empty":
        text = ""
    elif case == "blank":
        text = "  \n\t "
    elif case == "unpronounceable":
        text = "... -- ?! \u2603 \u4e2d"
    elif case == "speed":
        speed = "0.01"
    elif case == "no_dir":
        directory = tmp_path / "missing"
    elif case == "no_vocoder":
        directory = _broken_copy(model_dir, tmp_path, remove="vocoder.tflite")
    elif case == "truncated":
        directory = _broken_copy(model_dir, tmp_path, truncate="student.tflite")
    elif case == "wrong_N":
        directory = _broken_copy(model_dir, tmp_path, edit={"max_phonemes": 80})
    elif case == "wrong_F":
        directory = _broken_copy(model_dir, tmp_path, edit={"max_frames": 512})
    elif case == "wrong_W":
        directory = _broken_copy(model_dir, tmp_path, edit={"vocoder_window": 64})
    elif case == "small_context":
        directory = _broken_copy(model_dir, tmp_path, edit={"vocoder_window": 36, "vocoder_context": 5})
    elif case == "bad_config":
        directory = _broken_copy(model_dir, tmp_path, edit={"quantization": "int4"})
    out = tmp_path / "out.wav"
    out.write_bytes(b"previous file")
    code, stdout, err = _run_cli(["--model-dir", directory, "--text", text, "--out", out, "--speed", speed,
                                  "--json"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("speedyspeech-synth: error: "), err
    assert message in lines[0]
    assert stdout == ""
    assert out.read_bytes() == b"previous file"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_usage_errors_and_missing_output_directory(model_dir, tmp_path, capsys):
    code, _, err = _run_cli(["--model-dir", model_dir, "--text", "Hi.", "--out", tmp_path / "x.wav",
                             "--threads", "0"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--threads" in err
    code, _, err = _run_cli(["--model-dir", model_dir, "--text", "Hi.", "--out", tmp_path / "no" / "x.wav"],
                            capsys)
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
    assert synth_main(["--help"]) == 0 and "--model-dir" in capsys.readouterr().out
    # As a process: the interpreter's own "INFO: Created TensorFlow Lite XNNPACK delegate" line is silenced,
    # so stderr holds exactly the one error line (the models load before the speed is rejected).
    proc = subprocess.run([sys.executable, "-m", "speedyspeech_tf.runtime.cli", "--model-dir", str(model_dir),
                           "--text", "Hi.", "--out", str(tmp_path / "y.wav"), "--speed", "20"],
                          capture_output=True, text=True, cwd=str(REPO), timeout=300)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "speedyspeech-synth: error: speed 20.0 is outside [0.1, 10.0] (1.0 = as trained, 2.0 = twice as fast)"]
    assert not (tmp_path / "y.wav").exists()


def test_stdin_text_and_api_errors(model_dir, synth, tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("Read from standard input."))
    code, _, err = _run_cli(["--model-dir", model_dir, "--out", tmp_path / "in.wav", "--quiet"], capsys)
    assert code == 0, err
    assert _wav_info(tmp_path / "in.wav")[0] > 0
    with pytest.raises(ValueError, match="empty text"):
        synth.stream("")
    with pytest.raises(ValueError, match="outside"):
        synth.stream("Hi.", speed=float("nan"))
    with pytest.raises(TypeError):
        synth.synthesize(b"bytes")
    with pytest.raises(ValueError, match="threads"):
        Synthesizer(model_dir, threads=0)
    with pytest.raises(ValueError, match="expected one of"):
        Synthesizer(model_dir, runtime="onnx")


def test_atomic_wav_writer_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x.wav"
    with pytest.raises(RuntimeError):
        with AtomicWavWriter(target, 22050) as w:
            w.write(np.zeros(100, np.float32))
            raise RuntimeError("synthesis failed")
    assert list(tmp_path.iterdir()) == []
    with AtomicWavWriter(target, 16000) as w:
        w.write(np.array([0.0, 0.5, -1.0, 2.0], np.float32))  # clipped to full scale
    audio, sr = read_wav(target)
    assert sr == 16000 and np.allclose(audio, [0.0, 0.5, -1.0, 1.0], atol=1e-4)


# ------------------------------------------------------------------ timestamps, streaming, input control

def _timeline_checks(synth, audio):
    """The timeline tiles the audio exactly: segments are contiguous from 0 to the last sample, words and
    phonemes are monotonic and inside the audio, and the JSON agrees with the samples."""
    tl = synth.last_timeline
    assert tl.exact and tl.samples == audio.size
    assert [w.index for w in tl.words] == list(range(len(tl.words)))  # each word's index is its position
    pos = 0
    for seg in tl.segments:
        assert seg.start_sample == pos and seg.end_sample >= seg.start_sample
        pos = seg.end_sample
    assert pos == audio.size  # the sum of all durations and pauses is the audio length, to the sample
    d = synth.timestamps()
    assert d["samples"] == audio.size and d["duration"] == pytest.approx(audio.size / synth.sample_rate, abs=1e-6)
    prev_end = 0.0
    for w in d["words"]:
        assert prev_end <= w["start"] < w["end"] <= d["duration"]
        assert w["phonemes"][0]["start"] == w["start"] and w["phonemes"][-1]["end"] == w["end"]
        for p, q in zip(w["phonemes"], w["phonemes"][1:]):
            assert p["start"] <= p["end"] == q["start"]
        prev_end = w["end"]
    return d


def test_timestamps_cover_the_audio_and_follow_the_durations(synth):
    audio, _ = synth.synthesize(PARAGRAPH)
    d = _timeline_checks(synth, audio)
    assert [w["text"] for w in d["words"]][:4] == ["Hello", "world", "The", "quick"]
    assert len(d["words"]) == 30
    # the words' phonemes are the front end's, and their frames are the student's durations
    (ids,) = synth.text_chunks("Hello world.")
    synth.models.student(ids, 1.0)
    durations = synth.models.last_durations
    hello = d["words"][0]
    hop = synth.hop_length / synth.sample_rate
    assert [p["symbol"] for p in hello["phonemes"]] == ["HH", "AH0", "L", "OW1"]
    assert [round((p["end"] - p["start"]) / hop) for p in hello["phonemes"]] == list(durations[:4])
    # a word of the first chunk ends where its last phoneme's frames end: the mel frames are the durations' sum
    assert synth.last_stats.chunk_frames[0] == int(durations.sum())


def test_timestamps_with_speed_overflow_resplits_and_silences(synth):
    audio, _ = synth.synthesize(SENTENCE, speed=0.5)  # overflows, re-split
    assert synth.last_stats.resplits >= 1
    _timeline_checks(synth, audio)
    sr = synth.sample_rate
    audio, _ = synth.synthesize("One, two. Three four. Five.", sentence_silence=0.25, comma_silence=0.1)
    d = _timeline_checks(synth, audio)
    pauses = [s for s in synth.last_timeline.segments if s.kind == "pause"]
    assert [s.end_sample - s.start_sample for s in pauses] == [round(0.1 * sr), round(0.25 * sr), round(0.25 * sr)]
    assert all(not audio[s.start_sample:s.end_sample].any() for s in pauses)  # exactly silent
    stats = synth.last_stats
    assert stats.chunks == 4 and stats.pauses == 3  # "One," is a phrase of its own: a comma silence follows it
    assert audio.size == sum(stats.chunk_frames) * synth.hop_length + round(0.1 * sr) + 2 * round(0.25 * sr)
    words = [w["text"] for w in d["words"]]
    assert words == ["One", "two", "Three", "four", "Five"]


def test_ssml_break_adds_exactly_its_time_where_it_stands(synth):
    plain, _ = synth.synthesize("<speak>Hello world.</speak>")
    a, _ = synth.synthesize('<speak>Hello world.<break time="300ms"/></speak>')
    assert a.size == plain.size + round(0.3 * synth.sample_rate) and not a[plain.size:].any()
    np.testing.assert_array_equal(a[:plain.size], plain)
    b, _ = synth.synthesize('<speak>Hello <break time="0.5s"/>world.</speak>')
    d = _timeline_checks(synth, b)
    gap = d["words"][1]["start"] - d["words"][0]["end"]
    assert gap >= 0.5 - 1e-6
    pause = [s for s in synth.last_timeline.segments if s.kind == "pause"]
    assert len(pause) == 1 and pause[0].end_sample - pause[0].start_sample == round(0.5 * synth.sample_rate)
    assert pause[0].start_sample == synth.last_timeline.words[0].end_sample  # right after "Hello"
    # prosody rate multiplies the speed
    slow, _ = synth.synthesize('<speak><prosody rate="50%">Hello world.</prosody></speak>')
    assert slow.size > 1.5 * plain.size
    with pytest.raises(ValueError, match="prosody rate 40 = 40.0 is outside"):
        synth.stream('<speak><prosody rate="40">Hi.</prosody></speak>')


def test_stream_chunks_carry_the_words_they_complete(synth):
    whole, _ = synth.synthesize(PARAGRAPH)
    expected = [w["text"] for w in synth.timestamps()["words"]]
    seen, pos = [], 0
    for chunk in synth.stream(PARAGRAPH):
        assert chunk.start == pos
        pos += chunk.size
        for w in chunk.words:  # complete: its last sample has been handed out
            assert w.end_sample <= pos
            seen.append(w.text)
        # and no word that ends by now is held back
        spoken = [w for w in synth.last_timeline.words if not w.punctuation]
        assert all(w.end_sample is None or w.end_sample > pos for w in spoken[len(seen):])
    assert seen == expected and pos == whole.size


def test_phonemes_and_lexicon_change_what_is_said(synth, model_dir, tmp_path, capsys):
    a, _ = synth.synthesize(phonemes="HH AH0 L OW1 | W ER1 L D | .")
    b, _ = synth.synthesize("Hello world.")
    assert synth.text_chunks(phonemes="HH AH0 L OW1 | W ER1 L D | .") == synth.text_chunks("Hello world.")
    np.testing.assert_array_equal(a, b)
    lex = tmp_path / "my.lex"
    lex.write_text("hello W ER1 L D\n", encoding="utf-8")
    custom = Synthesizer(model_dir, warm_up=False, lexicon=lex)
    assert custom.text_chunks("Hello world.") == synth.text_chunks("world world.")
    # the CLI: --phonemes, --lexicon, --timestamps, --json words
    ts = tmp_path / "t.json"
    code, out, err = _run_cli(["--model-dir", model_dir, "--phonemes", "HH AH0 L OW1 | W ER1 L D", "--out",
                               tmp_path / "p.wav", "--timestamps", ts, "--json", "--sentence-silence", "0.2"], capsys)
    assert code == 0, err
    stats = json.loads(out)
    stamps = json.loads(ts.read_text())
    assert [w["text"] for w in stamps["words"]] == ["HH AH0 L OW1", "W ER1 L D"] and stats["words"] == stamps["words"]
    assert stamps["samples"] == _wav_info(tmp_path / "p.wav")[0]
    code, _, err = _run_cli(["--model-dir", model_dir, "--text", "Hello world.", "--lexicon", lex, "--out",
                             tmp_path / "l.wav"], capsys)
    assert code == 0, err


@pytest.mark.parametrize("args, message", [
    (["--phonemes", "HH AH0 L OW9"], "unknown phoneme symbol 'OW9'"),
    (["--text", "<speak>Hi <foo/></speak>"], "unsupported tag <foo>"),
    (["--text", "Hi.", "--comma-silence", "-1"], "--comma-silence"),
    (["--text", "Hi.", "--lexicon", "LEX"], "LEX:1: unknown phoneme symbol 'Q'"),
    (["--text", "Hi.", "--text", "x", "--phonemes", "HH"], "not allowed with argument"),
])
def test_input_control_errors_exit_2_with_one_line(model_dir, tmp_path, capsys, args, message):
    lex = tmp_path / "bad.lex"
    lex.write_text("hi Q\n", encoding="utf-8")
    args = [str(lex) if a == "LEX" else a for a in args]
    message = message.replace("LEX", str(lex))
    out = tmp_path / "x.wav"
    code, stdout, err = _run_cli(["--model-dir", model_dir, "--out", out, "--timestamps", tmp_path / "x.json",
                                  *args], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert not out.exists() and not (tmp_path / "x.json").exists()


def test_old_exports_without_durations_still_synthesise(model_dir, tmp_path, capsys):
    """A model directory exported before timestamps (3 student outputs in config.json) loads and speaks; only
    timestamps are refused, with a one-line error."""
    from speedyspeech_tf.runtime import ExportedModels

    m = ExportedModels(model_dir)
    assert m.has_durations
    data = load_json(model_dir / "config.json")
    assert data["student_outputs"] == ["mel", "frames", "overflow", "durations"]
    # a durations output the config does not list is refused like any other mismatch
    bad = _broken_copy(model_dir, tmp_path, edit={"student_outputs": ["mel", "frames", "overflow"]})
    code, _, err = _run_cli(["--model-dir", bad, "--text", "Hi.", "--out", tmp_path / "y.wav"], capsys)
    assert code == 2 and "student outputs are" in err
