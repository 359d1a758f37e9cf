"""The `speedyspeech-tf` command line: --help is fast and TensorFlow-free, every trainer command is registered."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_SCRIPT = r"""
import contextlib, io, json, sys
from speedyspeech_tf.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
print("RESULT " + json.dumps({"code": code, "help": out.getvalue(),
                              "heavy": sorted(m for m in ("tensorflow", "keras") if m in sys.modules)}))
"""


def _help(*argv: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, *argv, "--help"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.parametrize("command", [(), ("train-student",), ("train-teacher",), ("extract-durations",),
                                     ("train-vocoder",), ("preprocess",)])
def test_help_does_not_import_tensorflow(command):
    out = _help(*command)
    assert out["code"] == 0 and out["heavy"] == [], out["heavy"]
    if not command:
        for name in ("preprocess", "train-teacher", "extract-durations", "train-student", "train-vocoder"):
            assert name in out["help"]
    else:
        assert f"speedyspeech-tf {command[0]}" in out["help"] and "--help" in out["help"]


def test_trainer_commands_share_their_run_options():
    for command in ("train-teacher", "train-student", "train-vocoder"):
        text = _help(command)["help"]
        for option in ("--steps-per-epoch", "--epochs", "--minutes", "--batch-size", "--strategy", "--config",
                       "--seed", "--no-progress", "{auto,default,mirrored,multi_worker}"):
            assert option in text, (command, option)
        assert ("--mixed-precision" in text) == (command != "train-vocoder")
        assert ("--init" in text) == (command != "train-teacher")
