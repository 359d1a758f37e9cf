"""Hyper-parameters as dataclasses, with the paper's / reference code's defaults.

Every checkpoint and every exported model directory stores the configs it was made with as JSON
(`config.json`), so that a model always travels with the audio and text settings it needs.

This module imports only the standard library: the TensorFlow-free runtime reads these configs too.
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Type, TypeVar

T = TypeVar("T")

# The reference's 78-symbol table: <pad>, <unk>, 70 ARPAbet phonemes with stress as g2p_en emits them,
# then space and punctuation. Ids are positions in this list (see ../shared/reference/README.md).
PHONEMES = (
    "AA0 AA1 AA2 AE0 AE1 AE2 AH0 AH1 AH2 AO0 AO1 AO2 AW0 AW1 AW2 AY0 AY1 AY2 B CH D DH EH0 EH1 EH2 "
    "ER0 ER1 ER2 EY0 EY1 EY2 F G HH IH0 IH1 IH2 IY0 IY1 IY2 JH K L M N NG OW0 OW1 OW2 OY0 OY1 OY2 "
    "P R S SH T TH UH0 UH1 UH2 UW UW0 UW1 UW2 V W Y Z ZH"
).split()
PUNCTUATION = [" ", ".", ",", "?", "!", "\\-"]
SYMBOLS = ["<pad>", "<unk>"] + PHONEMES + PUNCTUATION
PAD_ID = 0
UNK_ID = 1
assert len(SYMBOLS) == 78, len(SYMBOLS)


class ConfigMismatchError(ValueError):
    """A checkpoint or model directory was made with another configuration."""


@dataclass
class AudioConfig:
    """Audio features exactly as the reference computes them."""

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float = 8000.0
    log_floor: float = 1e-5  # log(max(mel, 1e-5)); log(1e-5) = -11.5129 is "silence"
    # Student: log-mel standardised with LJ Speech statistics.
    mel_mean: float = -5.522
    mel_std: float = 2.063
    # Teacher: log-mel min-max scaled to [0, 1].
    teacher_min: float = -11.5129
    teacher_max: float = 2.0584

    @property
    def silence_log_mel(self) -> float:
        return self.teacher_min


@dataclass
class TextConfig:
    symbols: list[str] = field(default_factory=lambda: list(SYMBOLS))
    pad_id: int = PAD_ID
    unk_id: int = UNK_ID


def to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(cls: Type[T], data: dict) -> T:
    """Build a dataclass from a dict, recursing into nested dataclass fields.

    Unknown keys are an error (they mean the file was written by another version or for another model).
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls} is not a dataclass")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigMismatchError(f"{cls.__name__}: unknown keys {unknown}")
    kwargs = {}
    hints = _type_hints(cls)
    for key, value in data.items():
        ftype = hints.get(key)
        if dataclasses.is_dataclass(ftype) and isinstance(value, dict):
            value = from_dict(ftype, value)
        elif isinstance(value, list) and isinstance(getattr(cls, key, None), tuple):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def _type_hints(cls) -> dict:
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - forward refs that cannot be resolved
        return {}


def save_json(data: Any, path: str | os.PathLike) -> None:
    """Write JSON atomically (temp file + rename), so a crash never leaves half a file."""
    if dataclasses.is_dataclass(data):
        data = to_dict(data)
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def diff_configs(expected: Any, actual: Any, prefix: str = "") -> list[str]:
    """List the differences between two configs (dataclasses or dicts), as 'key: expected != actual'."""
    if dataclasses.is_dataclass(expected):
        expected = to_dict(expected)
    if dataclasses.is_dataclass(actual):
        actual = to_dict(actual)
    out = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            name = f"{prefix}{key}"
            if key not in expected:
                out.append(f"{name}: not expected (found {actual[key]!r})")
            elif key not in actual:
                out.append(f"{name}: missing (expected {expected[key]!r})")
            else:
                out.extend(diff_configs(expected[key], actual[key], prefix=name + "."))
    elif _norm(expected) != _norm(actual):
        out.append(f"{prefix.rstrip('.')}: {expected!r} != {actual!r}")
    return out


def _norm(v):
    if isinstance(v, tuple):
        return list(v)
    return v


def check_same(expected: Any, actual: Any, what: str) -> None:
    """Raise ConfigMismatchError naming the first differences between two configs."""
    diffs = diff_configs(expected, actual)
    if diffs:
        shown = "; ".join(diffs[:5]) + (f" (+{len(diffs) - 5} more)" if len(diffs) > 5 else "")
        raise ConfigMismatchError(f"{what} was made with another configuration: {shown}")
