"""One way for every benchmark script to write its own section of BENCHMARKS.md.

    from report import Machine, write_section      # benchmarks/ is on sys.path when a script runs
    machine = Machine.start(threads=1)             # load average before, CPU model and flags, versions
    ...measure...
    write_section("benchmarks/quality.py", "python benchmarks/quality.py --work W", title, body,
                  machine=machine, weights="trained (voices/slt)")

The section goes between `<!-- SCRIPT: begin -->` and `<!-- SCRIPT: end -->` markers (replaced when present,
appended otherwise), with a header of: the command, date, CPU model and flags, threads, load average before and
after, package versions, and whether the weights were random or trained. A test (tests/test_benchmarks_md.py)
fails when a section has no markers or its script is missing. Numbers are never typed by hand.
"""
from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import re
import sys
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS_MD = os.path.join(REPO, "BENCHMARKS.md")
PACKAGES = ("tensorflow", "keras", "numpy", "ai-edge-litert", "tflite-runtime", "librosa", "pocketsphinx",
            "speechmos", "onnxruntime", "torch")
CPU_FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "fma", "neon",
                         "asimd")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return m.group(1).strip() if m else platform.machine()


def cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return []
    m = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.M)
    have = set(m.group(1).split()) if m else set()
    return [f for f in CPU_FLAGS_OF_INTEREST if f in have]


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def package_versions(names=PACKAGES) -> dict[str, str]:
    out = {}
    for n in names:
        try:
            out[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


@dataclass
class Machine:
    threads: int | str = "n/a"
    load_before: str = ""
    started: str = ""
    extra_packages: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def start(cls, threads: int | str = "n/a", extra_packages=()) -> "Machine":
        return cls(threads=threads, load_before=load_average(),
                   started=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), extra_packages=tuple(extra_packages))

    def header(self, command: str, weights: str) -> str:
        versions = package_versions(PACKAGES + self.extra_packages)
        lines = [
            f"- Command: `{command}`",
            f"- Date: {self.started} (UTC); Python {platform.python_version()}",
            f"- CPU: {cpu_model()}, {os.cpu_count()} cores; flags: {', '.join(cpu_flags()) or 'n/a'}",
            f"- Threads: {self.threads}; load average (1/5/15 min) before: {self.load_before}, after: "
            f"{load_average()}",
            f"- Weights: {weights}",
            "- Packages: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        ]
        return "\n".join(lines)


def markers(script: str) -> tuple[str, str]:
    return f"<!-- {script}: begin -->", f"<!-- {script}: end -->"


def render_section(script: str, command: str, title: str, body: str, machine: Machine, weights: str) -> str:
    begin, end = markers(script)
    return (f"{begin}\n## {title}\n\n_Written by `{script}`; do not edit by hand._\n\n"
            f"{machine.header(command, weights)}\n\n{body.strip()}\n{end}\n")


def write_section(script: str, command: str, title: str, body: str, *, machine: Machine, weights: str,
                  path: str = BENCHMARKS_MD) -> str:
    """Replace (or append) the section of `script` in BENCHMARKS.md; returns the section text."""
    section = render_section(script, command, title, body, machine, weights)
    begin, end = markers(script)
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return section


def command_line() -> str:
    """The command that is running, as a user would type it from the repository root."""
    args = [os.path.relpath(sys.argv[0], REPO) if os.path.isabs(sys.argv[0]) else sys.argv[0], *sys.argv[1:]]
    return "python " + " ".join(args)


__all__ = ["Machine", "write_section", "render_section", "markers", "command_line", "load_average", "cpu_model",
           "cpu_flags", "package_versions"]
