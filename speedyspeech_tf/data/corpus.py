"""Reading a corpus in the LJ Speech layout: CORPUS_DIR/metadata.csv (`id|text|normalized text`, no header,
pipe-separated, no quoting) beside CORPUS_DIR/wavs/<id>.wav."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

# Characters an item id may not hold: it names files (<id>.wav, <id>.npy) and lines of text files.
INVALID_ID = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass
class Row:
    """One usable row of metadata.csv."""

    id: str
    text: str
    line: int


def read_metadata(corpus_dir: str | os.PathLike, limit: int | None = None
                  ) -> tuple[list[Row], list[tuple[str, str, int]]]:
    """Parse CORPUS_DIR/metadata.csv (`id|text[|normalized text]`, no header, no quoting).

    Returns (rows, skipped): rows use the normalized text when that column is present and non-empty, else
    the raw text; skipped lists (id or "line N", reason, line number) for malformed rows, duplicate ids and
    empty text. Blank lines are ignored; `limit` keeps the first N non-blank lines.
    """
    corpus_dir = os.fspath(corpus_dir)
    if not os.path.isdir(corpus_dir):
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    path = os.path.join(corpus_dir, "metadata.csv")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: not found (a corpus in the LJ Speech layout has metadata.csv "
                                "and wavs/)")
    rows: list[Row] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    count = 0
    try:
        with open(path, encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text ({e})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        count += 1
        if limit is not None and count > limit:
            break
        fields = line.split("|")
        item_id = fields[0].strip()
        where = item_id if item_id and not INVALID_ID.search(item_id) else f"line {number}"
        if len(fields) < 2 or len(fields) > 3:
            skipped.append((where, f"malformed row: line {number} has {len(fields)} '|'-separated fields, "
                                   "expected 2 or 3 (id|text|normalized text)", number))
            continue
        if not item_id or INVALID_ID.search(item_id) or item_id in (".", ".."):
            skipped.append((where, f"malformed row: line {number} has an invalid id {item_id!r}", number))
            continue
        if item_id in seen:
            skipped.append((item_id, f"malformed row: line {number} repeats id {item_id}", number))
            continue
        seen.add(item_id)
        text = fields[2].strip() if len(fields) == 3 and fields[2].strip() else fields[1].strip()
        if not text:
            skipped.append((item_id, "empty text", number))
            continue
        rows.append(Row(item_id, text, number))
    return rows, skipped

