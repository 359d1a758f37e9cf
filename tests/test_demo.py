"""`demo --train` end to end in a tiny configuration (every artefact exists and agrees with the others), and the
quick demo with the bundled voice."""
from __future__ import annotations

import json
import os
import shutil
import wave

import numpy as np
import pytest

from speedyspeech_tf import demo

pytestmark = pytest.mark.slow


def _voice_available() -> bool:
    return shutil.which("festival") is not None or shutil.which("espeak-ng") is not None


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    if not _voice_available():
        pytest.skip("needs festival or espeak-ng (apt-get install festival festvox-us-slt-hts espeak-ng)")
    out = tmp_path_factory.mktemp("demo")
    logs: list[str] = []
    report = demo.run_demo(str(out), minutes=4, sentences=6, size="tiny", quantization="dynamic",
                           steps_per_epoch=2, max_epochs=1, progress=False, log=logs.append)
    return out, report, logs


def test_every_artefact_exists(demo_run):
    out, report, _ = demo_run
    for name in ("demo.wav", "report.md", "report.json", "durations.npz", "demo_state.json"):
        assert (out / name).is_file(), name
    for name in ("student.tflite", "vocoder.tflite", "config.json"):
        assert (out / "model" / name).stat().st_size > 1000, name
    plots = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert "synthesized_mel.png" in plots
    assert "teacher_last_epoch.png" in plots
    assert any(p.startswith("DEMO-") for p in plots), plots  # attention with the extracted alignment
    for p in (out / "plots").glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(report["steps"]) >= set(demo.STEPS[:-1])
    # synthesis goes through the pretrained HiFi-GAN, and the report says what the recogniser heard
    cfg = json.loads((out / "model" / "config.json").read_text())
    assert "hifigan" in json.dumps(cfg.get("vocoder_config", {})).lower() or "hifigan" in str(cfg.get("vocoder_source"))
    syn = report["steps"]["synthesize"]
    if "wer" in syn:
        assert 0.0 <= syn["wer"] and isinstance(syn["recognised"], str)
        assert "word error rate" in (out / "report.md").read_text()


def test_wav_agrees_with_frames_and_config(demo_run):
    out, report, _ = demo_run
    cfg = json.loads((out / "model" / "config.json").read_text())
    with wave.open(str(out / "demo.wav")) as w:
        sr, n, width, channels = w.getframerate(), w.getnframes(), w.getsampwidth(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(n), dtype="<i2")
    syn = report["steps"]["synthesize"]
    assert sr == 22050 == syn["sample_rate"] == cfg["audio"]["sample_rate"]
    assert (width, channels) == (2, 1)
    assert n == syn["samples"] == syn["frames"] * 256
    assert n > 22050 * 0.3  # a sentence of 17 words is not a blip
    assert np.isfinite(pcm).all() and np.abs(pcm).max() > 0


def test_tflite_files_load_in_the_runtime(demo_run):
    out, _, _ = demo_run
    from speedyspeech_tf.runtime.synthesizer import Synthesizer

    synth = Synthesizer(str(out / "model"), threads=1)
    audio, sr = synth.synthesize("Hello there.")
    assert sr == 22050 and audio.size > 0 and np.isfinite(audio).all()


def test_rerun_resumes_instead_of_starting_over(demo_run):
    out, _, _ = demo_run
    mtime = os.path.getmtime(out / "model" / "student.tflite")
    logs: list[str] = []
    demo.run_demo(str(out), minutes=4, sentences=6, size="tiny", quantization="dynamic", steps_per_epoch=2,
                  max_epochs=1, progress=False, log=logs.append)
    skipped = [line for line in logs if "already done" in line]
    assert len(skipped) == len(demo.STEPS) - 1, logs
    assert os.path.getmtime(out / "model" / "student.tflite") == mtime


def test_rerun_with_other_settings_is_refused(demo_run):
    out, _, _ = demo_run
    with pytest.raises(ValueError, match="sentences"):
        demo.run_demo(str(out), sentences=7, size="tiny", progress=False, log=lambda s: None)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="minutes"):
        demo.run_demo(str(tmp_path), minutes=0)
    with pytest.raises(ValueError, match="size"):
        demo.run_demo(str(tmp_path), size="huge")
