"""BENCHMARKS.md is generated, never edited: every section sits between the markers of the script that wrote it
(benchmarks/report.py), that script exists and writes its section through report.write_section, and
benchmarks/run_all.py runs it. Fast: reads files only."""
from __future__ import annotations

import importlib.util
import os
import re
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "benchmarks")
MARKER = re.compile(r"^<!-- (.+?): (begin|end) -->$")
STALE = "(stale: from an earlier version of the script; rerun benchmarks/run_all.py)"


def parse_sections(text: str) -> list[dict]:
    """[{name, script, body, begin_line}] for every marked section; raises ValueError on any text that is not
    inside a section (after the title and the opening paragraph) or on unbalanced or nested markers."""
    sections, current, lines = [], None, text.splitlines()
    seen_section = False
    for i, line in enumerate(lines, 1):
        m = MARKER.match(line.strip())
        if m:
            name, kind = m.groups()
            if kind == "begin":
                if current is not None:
                    raise ValueError(f"line {i}: section {name!r} begins inside {current['name']!r}")
                current = {"name": name, "script": name.split()[0], "body": [], "begin_line": i}
                seen_section = True
            else:
                if current is None or current["name"] != name:
                    raise ValueError(f"line {i}: end of {name!r} without its begin")
                current["body"] = "\n".join(current["body"])
                sections.append(current)
                current = None
            continue
        if current is not None:
            current["body"].append(line)
        elif line.startswith("## ") or (seen_section and line.strip()):
            raise ValueError(f"line {i}: text outside any script's markers: {line[:80]!r}")
    if current is not None:
        raise ValueError(f"section {current['name']!r} (line {current['begin_line']}) has no end marker")
    return sections


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", os.path.join(BENCH, "run_all.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_section_is_marked_and_its_script_exists_and_writes_it():
    text = open(os.path.join(REPO, "BENCHMARKS.md"), encoding="utf-8").read()
    sections = parse_sections(text)
    assert sections, "BENCHMARKS.md has no marked section"
    names = [s["name"] for s in sections]
    assert len(names) == len(set(names)), f"a section appears twice: {names}"
    for s in sections:
        path = os.path.join(REPO, s["script"])
        assert os.path.isfile(path), f"section {s['name']!r}: its script {s['script']} is missing"
        assert "write_section(" in open(path, encoding="utf-8").read(), \
            f"{s['script']} does not write its section through benchmarks/report.py"
        assert re.search(r"^## \S", s["body"], re.M), f"section {s['name']!r} has no heading"
        generated = f"_Written by `{s['name']}`; do not edit by hand._" in s["body"] and "- Command: `" in s["body"]
        assert generated or STALE in s["body"], \
            f"section {s['name']!r} has neither report.py's header nor the stale note"


def test_run_all_runs_every_script_that_writes_a_section():
    mod = _run_all()
    scripts = {a[0] for _, a in mod.commands("/tmp/w", None, 1.0) if a[0].endswith(".py")}
    for script in scripts:
        assert os.path.isfile(os.path.join(REPO, script)), f"run_all.py names a missing script {script}"
    text = open(os.path.join(REPO, "BENCHMARKS.md"), encoding="utf-8").read()
    for s in parse_sections(text):
        assert s["script"] in scripts | set(mod.section_writers()), f"run_all.py does not run {s['script']}"


@pytest.mark.parametrize("bad, why", [
    ("# B\n\nintro\n\n## Hand-made\n\nnumbers\n", "outside"),
    ("# B\n\n<!-- benchmarks/x.py: begin -->\n## X\n", "no end marker"),
    ("# B\n\n<!-- benchmarks/x.py: begin -->\n## X\n<!-- benchmarks/y.py: end -->\n", "without its begin"),
    ("# B\n\n<!-- benchmarks/x.py: begin -->\n## X\n<!-- benchmarks/x.py: end -->\n\nstray text\n", "outside"),
])
def test_the_parser_rejects_unmarked_or_broken_sections(bad, why):
    with pytest.raises(ValueError, match=why):
        parse_sections(bad)


def test_write_section_replaces_its_own_section_and_keeps_the_others(tmp_path):
    sys.path.insert(0, BENCH)
    from report import Machine, write_section

    path = str(tmp_path / "B.md")
    m = Machine.start(threads=1)
    write_section("benchmarks/a.py", "python benchmarks/a.py", "A", "| x |\n|---|\n| 1 |", machine=m,
                  weights="random", path=path)
    write_section("benchmarks/b.py", "python benchmarks/b.py", "B", "b body", machine=m, weights="random", path=path)
    write_section("benchmarks/a.py", "python benchmarks/a.py --more", "A", "| x |\n|---|\n| 2 |", machine=m,
                  weights="trained (t)", path=path)
    text = open(path, encoding="utf-8").read()
    sections = {s["name"]: s["body"] for s in parse_sections(text)}
    assert list(sections) == ["benchmarks/a.py", "benchmarks/b.py"]  # replaced in place, not appended
    assert "| 2 |" in sections["benchmarks/a.py"] and "| 1 |" not in text
    assert "python benchmarks/a.py --more" in sections["benchmarks/a.py"]
    assert "Weights: trained (t)" in sections["benchmarks/a.py"] and "b body" in sections["benchmarks/b.py"]
    for key in ("CPU:", "Threads: 1", "load average", "Packages:"):
        assert key in sections["benchmarks/a.py"], key
