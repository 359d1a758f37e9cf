"""The bundled voice: where `Synthesizer()`, `speedyspeech-synth` and `demo` find a model when none is named.

Order: $SPEEDYSPEECH_VOICE (a model directory), then the repository's voices/<DEFAULT_VOICE>/ (an editable install
or a checkout). Pure Python: the TensorFlow-free runtime uses it.
"""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_VOICE = "slt"
VOICES_DIR = Path(__file__).resolve().parents[2] / "voices"
ENV = "SPEEDYSPEECH_VOICE"


def bundled_voices() -> list[str]:
    """Names of the voices under voices/ that hold a config.json."""
    if not VOICES_DIR.is_dir():
        return []
    return sorted(p.name for p in VOICES_DIR.iterdir() if (p / "config.json").is_file())


def default_voice_dir(name: str | None = None) -> Path:
    """The model directory of voice `name` (default: $SPEEDYSPEECH_VOICE, else the bundled DEFAULT_VOICE).
    Raises FileNotFoundError with what to do when there is none."""
    if name is None and os.environ.get(ENV):
        path = Path(os.environ[ENV])
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"${ENV}={path}: not an exported model directory (no config.json)")
        return path
    path = VOICES_DIR / (name or DEFAULT_VOICE)
    if not (path / "config.json").is_file():
        have = bundled_voices()
        raise FileNotFoundError(f"no bundled voice {name or DEFAULT_VOICE!r} at {path}"
                                + (f" (have: {', '.join(have)})" if have else "")
                                + "; pass --model-dir DIR (speedyspeech-tf export) or set $" + ENV)
    return path


__all__ = ["DEFAULT_VOICE", "VOICES_DIR", "bundled_voices", "default_voice_dir"]
