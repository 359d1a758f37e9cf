"""speedyspeech_tf.data: the preprocess command, the cache, the skip report and the tf.data pipelines."""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from speedyspeech_tf import cli, data  # noqa: E402
from speedyspeech_tf.audio import standardize, to_teacher_scale  # noqa: E402
from speedyspeech_tf.config import AudioConfig, ConfigMismatchError  # noqa: E402

SILENCE = math.log(1e-5)


def _run_cli(argv):
    """Run our sub-command through the project's CLI error handling (without importing other modules)."""
    parser = argparse.ArgumentParser(prog="speedyspeech-tf")
    sub = parser.add_subparsers(dest="command")
    data.register(sub)
    args = parser.parse_args(argv)
    return cli.run(args.func, args, parser.prog)


def _as_numpy(batch):
    return {k: v.numpy() for k, v in batch.items()}


def _collect(ds):
    return [_as_numpy(b) for b in ds]


def _even_durations(cache):
    out = {}
    for item in cache.items:
        n, f = len(item["phonemes"]), item["frames"]
        d = np.full(n, f // n, np.int32)
        d[: f - d.sum()] += 1
        out[item["id"]] = d
    return out


# ============================================================================================ preprocess

def test_mini_cache_contents(mini_cache, ljspeech_mini, reference_dir):
    from speedyspeech_tf.text import text_to_ids

    cache = data.load_cache(mini_cache)
    assert len(cache.items) == 32 and cache.ids[0] == "LJ001-0001" and cache.ids[-1] == "LJ001-0032"
    assert data.read_skipped(mini_cache) == {}
    assert cache.audio == AudioConfig()
    settings = json.loads((mini_cache / "settings.json").read_text())
    assert settings["audio"]["hop_length"] == 256 and len(settings["text"]["symbols"]) == 78

    item = data.load_item(cache, "LJ001-0001")
    ref = np.load(reference_dir / "mel_LJ001-0001.npy")
    assert item["mel"].shape == ref.shape and item["mel"].dtype == np.float32
    assert np.abs(item["mel"] - ref).max() <= 1e-3
    pcm, _ = sf.read(ljspeech_mini / "wavs" / "LJ001-0001.wav", dtype="int16")
    np.testing.assert_array_equal(item["audio"], pcm)
    rows = (ljspeech_mini / "metadata.csv").read_text(encoding="utf-8").splitlines()
    normalized = rows[0].split("|")[2]
    assert item["text"] == normalized
    np.testing.assert_array_equal(item["phonemes"], text_to_ids(normalized))
    for it in cache.items:
        assert it["frames"] == it["samples"] // 256 + 1


@pytest.fixture
def messy_corpus(tmp_path, ljspeech_mini):
    """Six good utterances plus one row for each kind of bad input."""
    corpus = tmp_path / "corpus"
    (corpus / "wavs").mkdir(parents=True)
    lines = (ljspeech_mini / "metadata.csv").read_text(encoding="utf-8").splitlines()[:6]
    for line in lines:
        shutil.copy(ljspeech_mini / "wavs" / (line.split("|")[0] + ".wav"), corpus / "wavs")
    shutil.copy(ljspeech_mini / "wavs" / "LJ001-0007.wav", corpus / "wavs" / "X-EMPTYTEXT.wav")
    shutil.copy(ljspeech_mini / "wavs" / "LJ001-0008.wav", corpus / "wavs" / "X-PUNCT.wav")
    (corpus / "wavs" / "X-CORRUPT.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt not really a wave file")
    sf.write(corpus / "wavs" / "X-SILENT.wav", np.zeros(22050), 22050, subtype="PCM_16")
    bad = ["X-CORRUPT|Some words here.|Some words here.",
           "X-MISSING|Some words here.|Some words here.",
           "X-SILENT|Some words here.|Some words here.",
           "X-EMPTYTEXT| | ",
           "X-PUNCT|!!!|!!!",
           "X-MALFORMED|too|many|fields",
           "",
           "X-RAWONLY|Only a raw transcript.|"]
    shutil.copy(ljspeech_mini / "wavs" / "LJ001-0009.wav", corpus / "wavs" / "X-RAWONLY.wav")
    (corpus / "metadata.csv").write_text("\n".join(lines[:3] + bad + lines[3:]) + "\n", encoding="utf-8")
    return corpus


def test_bad_rows_are_reported_and_the_rest_cached(messy_corpus, tmp_path, capsys):
    out = tmp_path / "cache"
    # two worker processes, decoding with soundfile (spawned workers then need not start TensorFlow)
    code = _run_cli(["preprocess", str(messy_corpus), str(out), "--workers", "2", "--audio-backend", "soundfile"])
    assert code == 0
    skipped = data.read_skipped(out)
    assert list(skipped) == ["X-CORRUPT", "X-MISSING", "X-SILENT", "X-EMPTYTEXT", "X-PUNCT", "X-MALFORMED"]
    assert skipped["X-CORRUPT"].startswith("bad audio:") and "X-CORRUPT.wav" in skipped["X-CORRUPT"]
    assert skipped["X-MISSING"].startswith("missing audio file:") and "X-MISSING.wav" in skipped["X-MISSING"]
    assert skipped["X-SILENT"].startswith("bad audio:") and "silent" in skipped["X-SILENT"]
    assert skipped["X-EMPTYTEXT"] == "empty text"
    assert skipped["X-PUNCT"].startswith("unpronounceable text:")
    assert skipped["X-MALFORMED"].startswith("malformed row:") and "line 9" in skipped["X-MALFORMED"]

    cache = data.load_cache(out)
    assert cache.ids == ["LJ001-0001", "LJ001-0002", "LJ001-0003", "X-RAWONLY",
                         "LJ001-0004", "LJ001-0005", "LJ001-0006"]
    assert cache.item("X-RAWONLY")["text"] == "Only a raw transcript."
    assert sorted(os.listdir(out / "mels")) == sorted(i + ".npy" for i in cache.ids)
    stdout = capsys.readouterr().out
    assert "cached 7 of 13 rows" in stdout
    assert "skipped 6 rows" in stdout and "skipped.tsv" in stdout
    # the in-process path (and tensorflow-io decoding) gives the same features
    single = tmp_path / "single"
    data.preprocess(messy_corpus, single, workers=1, limit=4, progress=False, log=None)
    for item_id in data.load_cache(single).ids:
        np.testing.assert_array_equal(np.load(single / "mels" / f"{item_id}.npy"),
                                      np.load(out / "mels" / f"{item_id}.npy"))


def test_limit_and_rerun(tmp_path, ljspeech_mini, capsys):
    out = tmp_path / "cache"
    assert _run_cli(["preprocess", str(ljspeech_mini), str(out), "--limit", "3", "--workers", "1"]) == 0
    assert data.load_cache(out).ids == ["LJ001-0001", "LJ001-0002", "LJ001-0003"]
    before = os.path.getmtime(out / "mels" / "LJ001-0001.npy")
    # same settings: finished items are reused, new ones computed
    data.preprocess(ljspeech_mini, out, limit=4, progress=False, log=None)
    assert data.load_cache(out).ids[-1] == "LJ001-0004"
    assert os.path.getmtime(out / "mels" / "LJ001-0001.npy") == before
    # other settings: refused, naming the difference
    with pytest.raises(ConfigMismatchError, match="other audio settings.*n_mels: 80 != 40"):
        data.preprocess(ljspeech_mini, out, limit=1, audio_cfg=AudioConfig(n_mels=40), progress=False)
    capsys.readouterr()
    other = tmp_path / "other_corpus"
    shutil.copytree(ljspeech_mini, other)
    assert _run_cli(["preprocess", str(other), str(out), "--limit", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another corpus" in err[0] and str(out) in err[0]


def test_preprocess_input_errors(tmp_path, ljspeech_mini, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("x")
    assert _run_cli(["preprocess", str(ljspeech_mini), str(tmp_path / "full")]) == 2
    assert "not empty" in capsys.readouterr().err
    assert _run_cli(["preprocess", str(tmp_path / "nope"), str(tmp_path / "o")]) == 2
    assert "corpus folder not found" in capsys.readouterr().err
    (tmp_path / "nometa").mkdir()
    assert _run_cli(["preprocess", str(tmp_path / "nometa"), str(tmp_path / "o")]) == 2
    assert "metadata.csv" in capsys.readouterr().err
    # nothing usable: exit 2, the skip report is still written
    (tmp_path / "allbad" / "wavs").mkdir(parents=True)
    (tmp_path / "allbad" / "metadata.csv").write_text("A|hello|hello\n")
    assert _run_cli(["preprocess", str(tmp_path / "allbad"), str(tmp_path / "o2")]) == 2
    assert "no usable rows" in capsys.readouterr().err
    assert data.read_skipped(tmp_path / "o2") == {"A": f"missing audio file: {tmp_path / 'allbad' / 'wavs' / 'A.wav'}"}
    with pytest.raises(ValueError, match="incomplete"):
        data.load_cache(tmp_path / "o2")
    with pytest.raises(FileNotFoundError, match="not a preprocessed cache"):
        data.load_cache(tmp_path / "full")


# ================================================================================================ split

def test_split_items():
    small = list(range(32))
    assert data.split_items(small, "train") == list(range(29))
    assert data.split_items(small, "valid") == [29, 30, 31]
    assert data.split_items(small, "all") == small
    assert data.split_items(small, "valid", valid_fraction=0.25) == list(range(24, 32))
    assert data.split_items([0, 1], "train") == [0] and data.split_items([0, 1], "valid") == [1]
    big = list(range(13100))
    assert data.split_items(big, "valid") == list(range(13001, 13100))
    assert len(data.split_items(big, "train")) == 13001
    with pytest.raises(ValueError, match="split"):
        data.split_items(small, "test")


# ============================================================================================ pipelines

def test_teacher_batches(mini_cache):
    cache = data.load_cache(mini_cache)
    train = _collect(data.teacher_dataset(mini_cache, 4, "train", with_ids=True, deterministic=True, seed=0))
    valid_ds = data.teacher_dataset(mini_cache, 4, "valid", with_ids=True)
    # unshuffled splits keep corpus order: parallel loading must not reorder them (it did, now and then)
    assert valid_ds.options().deterministic is True
    valid = _collect(valid_ds)
    train_ids = [i.decode() for b in train for i in b["id"]]
    valid_ids = [i.decode() for b in valid for i in b["id"]]
    assert sorted(train_ids) == cache.ids[:29] and valid_ids == cache.ids[29:]
    assert len(valid) == 1  # a small split is one bucket: its batch is full
    pad = 0.0  # the teacher's silence
    for b in train + valid:
        B, N = b["phonemes"].shape
        T = b["mel"].shape[1]
        assert b["phonemes"].dtype == np.int32 and b["phoneme_lengths"].dtype == np.int32
        assert b["mel"].dtype == np.float32 and b["mel"].shape == (B, T, 80) and b["mel_lengths"].dtype == np.int32
        assert B <= 4 and N == b["phoneme_lengths"].max() and T == b["mel_lengths"].max()
        assert 0.0 <= b["mel"].min() and b["mel"].max() <= 1.0
        for k in range(B):
            item = data.load_item(cache, b["id"][k].decode())
            n, t = b["phoneme_lengths"][k], b["mel_lengths"][k]
            np.testing.assert_array_equal(b["phonemes"][k, :n], item["phonemes"])
            assert not b["phonemes"][k, n:].any()
            np.testing.assert_allclose(b["mel"][k, :t], to_teacher_scale(item["mel"]), atol=1e-6)
            assert np.all(b["mel"][k, t:] == pad)
            np.testing.assert_array_equal(b["phoneme_mask"][k], np.arange(N) < n)
            np.testing.assert_array_equal(b["mel_mask"][k], np.arange(T) < t)


def test_bucketing_reduces_padding(mini_cache):
    def padding(num_buckets):
        batches = _collect(data.teacher_dataset(mini_cache, 4, "train", num_buckets=num_buckets,
                                                deterministic=True, seed=5, masks=False))
        return sum(b["mel"].shape[0] * b["mel"].shape[1] - b["mel_lengths"].sum() for b in batches)

    assert padding(7) < 0.5 * padding(1)


def test_determinism_and_reshuffling(mini_cache):
    def run(seed, epochs=1):
        ds = data.teacher_dataset(mini_cache, 4, "train", deterministic=True, seed=seed, with_ids=True)
        return [[b["id"].numpy().tolist() for b in ds] for _ in range(epochs)]

    a, b = run(3, epochs=2), run(3, epochs=2)
    assert a == b
    assert a[0] != a[1]  # reshuffled every epoch
    assert run(4) != a[:1]
    again = _collect(data.teacher_dataset(mini_cache, 4, "train", deterministic=True, seed=3).take(2))
    first = _collect(data.teacher_dataset(mini_cache, 4, "train", deterministic=True, seed=3).take(2))
    for x, y in zip(again, first):
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])


def test_sharding(mini_cache):
    cache = data.load_cache(mini_cache)
    ids = []
    for index in range(3):
        ds = data.teacher_dataset(mini_cache, 4, "all", shard=(3, index), with_ids=True, shuffle=True, seed=1)
        ids.append([i.decode() for b in _collect(ds) for i in b["id"]])
    assert sum(len(x) for x in ids) == 32 and sorted(sum(ids, [])) == cache.ids
    assert all(10 <= len(x) <= 11 for x in ids)
    with pytest.raises(ValueError, match="worker_index"):
        data.teacher_dataset(mini_cache, 4, shard=(2, 2))


def test_durations_roundtrip(tmp_path):
    d = {"a": np.array([1, 2, 3]), "b-1": [0, 4]}
    data.save_durations(tmp_path / "d.npz", d)
    back = data.load_durations(tmp_path / "d.npz")
    assert set(back) == {"a", "b-1"} and back["a"].dtype == np.int32
    np.testing.assert_array_equal(back["b-1"], [0, 4])
    with pytest.raises(ValueError, match="negative"):
        data.save_durations(tmp_path / "e.npz", {"a": [1, -1]})
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        data.load_durations(tmp_path / "nope.npz")


def test_student_batches(mini_cache, tmp_path):
    cache = data.load_cache(mini_cache)
    durations = _even_durations(cache)
    data.save_durations(tmp_path / "durations.npz", durations)
    silence = standardize(np.float32(SILENCE))
    seen = 0
    for b in _collect(data.student_dataset(mini_cache, tmp_path / "durations.npz", 3, "train", with_ids=True,
                                           deterministic=True, seed=2)):
        assert b["durations"].dtype == np.int32 and b["durations"].shape == b["phonemes"].shape
        np.testing.assert_array_equal(b["durations"].sum(axis=1), b["mel_lengths"])
        for k in range(len(b["id"])):
            item = data.load_item(cache, b["id"][k].decode())
            n, t = b["phoneme_lengths"][k], b["mel_lengths"][k]
            np.testing.assert_array_equal(b["durations"][k, :n], durations[item["id"]])
            assert not b["durations"][k, n:].any()
            np.testing.assert_allclose(b["mel"][k, :t], standardize(item["mel"]), atol=1e-5)
            np.testing.assert_allclose(b["mel"][k, t:], silence, atol=1e-6)
            seen += 1
    assert seen == 29


def test_student_batches_padded_to_multiples_keep_their_own_length(mini_cache, tmp_path):
    """pad_multiple: the same batches, padded further (pad id, zero durations, silence) to multiples of (S, F),
    with "batch_frames" = the longest item's frames (what the SSIM term normalises by)."""
    cache = data.load_cache(mini_cache)
    data.save_durations(tmp_path / "d.npz", _even_durations(cache))
    silence = standardize(np.float32(SILENCE))
    kw = dict(with_ids=True, deterministic=True, seed=4)
    plain = _collect(data.student_dataset(mini_cache, tmp_path / "d.npz", 3, "train", **kw))
    padded = _collect(data.student_dataset(mini_cache, tmp_path / "d.npz", 3, "train", pad_multiple=(16, 64), **kw))
    assert len(plain) == len(padded) and len({b["mel"].shape[1] for b in padded}) < len(plain)
    for a, b in zip(plain, padded):
        n = a["phonemes"].shape[1]
        assert b["phonemes"].shape[1] % 16 == 0 and b["mel"].shape[1] % 64 == 0
        assert list(b["batch_frames"]) == [a["mel"].shape[1]] * len(b["id"])
        assert list(a["id"]) == list(b["id"])
        np.testing.assert_array_equal(b["phonemes"][:, :n], a["phonemes"])
        assert (b["phonemes"][:, n:] == cache.text.pad_id).all() and not b["durations"][:, n:].any()
        np.testing.assert_array_equal(b["mel"][:, :a["mel"].shape[1]], a["mel"])
        np.testing.assert_allclose(b["mel"][:, a["mel"].shape[1]:], silence, atol=1e-6)
    with pytest.raises(ValueError, match="pad_multiple"):
        data.student_dataset(mini_cache, tmp_path / "d.npz", 3, "train", pad_multiple=(0, 64))


def test_student_duration_errors(mini_cache):
    cache = data.load_cache(mini_cache)
    durations = _even_durations(cache)
    bad = dict(durations)
    bad["LJ001-0005"] = bad["LJ001-0005"] + np.eye(1, len(bad["LJ001-0005"]), dtype=np.int32)[0]
    with pytest.raises(ValueError, match="LJ001-0005.*sum to"):
        data.student_dataset(mini_cache, bad, 4)
    short = dict(durations)
    short["LJ001-0003"] = short["LJ001-0003"][:-1]
    with pytest.raises(ValueError, match="LJ001-0003.*phonemes"):
        data.student_dataset(mini_cache, short, 4)
    missing = {k: v for k, v in durations.items() if k != "LJ001-0002"}
    with pytest.raises(ValueError, match="no durations for 1 .*LJ001-0002"):
        data.student_dataset(mini_cache, missing, 4)
    ds = data.student_dataset(mini_cache, missing, 4, skip_missing=True, with_ids=True)
    assert sum(len(b["id"]) for b in ds) == 28


def test_vocoder_crops_are_aligned(mini_cache):
    cache = data.load_cache(mini_cache)
    ds = data.vocoder_dataset(mini_cache, 5, segment_samples=8000, deterministic=True, seed=7, with_ids=True)
    batches = _collect(ds)
    S = math.ceil(8000 / 256)
    assert sum(len(b["id"]) for b in batches) == 29
    starts = set()
    for b in batches:
        assert b["mel"].shape[1:] == (S, 80) and b["audio"].shape[1:] == (S * 256,)
        assert b["mel"].dtype == np.float32 and b["audio"].dtype == np.float32
        assert np.all(b["mel_mask"] == 1) and np.all(b["audio_mask"] == 1)  # every item is longer than 8000
        for k in range(len(b["id"])):
            item = data.load_item(cache, b["id"][k].decode())
            mel, audio = item["mel"], item["audio"].astype(np.float32) / 32768.0
            matches = [f for f in range(len(mel) - S + 1) if np.array_equal(mel[f:f + S], b["mel"][k])]
            assert len(matches) == 1
            f = matches[0]
            starts.add(f)
            np.testing.assert_array_equal(b["audio"][k], audio[f * 256:(f + S) * 256])
    assert len(starts) > 5  # random crops, not a fixed offset
    # the same seed gives the same crops; the next epoch gives new ones
    again = _collect(data.vocoder_dataset(mini_cache, 5, segment_samples=8000, deterministic=True, seed=7,
                                          with_ids=True))
    for x, y in zip(batches, again):
        np.testing.assert_array_equal(x["audio"], y["audio"])
    second_epoch = _collect(ds)
    assert any(not np.array_equal(x["mel"], y["mel"]) for x, y in zip(batches, second_epoch))


def test_vocoder_pads_short_items(mini_cache):
    cache = data.load_cache(mini_cache)
    longest = max(i["samples"] for i in cache.items)
    seg = longest + 3000
    S = math.ceil(seg / 256)
    ds = data.vocoder_dataset(mini_cache, 8, segment_samples=seg, split="valid", with_ids=True)
    for b in _collect(ds):
        assert b["mel"].shape[1] == S and b["audio"].shape[1] == S * 256
        for k in range(len(b["id"])):
            item = data.load_item(cache, b["id"][k].decode())
            t, n = len(item["mel"]), len(item["audio"])
            np.testing.assert_array_equal(b["mel"][k, :t], item["mel"])
            np.testing.assert_allclose(b["mel"][k, t:], SILENCE, atol=1e-6)
            np.testing.assert_array_equal(b["audio"][k, :n], item["audio"] / 32768.0)
            assert not b["audio"][k, n:].any()
            assert b["mel_mask"][k].sum() == t and b["audio_mask"][k].sum() == n


def test_pipelines_under_distribution_strategy(mini_cache):
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    ds = strategy.experimental_distribute_dataset(data.teacher_dataset(mini_cache, 4, "valid"))
    batch = next(iter(ds))
    assert batch["mel"].shape[-1] == 80
    vds = strategy.experimental_distribute_dataset(
        data.vocoder_dataset(mini_cache, 2, segment_samples=2048, split="valid", drop_remainder=True))

    @tf.function
    def step(b):
        return tf.reduce_sum(b["audio_mask"])

    total = strategy.run(step, args=(next(iter(vds)),))
    assert float(total) == 2 * 2048


def test_pipeline_errors(mini_cache, tmp_path):
    with pytest.raises(ValueError, match="batch_size"):
        data.teacher_dataset(mini_cache, 0)
    with pytest.raises(FileNotFoundError, match="not a preprocessed cache"):
        data.teacher_dataset(tmp_path, 4)
    # a truncated cache file gives an error that names it
    broken = tmp_path / "broken"
    shutil.copytree(mini_cache, broken)
    path = broken / "mels" / "LJ001-0030.npy"
    path.write_bytes(path.read_bytes()[:-320])
    import tensorflow as tf

    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(str(path))):
        _collect(data.teacher_dataset(broken, 4, "valid"))
