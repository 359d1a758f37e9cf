"""The bundled voice (voices/slt), the quick demo, durations from phone timings and the train-voice recipe."""
from __future__ import annotations

import json
import os
import shutil
import wave

import numpy as np
import pytest

from speedyspeech_tf.durations import boundary_errors, durations_from_timings
from speedyspeech_tf.runtime.voices import VOICES_DIR, default_voice_dir

VOICE = VOICES_DIR / "slt"
SENTENCE = "The old man walked to the market and bought some fresh bread."


def _voice():
    if not (VOICE / "config.json").is_file():
        pytest.skip(f"no bundled voice at {VOICE}")
    return VOICE


# ------------------------------------------------------------------------------ durations from timings

def test_durations_from_timings_follow_the_voice_and_cover_every_frame():
    symbols = ["HH", "AH0", "L", "OW1", ",", " ", "W", "ER1", "L", "D", "."]
    fps = 100.0
    # leading silence, "hello", a pause after the comma, "world", trailing silence (seconds)
    phones = [(None, 0.0, 0.2), ("HH", 0.2, 0.25), ("AH", 0.25, 0.3), ("L", 0.3, 0.38), ("OW", 0.38, 0.5),
              (None, 0.5, 0.7), ("W", 0.7, 0.76), ("ER", 0.76, 0.86), ("L", 0.86, 0.92), ("D", 0.92, 1.0),
              (None, 1.0, 1.3)]
    d = durations_from_timings(symbols, phones, 130, fps)
    assert d.sum() == 130 and d.min() >= 1
    ends = np.cumsum(d)
    assert ends[0] == 25          # HH absorbs the leading silence and ends with the voice's HH
    assert ends[3] == 50          # OW ends where the voice's OW ends
    assert d[4] == 19 and d[5] == 1   # the pause goes to the comma; the space keeps one frame
    assert ends[9] == 100 and d[10] == 30  # the full stop takes the trailing silence
    err = boundary_errors(symbols, d, phones, fps)
    assert err["matched"] == 8 and err["errors"].max() == 0


def test_durations_from_timings_survive_a_mismatched_phone():
    symbols = ["K", "AE1", "T", "."]
    phones = [("K", 0.0, 0.1), ("AA", 0.1, 0.3), ("T", 0.3, 0.4), ("S", 0.4, 0.5)]  # substituted + extra phone
    d = durations_from_timings(symbols, phones, 50, 100.0)
    assert d.sum() == 50 and d.min() >= 1 and list(np.cumsum(d)[:3]) == [10, 30, 40]


# ------------------------------------------------------------------------------------------ bundled voice

def test_bundled_voice_is_complete_and_small():
    voice = _voice()
    for name in ("student.tflite", "vocoder.tflite", "config.json", "MODEL_CARD.md", "keras/config.json",
                 "keras/model.weights.h5"):
        assert (voice / name).is_file(), name
    total = sum(p.stat().st_size for p in voice.rglob("*") if p.is_file())
    assert total <= 40e6, f"{total / 1e6:.1f} MB of model files (limit 40 MB)"
    cfg = json.loads((voice / "config.json").read_text())
    assert cfg["vocoder"] == "hifigan"
    card = (voice / "MODEL_CARD.md").read_text()
    for needed in ("CMU ARCTIC", "MIT", "Held-out", "train-student", "timing-durations"):
        assert needed in card, needed
    assert default_voice_dir() == voice or os.environ.get("SPEEDYSPEECH_VOICE")


@pytest.fixture(scope="module")
def spoken():
    from speedyspeech_tf.runtime import Synthesizer

    _voice()
    out = {}
    for runtime in ("ai-edge-litert", "tflite-runtime", "tensorflow"):
        try:
            synth = Synthesizer(runtime=runtime)  # no model dir: the bundled voice
        except ValueError as e:  # the interpreter is not installed here
            out[runtime] = e
            continue
        out[runtime] = synth.synthesize(SENTENCE)
    return out


@pytest.mark.parametrize("runtime", ["ai-edge-litert", "tflite-runtime", "tensorflow"])
def test_bundled_voice_speaks_in_every_interpreter(spoken, runtime):
    got = spoken[runtime]
    if isinstance(got, Exception):
        pytest.skip(f"{runtime}: {got}")
    audio, sr = got
    first = next(v for v in spoken.values() if not isinstance(v, Exception))[0]
    assert sr == 22050 and 1.5 < audio.size / sr < 8.0 and np.isfinite(audio).all()
    assert np.sqrt(np.mean(audio ** 2)) > 0.01  # speech, not silence
    # The interpreters agree: their dynamic-range kernels round differently, so a duration may move by a frame
    # and the waveform's phase drifts; the log-mel after DTW stays close. Measured (this voice, this sentence):
    # 0.16 (tflite-runtime) and 0.19 (tf.lite) against ai-edge-litert; another sentence is 1.2, noise 2.9.
    assert abs(audio.size - first.size) <= 0.01 * first.size
    metrics = pytest.importorskip("speedyspeech_tf.evaluation.metrics")
    assert metrics.mel_l1_dtw(first, audio, sr) < 0.4


def test_bundled_voice_is_understood_by_the_offline_recogniser(spoken):
    metrics = pytest.importorskip("speedyspeech_tf.evaluation.metrics")
    pytest.importorskip("pocketsphinx")
    audio, sr = next(v for v in spoken.values() if not isinstance(v, Exception))
    heard = metrics.recognise(audio, sr)
    assert metrics.wer(SENTENCE, heard) <= 0.25, heard


def test_quick_demo_speaks_with_the_bundled_voice(tmp_path):
    from speedyspeech_tf import demo

    _voice()
    report = demo.speak_demo(str(tmp_path / "out"), texts=("Hello there.", "Two sentences, with a comma."),
                             log=lambda s: None)
    out = tmp_path / "out"
    for name in ("sentence_1.wav", "sentence_2.wav", "mel.png", "report.md", "report.json"):
        assert (out / name).is_file(), name
    with wave.open(str(out / "sentence_2.wav")) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 22050 * 0.8
    assert (out / "mel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(r["rtf"] > 0 and r["first_audio_seconds"] > 0 for r in report["sentences"])
    assert report["quality"], "the voice's quality.json is quoted in the report"


def test_no_bundled_voice_is_a_clear_error(monkeypatch, tmp_path):
    from speedyspeech_tf.runtime import voices

    monkeypatch.setattr(voices, "VOICES_DIR", tmp_path)
    monkeypatch.delenv("SPEEDYSPEECH_VOICE", raising=False)
    with pytest.raises(FileNotFoundError, match="--model-dir"):
        voices.default_voice_dir()


# ------------------------------------------------------------------------------------------- the recipe

@pytest.mark.slow
def test_train_voice_recipe_on_an_lj_layout_corpus(ljspeech_mini, tmp_path):
    """The one-command recipe on a corpus in the LJ Speech layout (no phone timings: the teacher path), with a
    tiny budget: every step runs, the voice folder speaks, a rerun resumes."""
    from speedyspeech_tf import voice
    from speedyspeech_tf.runtime import Synthesizer

    logs = []
    held = tmp_path / "held"
    (held / "wavs").mkdir(parents=True)
    rows = (ljspeech_mini / "metadata.csv").read_text().splitlines()[-3:]
    for r in rows:
        shutil.copy2(ljspeech_mini / "wavs" / (r.split("|")[0] + ".wav"), held / "wavs")
    (held / "metadata.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "voice"
    done = voice.train_voice(str(out), hours=0.03, corpus=str(ljspeech_mini), held_out=str(held),
                             config="tiny", batch_size=4, steps_per_epoch=2, quantization="dynamic",
                             evaluate=False, progress=False, log=logs.append)
    assert done["durations"]["method"] == "teacher+viterbi"
    v = out / "voice"
    assert (v / "MODEL_CARD.md").is_file() and (v / "keras" / "model.weights.h5").is_file()
    audio, sr = Synthesizer(str(v)).synthesize("Hello.")
    assert sr == 22050 and audio.size > 0 and np.isfinite(audio).all()
    logs.clear()
    voice.train_voice(str(out), hours=0.03, corpus=str(ljspeech_mini), held_out=str(held), config="tiny",
                      batch_size=4, steps_per_epoch=2, quantization="dynamic", evaluate=False, progress=False,
                      log=logs.append)
    assert sum("already done" in line for line in logs) >= 5, logs


def test_synth_command_uses_the_bundled_voice_without_model_dir(tmp_path):
    from speedyspeech_tf.runtime import cli

    _voice()
    out = tmp_path / "hello.wav"
    assert cli.main(["--text", "Hello there.", "--out", str(out), "--quiet"]) in (0, None)
    with wave.open(str(out)) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 22050 * 0.4
