"""Shared test fixtures.

Tests may read ../shared/ (reference checkpoints and LJ Speech samples), which CI keeps beside the clone.
Where it is missing, the tests that need it skip with a message naming it; the rest still run.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SPEEDYSPEECH_SHARED", REPO.parent / "shared"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (the shared data folder beside the clone); not found")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return _need(SHARED / "reference")


@pytest.fixture(scope="session")
def ljspeech_mini() -> Path:
    return _need(SHARED / "data" / "ljspeech_mini")


@pytest.fixture(scope="session")
def ljspeech_transcripts() -> Path:
    return _need(SHARED / "data" / "ljspeech_transcripts.txt")


@pytest.fixture(scope="session")
def mini_cache(ljspeech_mini, tmp_path_factory) -> Path:
    """ljspeech_mini preprocessed once per session (speedyspeech_tf.data.preprocess, default settings):
    a cache folder for teacher_dataset / student_dataset / vocoder_dataset. Treat it as read-only."""
    from speedyspeech_tf.data import preprocess

    out = tmp_path_factory.mktemp("mini_cache") / "cache"
    preprocess(ljspeech_mini, out, workers=1, progress=False, log=None)
    return out


@pytest.fixture(scope="session")
def durations_file(mini_cache, tmp_path_factory) -> Path:
    """Durations of mini_cache spread evenly over each item's phonemes (durations.uniform_durations): what the
    student needs besides the cache when the test is not about extraction. Treat it as read-only."""
    from speedyspeech_tf.data import load_cache, save_durations
    from speedyspeech_tf.durations import uniform_durations

    cache = load_cache(mini_cache)
    path = tmp_path_factory.mktemp("durations") / "durations.npz"
    save_durations(path, {i["id"]: uniform_durations(len(i["phonemes"]), i["frames"]) for i in cache.items})
    return path
