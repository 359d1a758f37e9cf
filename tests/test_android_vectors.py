"""The Android core's shared test vectors are current, and the front-end assets hold what the front end (speedyspeech_tf/text/) uses.

The vectors (android_demo/core/src/test/resources/vectors.tsv + sidecar files) are regenerated in memory from the
inputs stored in the file itself, so this test needs nothing outside the repository. Regenerate with
`python -m speedyspeech_tf.android_assets --vectors`.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import struct

import numpy as np
import pytest

from speedyspeech_tf import android_assets as A
from speedyspeech_tf import text as T
from speedyspeech_tf.config import SYMBOLS

VECTORS = A.DEFAULT_VECTORS
REGENERATE = "python -m speedyspeech_tf.android_assets --vectors"


@pytest.fixture(scope="module")
def stored() -> str:
    if not VECTORS.is_file():
        pytest.fail(f"{VECTORS} is missing: run `{REGENERATE}`")
    return VECTORS.read_text(encoding="utf-8")


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), 1):
        if x != y:
            return f"line {i}:\n  file:  {x[:300]}\n  now:   {y[:300]}"
    return f"lengths differ ({len(a.splitlines())} vs {len(b.splitlines())} lines)"


def test_vectors_are_current(stored):
    """Every row (and every sidecar file) equals what the Python front end gives now for the stored inputs."""
    text_, sidecars = A.regenerate_from_file(stored)
    assert text_ == stored, f"{VECTORS.name} is stale ({REGENERATE}); first difference at " + \
        _first_difference(stored, text_)
    for name, data in sidecars.items():
        path = VECTORS.parent / name
        assert path.is_file(), f"{path} is missing ({REGENERATE})"
        assert path.read_text(encoding="utf-8") == data, f"{path} is stale ({REGENERATE})"


def test_vector_inputs_are_the_projects_sentences(stored):
    """The stored sentences are the project's own generators' (plus the LJ Speech sample), so a change of a table in
    the front end or of the sentence generators shows up here as stale vectors."""
    inputs = A.parse_vectors(stored)
    own = [(src, s) for src, s in inputs.sentences if not src.startswith("lj:")]
    assert own == A.project_sentences(), f"the project's sentences changed: {REGENERATE}"
    assert inputs.paragraphs == A.split_inputs(), f"the split inputs changed: {REGENERATE}"
    lj = [(src, s) for src, s in inputs.sentences if src.startswith("lj:")]
    assert len(lj) == A.LJ_SAMPLE


def test_lj_sample_matches_the_transcripts(stored, ljspeech_transcripts):
    lj = [(src, s) for src, s in A.parse_vectors(stored).sentences if src.startswith("lj:")]
    assert lj == A.lj_sample(ljspeech_transcripts)


def test_vectors_cover_what_must_match(stored):
    rows = [line.split("\t") for line in stored.splitlines() if line.startswith("ids\t")]
    kinds = {}
    for r in rows:
        kinds[r[1]] = kinds.get(r[1], 0) + 1
    assert kinds.get("dict", 0) >= 300 and kinds.get("homograph", 0) >= 5 and kinds.get("oov", 0) >= 20, kinds
    texts = [json.loads(r[3]) for r in rows]
    joined = "\n".join(texts)
    # every normalisation table entry appears in some sentence
    for table in (T.UNICODE_TABLE, T.LETTER_TABLE, T.SYMBOL_WORDS, T.CURRENCIES):
        missing = [k for k in table if k not in joined]
        assert not missing, f"no vector sentence contains {missing}"
    for key in list(T.TITLE_ABBREVIATIONS) + list(T.ABBREVIATIONS):
        assert f"{key}." in joined, key
    # numbers of every kind, in exact-match (dict) rows
    dict_texts = "\n".join(json.loads(r[3]) for r in rows if r[1] == "dict")
    for pattern in (r"\$\d+\.\d\d", r"\d+:\d\d", r"\d+%", r"\d+(st|nd|rd|th)\b", r"\b1[0-9]{3}\b", r"\d0s\b",
                    r"\d{1,3}(,\d{3})+", r"-\d", r"#\d", r"No\. \d", r"\d\u2013\d", r"\d\.\d"):
        assert re.search(pattern, dict_texts), f"no exact-match sentence with a number like {pattern!r}"
    # errors are vectors too
    assert sum(r[5] == "ERROR" for r in rows) >= 3
    for kind in ("split", "chunk", "halves", "windows", "vocode", "number", "pcm", "wav"):
        assert any(line.startswith(kind + "\t") for line in stored.splitlines()), kind


def test_dict_rows_need_no_network_and_no_tagger(stored):
    """The documented exclusion rule holds: 'dict' rows have no homograph and no out-of-vocabulary word, so their ids
    do not depend on the POS tagger; 'oov' rows really need the network."""
    rows = [line.split("\t") for line in stored.splitlines() if line.startswith("ids\t")]
    for name in ("none", "textblob"):
        T.set_pos_tagger(name)
        try:
            for r in rows:
                if r[1] == "dict" and r[5] != "ERROR":
                    assert " ".join(map(str, T.text_to_ids(json.loads(r[3])))) == r[5], r[3]
        finally:
            T.set_pos_tagger(None)
    cmu = T.cmu_dict()
    for r in rows:
        if r[1] != "oov":
            continue
        words = [t.lower() for t in T.tokenize(T.normalize_text(json.loads(r[3]))) if re.fullmatch(r"[A-Za-z']+", t)]
        assert any(A.word_route(w)[0] == "oov" for w in words), r[3]
        assert any(w.strip("'") not in cmu for w in words)


def test_word_route_follows_word_pronunciation(stored, monkeypatch):
    """word_route (which picks the lexicon subset and the row kinds) mirrors text.word_pronunciation: 'oov' exactly
    when the network is asked, and the dictionary keys it reports are all the pronunciation needs."""
    words = {"hello", "'tis", "dogs'", "james's", "o'clock", "''", "it's", "zorbulon's", "rock'n'roll", "x'y",
             "ma'am", "y'all", "'hello'", "cat's'", "glorpification", "'", "a'b'c's"}
    for line in stored.splitlines():
        if line.startswith("ids\t"):
            text_ = json.loads(line.split("\t")[3])
            words |= {t.lower() for t in T.tokenize(T.normalize_text(text_)) if re.fullmatch(r"[A-Za-z']+", t)}
    routes = {w: A.word_route(w) for w in sorted(words)}
    assert {r for r, _ in routes.values()} == {"dict", "oov"}
    full = {w: T.word_pronunciation(w) for w in words}
    cmu = T.cmu_dict()

    class NoNetwork:
        def predict(self, letters):
            raise LookupError(letters)

    from speedyspeech_tf.text import lexicon

    monkeypatch.setattr(lexicon, "oov_model", lambda: NoNetwork())
    try:
        for w, (route, keys) in routes.items():
            T.word_pronunciation.cache_clear()
            if route == "oov":
                with pytest.raises(LookupError):
                    T.word_pronunciation(w)
                continue
            monkeypatch.setattr(lexicon, "cmu_dict", lambda keys=keys: {k: cmu[k] for k in keys})
            assert T.word_pronunciation(w) == full[w], w
            monkeypatch.setattr(lexicon, "cmu_dict", lambda: cmu)
    finally:
        T.word_pronunciation.cache_clear()


def test_write_assets(tmp_path):
    paths = A.write_assets(tmp_path / "assets")
    names = sorted(os.path.basename(p) for p in paths)
    assert names == sorted(A.ASSET_FILES)
    d = tmp_path / "assets"
    manifest = json.loads((d / A.MANIFEST_FILE).read_text())
    assert manifest["format_version"] == A.FORMAT_VERSION and manifest["symbols"] == list(SYMBOLS)
    for name, info in manifest["files"].items():
        assert (d / name).stat().st_size == info["bytes"]

    # the lexicon: every dictionary word a token can be, with its first pronunciation
    lines = gzip.decompress((d / A.LEXICON_FILE).read_bytes()).decode("utf-8").splitlines()
    header, entries = lines[0], dict(line.split("\t") for line in lines[1:])
    assert header == f"{A.LEXICON_HEADER} 1 {len(entries)}"
    cmu = T.cmu_dict()
    assert len(entries) > 120_000
    for w in ("hello", "u.s.", "o'clock", "read", "a", "zulu"):
        assert entries[w] == " ".join(cmu[w][0]), w
    assert "able-bodied" not in entries  # hyphenated entries can never be looked up (hyphens split words)
    phonemes = set(SYMBOLS[2:72])
    assert all(p in phonemes for pron in entries.values() for p in pron.split())

    # homographs: the front end's table, corrections included
    hom = (d / A.HOMOGRAPHS_FILE).read_text().splitlines()
    table = T.homograph_table()
    assert hom[0] == f"{A.HOMOGRAPHS_HEADER} 1 {len(table)}"
    read = next(line for line in hom if line.startswith("read|"))
    assert read == "read|R EH1 D|R IY1 D|VBD,VBN"

    # the network's weights, bit for bit
    raw = (d / A.G2P_FILE).read_bytes()
    assert raw.startswith(A.G2P_HEADER)
    pos = len(A.G2P_HEADER)
    npz = np.load(os.path.join(T.g2p_en_dir(), "checkpoint20.npz"))
    for name in A.G2P_ARRAYS:
        (n,) = struct.unpack_from("<i", raw, pos)
        pos += 4
        assert raw[pos:pos + n].decode() == name
        pos += n
        (rank,) = struct.unpack_from("<i", raw, pos)
        shape = struct.unpack_from(f"<{rank}i", raw, pos + 4)
        pos += 4 + 4 * rank
        size = int(np.prod(shape)) * 4
        got = np.frombuffer(raw[pos:pos + size], "<f4").reshape(shape)
        pos += size
        np.testing.assert_array_equal(got, npz[name])
    assert pos == len(raw)

    # reproducible: writing again gives the same bytes
    again = A.write_assets(tmp_path / "again")
    for p, q in zip(sorted(paths), sorted(again)):
        assert open(p, "rb").read() == open(q, "rb").read(), p


def test_write_assets_refuses_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(NotADirectoryError, match="file"):
        A.write_assets(f)


def test_check_command_reports_stale_vectors(tmp_path, stored, capsys):
    path = tmp_path / "vectors.tsv"
    assert A.main(["--check", str(path)]) == 1  # missing
    for name in [VECTORS.name, A.LEXICON_SUBSET_FILE, A.HOMOGRAPHS_FILE, A.EXPORT_CONFIG_FILE]:
        (tmp_path / name).write_bytes((VECTORS.parent / name).read_bytes())
    assert A.main(["--check", str(path)]) == 0
    lines = stored.splitlines(keepends=True)
    i = next(k for k, line in enumerate(lines) if line.startswith("ids\tdict\t"))
    f = lines[i].rstrip("\n").split("\t")
    f[5] = f[5] + " 72"
    lines[i] = "\t".join(f) + "\n"
    path.write_text("".join(lines))
    assert A.main(["--check", str(path)]) == 1
    assert "stale" in capsys.readouterr().err


def test_export_android_assets_option_writes_models_config_and_front_end(tmp_path):
    """`speedyspeech-tf export --android-assets DIR` (exporting.pipeline.copy_android_assets) fills an app's assets
    folder completely: the models and config.json from the export directory plus the front-end assets."""
    from speedyspeech_tf.config import ExportConfig
    from speedyspeech_tf.exporting.pipeline import copy_android_assets

    out = tmp_path / "export"
    out.mkdir()
    ExportConfig().save(out / "config.json")
    (out / "student.tflite").write_bytes(b"student")
    with pytest.raises(FileNotFoundError, match="vocoder.tflite"):
        copy_android_assets(out, tmp_path / "assets")
    (out / "vocoder.tflite").write_bytes(b"vocoder")
    written = copy_android_assets(out, tmp_path / "assets")
    names = sorted(os.listdir(tmp_path / "assets"))
    assert names == sorted(["config.json", "student.tflite", "vocoder.tflite", *A.ASSET_FILES])
    assert sorted(os.path.basename(p) for p in written) == names
    assert (tmp_path / "assets" / "vocoder.tflite").read_bytes() == b"vocoder"


def test_export_voice_copies_the_bundled_voice_into_android_assets(tmp_path, capsys):
    """`speedyspeech-tf export --voice --android-assets DIR`: the bundled voice's files, byte for byte, into an
    app's assets folder, without exporting anything; misuse is a one-line error (exit 2)."""
    from speedyspeech_tf import cli
    from speedyspeech_tf.runtime.voices import default_voice_dir

    voice = default_voice_dir()
    assets = tmp_path / "assets"
    assert cli.main(["export", "--voice", "--android-assets", str(assets), "--quiet"]) == 0
    for name in ("config.json", "student.tflite", "vocoder.tflite"):
        assert (assets / name).read_bytes() == (voice / name).read_bytes(), name
    assert set(A.ASSET_FILES) <= set(os.listdir(assets))
    # an exported model directory works the same way
    assert cli.main(["export", "--voice", str(voice), "--android-assets", str(tmp_path / "a2"), "--quiet"]) == 0
    assert (tmp_path / "a2" / "vocoder.tflite").read_bytes() == (voice / "vocoder.tflite").read_bytes()
    capsys.readouterr()
    assert cli.main(["export", "--voice"]) == 2
    assert "--android-assets" in capsys.readouterr().err
    assert cli.main(["export", "--voice", "--student", "x", "--android-assets", str(assets)]) == 2
    assert "--student" in capsys.readouterr().err
    assert cli.main(["export", "--voice", "nosuchvoice", "--android-assets", str(assets)]) == 2
    assert "nosuchvoice" in capsys.readouterr().err
    assert cli.main(["export", "--out", str(tmp_path / "o")]) == 2
    assert "--student" in capsys.readouterr().err
