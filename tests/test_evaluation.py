"""speedyspeech_tf.evaluation: the metrics on known cases, `speedyspeech-tf evaluate` end to end on three LJ
Speech clips with a random-weight export, and its bad-input handling."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pocketsphinx", reason="needs the eval extra (pip install -e '.[eval]')")
pytest.importorskip("speechmos", reason="needs the eval extra (pip install -e '.[eval]')")

from speedyspeech_tf.cli import main as cli_main  # noqa: E402
from speedyspeech_tf.evaluation import metrics as M  # noqa: E402
from speedyspeech_tf.evaluation import report as R  # noqa: E402
from speedyspeech_tf.evaluation import scoring as S  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SR = 22050


@pytest.fixture(scope="module")
def clip(ljspeech_mini):
    """LJ001-0002 ("in being comparatively modern.", 1.9 s) and its text."""
    audio, sr = S.load_audio(ljspeech_mini / "wavs" / "LJ001-0002.wav")
    return audio, sr, "in being comparatively modern."


# ------------------------------------------------------------------------------------------ text metrics

def test_normalisation_spells_numbers_and_drops_punctuation():
    assert M.normalize_for_wer("Dr. Smith's 3rd car -- 42%!") == \
        ["doctor", "smith's", "third", "car", "forty", "two", "percent"]
    assert M.wer("It cost $5.", "it cost five dollars") == 0.0
    assert M.wer("Hello, World!", "hello world") == 0.0


def test_error_counts():
    c = M.error_counts("a b c d".split(), "a x c d e".split())
    assert (c.substitutions, c.deletions, c.insertions, c.reference_length) == (1, 0, 1, 4)
    c = M.error_counts("a b c".split(), [])
    assert (c.deletions, c.rate) == (3, 1.0)
    assert M.error_counts([], "a b".split()).insertions == 2
    assert M.wer("the cat sat on the mat", "the cat sat on mat") == pytest.approx(1 / 6)
    assert M.cer("abc", "abd") == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no words"):
        M.wer("...", "x")


# ------------------------------------------------------------------------------------------ audio metrics

@pytest.mark.slow
def test_identical_audio_is_perfect(clip):
    audio, sr, text = clip
    cmp = M.compare(audio, audio, sr)
    assert cmp["mcd"] == 0.0 and cmp["mel_l1"] == 0.0 and cmp["duration_ratio"] == 1.0
    assert cmp["f0_rmse_hz"] == 0.0 and cmp["vuv_error"] == 0.0 and cmp["voiced_frames"] > 50
    assert M.mcd_dtw(audio, audio, sr) == 0.0
    # another recording of another sentence is far away
    other = np.concatenate([audio[sr // 2:], audio[: sr // 2]])
    assert M.mcd_dtw(audio, other * 0.3 + np.float32(0.01) * np.random.default_rng(0).standard_normal(
        other.size).astype(np.float32), sr) > 2.0


@pytest.mark.slow
def test_recording_against_white_noise(clip):
    audio, sr, text = clip
    hyp = M.recognise(audio, sr)
    assert M.wer(text, hyp) <= 0.5, hyp  # the recogniser hears the real clip
    noise = np.random.default_rng(0).normal(0, 0.1, audio.size).astype(np.float32)
    assert M.wer(text, M.recognise(noise, sr)) >= 0.75
    speech_mos, noise_mos = M.dnsmos(audio, sr), M.dnsmos(noise, sr)
    assert speech_mos > 2.5 and noise_mos < 1.5, (speech_mos, noise_mos)
    assert M.compare(audio, noise, sr, f0=False)["mcd"] > 5.0


@pytest.mark.slow
def test_time_stretch_gives_duration_ratio(clip):
    import librosa

    audio, sr, _ = clip
    slow = librosa.effects.time_stretch(audio, rate=1 / 1.1)
    assert M.duration_ratio(audio, slow, sr) == pytest.approx(1.1, rel=0.01)
    assert M.duration_ratio(slow, audio, sr) == pytest.approx(1 / 1.1, rel=0.01)
    # leading/trailing silence does not count
    padded = np.concatenate([np.zeros(sr, np.float32), audio, np.zeros(sr // 2, np.float32)])
    assert M.duration_ratio(audio, padded, sr) == pytest.approx(1.0, abs=0.02)
    # and the same speech at another sample rate is the same duration
    assert M.duration_ratio(audio, M.resample(audio, sr, 16000), sr, hyp_sr=16000) == pytest.approx(1.0, abs=0.02)


@pytest.mark.slow
def test_pure_tone_f0():
    t = np.arange(SR) / SR
    tone = (0.5 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    f0, voiced = M.estimate_f0(tone, SR)
    assert f0.shape == (SR // 256 + 1,)
    assert voiced[5:-5].all()
    assert np.nanmedian(f0) == pytest.approx(220.0, rel=0.01)
    higher = (0.5 * np.sin(2 * np.pi * 220.0 * 2 ** (100 / 1200) * t)).astype(np.float32)  # +100 cents
    m = M.f0_metrics(tone, higher, SR)
    assert m["f0_rmse_cents"] == pytest.approx(100.0, abs=15.0)
    assert m["f0_rmse_hz"] == pytest.approx(220.0 * (2 ** (100 / 1200) - 1), rel=0.2)
    assert m["vuv_error"] < 0.05


def test_mean_ci_and_table():
    ci = R.mean_ci([1.0, 2.0, 3.0, float("nan"), None])
    assert ci["n"] == 3 and ci["mean"] == 2.0 and 1.0 <= ci["lo"] < 2.0 < ci["hi"] <= 3.0
    assert math.isnan(R.mean_ci([5.0])["lo"])
    rows = [{"system": "a", "id": "1", "wer": 0.0, "words": 4, "word_errors": 0},
            {"system": "a", "id": "2", "wer": 0.5, "words": 4, "word_errors": 2},
            {"system": "b", "id": "1", "wer": 1.0, "words": 4, "word_errors": 4}]
    s = R.summarize(rows)
    assert s["a"]["wer"]["mean"] == 0.25 and s["a"]["wer_pooled"] == 0.25 and s["b"]["sentences"] == 1
    table = R.markdown_table(s)
    assert table.splitlines()[2].startswith("| a | 2 | 25.0 [")


# ------------------------------------------------------------------------------------------ the command

@pytest.fixture(scope="module")
def model_dir(reference_dir, tmp_path_factory) -> Path:
    from speedyspeech_tf.exporting.pipeline import export_models

    out = tmp_path_factory.mktemp("eval_export") / "model"
    export_models(reference_dir / "student_seed0.pth", reference_dir / "melgan_seed0.pth", out, "float32",
                  max_phonemes=64, max_frames=384, window=32, evaluate=False, progress=False, log=None)
    return out


@pytest.fixture(scope="module")
def three_clips(ljspeech_mini, tmp_path_factory) -> Path:
    """ljspeech_mini's first three clips as their own corpus (metadata.csv + wavs/)."""
    out = tmp_path_factory.mktemp("three") / "corpus"
    (out / "wavs").mkdir(parents=True)
    lines = (ljspeech_mini / "metadata.csv").read_text(encoding="utf-8").splitlines()[:3]
    (out / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for line in lines:
        i = line.split("|")[0]
        os.symlink(ljspeech_mini / "wavs" / f"{i}.wav", out / "wavs" / f"{i}.wav")
    return out


def _run(args, capsys):
    code = cli_main(["evaluate", "--quiet"] + [str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_evaluate_end_to_end_on_three_clips(model_dir, three_clips, tmp_path, capsys):
    out = tmp_path / "report"
    code, _, err = _run(["--model-dir", model_dir, "--texts", three_clips / "metadata.csv", "--references",
                         three_clips, "--audio-dir", f"again={three_clips}", "--out", out], capsys)
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["distributions.png", "report.json", "report.md", "sentences.csv", "wavs",
                     "worst_again.png", "worst_model.png"]
    data = json.loads((out / "report.json").read_text())
    summary = data["summary"]
    assert list(summary) == ["recording", "model", "again"]
    assert [r["id"] for r in data["sentences"][:3]] == ["LJ001-0001", "LJ001-0002", "LJ001-0003"]
    rec, model, again = summary["recording"], summary["model"], summary["again"]
    assert rec["wer"]["mean"] < 0.5 and rec["dnsmos"]["mean"] > 2.5
    assert "mcd" not in rec  # the recording is not compared with itself
    # the same WAVs under another name: identical scores, distance 0
    assert again["wer"] == rec["wer"] and again["mcd"]["mean"] == 0.0 and again["duration_ratio"]["mean"] == 1.0
    # random weights: unintelligible, low predicted MOS, far from the recording; timed by the runtime
    assert model["wer"]["mean"] >= 0.9 and model["dnsmos"]["mean"] < rec["dnsmos"]["mean"]
    assert model["mcd"]["mean"] > 3.0 and model["rtf"]["mean"] > 0 and model["first_audio_seconds"]["mean"] > 0
    assert sorted(os.listdir(out / "wavs" / "model")) == ["LJ001-0001.wav", "LJ001-0002.wav", "LJ001-0003.wav"]
    md = (out / "report.md").read_text()
    assert "| model | 3 |" in md and "noise-suppressed" in md
    csv_lines = (out / "sentences.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + 9 and csv_lines[0].startswith("system,id,text,hypothesis")
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporary folder left


def test_evaluate_api_with_a_callable(three_clips):
    """A training script can score any text -> audio callable (here: the recordings themselves)."""
    sentences = S.read_texts(three_clips / "metadata.csv")[1:2]
    wav = S.find_wavs(three_clips, [s.id for s in sentences])

    def system(text):
        assert text == "in being comparatively modern."
        return S.load_audio(wav[sentences[0].id])

    rows = S.evaluate_callable(sentences, system, references=wav, system="ckpt",
                               options=S.Options(mos=False, f0=False))
    assert len(rows) == 1 and rows[0]["system"] == "ckpt" and rows[0]["mcd"] == 0.0 and rows[0]["rtf"] >= 0
    assert "dnsmos" not in rows[0] and "f0_rmse_hz" not in rows[0]


def test_read_texts_formats(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("Hello there.\n\n  Second one!  \n", encoding="utf-8")
    assert S.read_texts(plain) == [S.Sentence("0001", "Hello there."), S.Sentence("0003", "Second one!")]
    lj = tmp_path / "metadata.csv"
    lj.write_text("A-1|Raw 1 text|Normalized one text\nA-2|Only raw\n", encoding="utf-8")
    assert S.read_texts(lj) == [S.Sentence("A-1", "Normalized one text"), S.Sentence("A-2", "Only raw")]


@pytest.mark.parametrize("case, message", [
    ("no_texts", "texts file not found"),
    ("empty_file", "no sentences"),
    ("empty_text", "line 2: empty text for B"),
    ("missing_reference", "LJ001-0003.wav: recording file missing"),
    ("missing_audio_dir", "audio directory not found"),
    ("no_model_dir", "no such model directory"),
    pytest.param("config_mismatch", "config.json (max_phonemes N = 80)", marks=pytest.mark.slow),  # exports
    ("nothing", "nothing to evaluate"),
    ("foreign_out", "is not empty and holds no earlier report.json"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(case, message, three_clips, tmp_path, capsys, request):
    from speedyspeech_tf.config import load_json, save_json

    texts, out = three_clips / "metadata.csv", tmp_path / "out"
    args = ["--audio-dir", three_clips]
    if case == "no_texts":
        texts = tmp_path / "missing.csv"
    elif case == "empty_file":
        texts = tmp_path / "empty.txt"
        texts.write_text("\n  \n")
    elif case == "empty_text":
        texts = tmp_path / "metadata.csv"
        texts.write_text("A|Some text|Some text\nB| | \n")
    elif case == "missing_reference":
        refs = tmp_path / "refs"
        (refs / "wavs").mkdir(parents=True)
        for i in ("LJ001-0001", "LJ001-0002"):
            os.symlink(three_clips / "wavs" / f"{i}.wav", refs / "wavs" / f"{i}.wav")
        args = ["--references", refs]
    elif case == "missing_audio_dir":
        args = ["--audio-dir", tmp_path / "nowhere"]
    elif case == "no_model_dir":
        args = ["--model-dir", tmp_path / "no_model"]
    elif case == "config_mismatch":
        model_dir = request.getfixturevalue("model_dir")  # the export: only this case needs it
        bad = tmp_path / "bad_model"
        bad.mkdir()
        for name in os.listdir(model_dir):
            os.symlink(model_dir / name, bad / name)
        data = load_json(model_dir / "config.json")
        data["max_phonemes"] = 80
        (bad / "config.json").unlink()
        save_json(data, bad / "config.json")
        args = ["--model-dir", bad]
    elif case == "nothing":
        args = []
    elif case == "foreign_out":
        out.mkdir()
        (out / "precious.txt").write_text("keep me")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, stdout, err = _run(args + ["--texts", texts, "--out", out], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("speedyspeech-tf: error: "), err
    assert message in lines[0]
    assert stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no temporary folder
    if case == "foreign_out":
        assert (out / "precious.txt").read_text() == "keep me"


def test_runtime_and_training_never_import_the_evaluation_packages():
    code = ("import sys\n"
            "import speedyspeech_tf.runtime, speedyspeech_tf.cli\n"
            "speedyspeech_tf.cli.build_parser()\n"
            "bad = [m for m in ('pocketsphinx', 'speechmos', 'onnxruntime') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
