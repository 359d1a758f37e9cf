"""Several student sizes in one model directory (`export --student-sizes`, ExportConfig.student_buckets).

The runtime runs each chunk on the smallest student whose N - pad_symbols slots hold its ids, reruns it on the
next larger size when that one overflows its F frames, and splits it only when the main (largest) student
overflows, as the Android core does (ModelConfig.bucketFor, Synthesizer.chunk). With mask_padding the student's
output does not depend on N and F, so the audio must equal the one-student export's: checked here on the
reference student (random weights) in float32, with the size each chunk ran on.
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from speedyspeech_tf import cli
from speedyspeech_tf.config import ConfigMismatchError, ExportConfig
from speedyspeech_tf.exporting import sizing
from test_export import models  # noqa: F401, E402 - fixture: the reference student and MelGAN, loaded once

SIZES = (256, 512)  # + the main student's default F = 1152; N = 40, 80 (sizing.phonemes_for_frames), 176
TOL = 1e-4
SHORT = "Hello world."                                    # 11 symbols: the F = 256 student
FULL = "It is easy to tell the depth of a well."          # 35 symbols = 40 - 5: exactly fills the smallest
OVER_SLOTS = "The box was thrown beside the parked truck."  # 38 symbols: 40 slots but not 5 padding -> 512
LONG = ("The birch canoe slid on the smooth planks, and the boy was there when the sun rose over the quiet lake "
        "at the edge of the old town.")                  # more than 80 - 5 symbols: the main student


# ------------------------------------------------------------------------------ config and sizes (no models)

def test_the_sizing_rule_gives_the_default_pair_and_the_bucket_sizes():
    d = ExportConfig()
    assert sizing.phonemes_for_frames(d.F, d.pad_symbols) == d.N  # 1152 -> 176: the rule behind the defaults
    assert [sizing.phonemes_for_frames(f) for f in (256, 384, 512)] == [40, 64, 80]
    for f in (256, 384, 512, 1152):  # a chunk filling the slots fits F at the LJ Speech mean rate
        n = sizing.phonemes_for_frames(f)
        assert (n - 5) * sizing.FRAMES_PER_SYMBOL <= f < (n + 8 - 5) * sizing.FRAMES_PER_SYMBOL
    assert sizing.student_buckets([512, 256, 256], d.N, d.F) == (
        {"student_file": "student-256.tflite", "max_phonemes": 40, "max_frames": 256},
        {"student_file": "student-512.tflite", "max_phonemes": 80, "max_frames": 512})
    with pytest.raises(ValueError, match="student size 1152"):
        sizing.student_buckets([256, 1152], d.N, d.F)
    with pytest.raises(ValueError, match="student size 512: N = 80"):
        sizing.student_buckets([512], 64, d.F)


def test_config_json_lists_the_sizes_as_the_android_core_reads_them(tmp_path):
    buckets = sizing.student_buckets(SIZES, 176, 1152)
    cfg = ExportConfig(student_buckets=buckets)
    cfg.save(tmp_path / "config.json")
    raw = json.loads((tmp_path / "config.json").read_text())
    assert raw["student_buckets"] == [
        {"student_file": "student-256.tflite", "max_phonemes": 40, "max_frames": 256},
        {"student_file": "student-512.tflite", "max_phonemes": 80, "max_frames": 512}]
    assert ExportConfig.load(tmp_path) == cfg
    assert [b["max_frames"] for b in cfg.students] == [256, 512, 1152]
    del raw["student_buckets"]  # a config.json written before this field: one student
    (tmp_path / "config.json").write_text(json.dumps(raw))
    old = ExportConfig.load(tmp_path)
    assert old.student_buckets == () and old.students == [
        {"student_file": "student.tflite", "max_phonemes": 176, "max_frames": 1152}]
    for bad, what in (([dict(buckets[0], max_phonemes=200)], "student_buckets\\[0\\]"),  # larger than the main
                      ([buckets[1], buckets[0]], "student_buckets\\[0\\]"),              # not smallest first
                      ([dict(buckets[0], max_phonemes=5)], "pad_symbols"),
                      ([dict(buckets[0], student_file="student.tflite")], "used twice"),
                      ([{"student_file": "a.tflite", "max_phonemes": 40}], "student_buckets\\[0\\]")):
        raw["student_buckets"] = bad
        (tmp_path / "config.json").write_text(json.dumps(raw))
        with pytest.raises(ConfigMismatchError, match=what):
            ExportConfig.load(tmp_path)


def test_cli_refuses_a_size_that_is_not_smaller_before_loading_anything(tmp_path, capsys):
    code = cli.main(["export", "--student", str(tmp_path), "--vocoder", str(tmp_path), "--out", str(tmp_path / "o"),
                     "--student-sizes", "256", "1152"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "student size 1152" in err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------------- the exported sizes (TensorFlow)

@pytest.fixture(scope="module")
def reference_files(reference_dir):
    for name in ("student_seed0.pth", "melgan_seed0.pth"):
        if not (reference_dir / name).is_file():
            pytest.skip(f"needs {reference_dir / name} (../shared/reference/README.md); not found")


@pytest.fixture(scope="module")
def bucketed(reference_files, models, tmp_path_factory):
    """The reference student and MelGAN exported once in float32 with the extra sizes F = 256 and 512."""
    from speedyspeech_tf.exporting.pipeline import export_models

    out = tmp_path_factory.mktemp("buckets") / "model"
    result = export_models(models[0], models[1], out, "float32", student_sizes=SIZES, evaluate=False,
                           progress=False, log=None)
    return out, result


@pytest.fixture(scope="module")
def one_student(bucketed, tmp_path_factory):
    """The same export as a one-student directory: its config.json without student_buckets."""
    src = bucketed[0]
    out = tmp_path_factory.mktemp("one") / "model"
    out.mkdir()
    raw = json.loads((src / "config.json").read_text())
    for name in (raw["student_file"], raw["vocoder_file"]):
        shutil.copyfile(src / name, out / name)
    del raw["student_buckets"]
    (out / "config.json").write_text(json.dumps(raw))
    return out


@pytest.mark.slow
def test_every_size_is_exported_listed_and_copied_to_android_assets(bucketed, tmp_path):
    from speedyspeech_tf.exporting.pipeline import copy_android_assets

    out, result = bucketed
    cfg = ExportConfig.load(out)
    assert [(b["student_file"], b["max_phonemes"], b["max_frames"]) for b in cfg.students] == [
        ("student-256.tflite", 40, 256), ("student-512.tflite", 80, 512), ("student.tflite", 176, 1152)]
    assert [b["F"] for b in result.report["student_buckets"]] == [256, 512]
    copied = {os.path.basename(p) for p in copy_android_assets(out, tmp_path / "assets")}
    assert {"student-256.tflite", "student-512.tflite", "student.tflite", "vocoder.tflite"} <= copied


@pytest.mark.slow
def test_each_chunk_runs_on_the_smallest_size_that_holds_it_with_the_one_student_output(bucketed, one_student):
    from speedyspeech_tf.runtime import Synthesizer

    multi, single = Synthesizer(bucketed[0]), Synthesizer(one_student)
    assert multi.models.buckets == [(40, 256), (80, 512), (176, 1152)] and single.models.buckets == [(176, 1152)]
    calls = []  # (ids, the size that ran, overflow) of every student call of `multi`
    run = multi.models.student

    def recorded(ids, speed=1.0, bucket=None):
        out = run(ids, speed, bucket)
        calls.append((tuple(ids), multi.models.last_bucket, out[2]))
        return out

    multi.models.student = recorded
    cases = [  # text, speed, the F each chunk must run on, bucket retries
        (SHORT, 1.0, [256], 0),
        (FULL, 1.0, [256], 0),
        (OVER_SLOTS, 1.0, [512], 0),
        (FULL, 0.5, [512], 1),     # fits 40 slots but needs more than 256 frames at half speed: rerun on 512
        (LONG, 1.0, [1152], 0),
        (LONG, 0.25, None, None),  # overflows the main student: split, each half from the smallest size that holds it
    ]
    for text, speed, students, retries in cases:
        calls.clear()
        audio, _ = multi.synthesize(text, speed=speed)
        got = multi.last_stats
        ref, _ = single.synthesize(text, speed=speed)
        one = single.last_stats
        what = f"{text[:30]!r} at speed {speed}: ran on {got.chunk_students}"
        assert one.chunk_students == [1152] * one.chunks and one.bucket_retries == 0
        assert got.chunk_frames == one.chunk_frames and got.chunk_symbols == one.chunk_symbols, what
        assert audio.shape == ref.shape and np.max(np.abs(audio - ref)) <= TOL, what
        assert got.resplits == one.resplits, what
        if students is not None:
            assert got.chunk_students == students and got.bucket_retries == retries, what
            assert got.student_calls == 1 + retries and got.resplits == 0, what
        # the rule, call by call: new ids start on the smallest size whose N - 5 slots hold them; after an
        # overflow the same ids run on the next larger size, or (on the largest) their halves start anew
        for (prev, prev_size, overflow), (ids, size, _) in zip([((), None, False)] + calls, calls):
            retry = overflow and ids == prev and prev_size + 1 < len(multi.models.buckets)
            assert size == (prev_size + 1 if retry else multi.models.bucket_for(len(ids))), (what, calls)
        assert got.student_calls == len(calls), what
        for ids in multi.text_chunks(text):  # the mels themselves, piece by piece
            a, b = list(multi.mels(ids, speed)), list(single.mels(ids, speed))
            assert [p for p, _ in a] == [p for p, _ in b]
            assert all(x.shape == y.shape and np.max(np.abs(x - y), initial=0) <= TOL for (_, x), (_, y) in zip(a, b))
    assert got.resplits >= 1 and got.bucket_retries >= 1  # LONG at 0.25 split, and its halves ran on 512 first
    assert any(size < 2 for ids, size, _ in calls if len(ids) < len(calls[0][0])), calls
