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


# The slow tier (`-m slow`; `bash tools/run.sh test --quick` runs the rest). Mark a new test slower than ~20 s with
# @pytest.mark.slow in its file; the modules and tests below are marked here because they belong to files others
# are editing. Measured with `pytest --durations=0` on the 2-core machine (loaded: 15-20 other processes).
SLOW_MODULES = {
    "test_train_student.py", "test_train_teacher.py", "test_train_vocoder.py", "test_train_demo_corpus.py",
    "test_export.py",  # every test trains or exports full TFLite models (tens of seconds each)
}
SLOW_TESTS = {
    "test_text.py::test_all_ljspeech_transcripts_offline",                 # 607 s (13,100 transcripts)
    "test_runtime.py::test_synthesis_runs_with_tensorflow_unimportable",   # 305 s + 102 s fixture
    "test_student.py::test_train_step_in_tf_function_with_varying_lengths",  # 33 s
    "test_data.py::test_bad_rows_are_reported_and_the_rest_cached",        # 29 s
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = os.path.basename(str(item.fspath))
        if module in SLOW_MODULES or f"{module}::{item.originalname}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
