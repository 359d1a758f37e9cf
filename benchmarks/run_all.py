"""Regenerate every section of BENCHMARKS.md: one entry point (also `bash tools/run.sh bench`).

    python benchmarks/run_all.py                       # everything (hours on 2 cores: see --list)
    python benchmarks/run_all.py --list                # the commands, in order
    python benchmarks/run_all.py --only runtime export # some of them
    python benchmarks/run_all.py --torch-python /work/torchvenv/bin/python   # + the reference PyTorch row

Each command is a benchmark script that measures and writes its own section (benchmarks/report.py: markers naming
the script and its command, machine header). Inputs are made once in --work: the preprocessed LJ Speech clips of
../shared/data/ljspeech_mini (int8 calibration) and a Festival demo corpus (duration accuracy). A benchmark
script that writes a section but has no entry below runs with its defaults (its defaults must then regenerate
its section). Stops at the first failing command unless --keep-going.
"""
from __future__ import annotations

import argparse
import glob
import os
import shlex
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
BIN = os.path.dirname(sys.executable)


def commands(work: str, torch_python: str | None, minutes: float) -> list[tuple[str, list[str]]]:
    """(name, argv) in order; argv[0] is the script (run with this Python) or a prepare step."""
    cache, corpus = os.path.join(work, "cache"), os.path.join(work, "corpus")
    export_dir = os.path.join(work, "export")
    exports = [os.path.join(export_dir, q) for q in ("float32", "dynamic", "float16", "int8-decoder", "int8-all")]
    rtf = ["benchmarks/runtime_rtf.py", "--work", os.path.join(work, "rtf")]
    if torch_python:
        rtf += ["--torch-python", torch_python]
    return [
        ("prepare-cache", [os.path.join(BIN, "speedyspeech-tf"), "preprocess",
                           os.path.join(SHARED, "data", "ljspeech_mini"), cache]),
        ("prepare-corpus", [os.path.join(BIN, "speedyspeech-tf"), "make-demo-corpus", corpus, "--sentences",
                            "1200", "--voice", "festival"]),
        ("basics", ["benchmarks/basics.py"]),
        ("export", ["benchmarks/export_accuracy.py", "--out", export_dir, "--calibration-cache", cache]),
        ("export-time", ["benchmarks/export_accuracy.py", "--time", *exports, "--repeats", "30"]),
        ("export-sizes", ["benchmarks/export_accuracy.py", "--sizes"]),
        ("student-train-speed", ["benchmarks/student_train_speed.py", "--cache", cache]),
        ("vocoder", ["benchmarks/vocoder_rtf.py"]),
        ("runtime", rtf),
        ("durations", ["benchmarks/duration_accuracy.py", "--corpus", corpus, "--work",
                       os.path.join(work, "durations"), "--minutes", str(minutes)]),
        ("durations-choice", ["benchmarks/durations_choice.py", "--corpus", corpus, "--work",
                              os.path.join(work, "durations-choice")]),
        ("arm64", ["benchmarks/arm64_check.py"]),
    ]


def section_writers() -> list[str]:
    """benchmarks/*.py that write a section (call write_section)."""
    out = []
    for path in sorted(glob.glob(os.path.join(REPO, "benchmarks", "*.py"))):
        name = os.path.basename(path)
        if name in ("report.py", "run_all.py"):
            continue
        if "write_section(" in open(path, encoding="utf-8").read():
            out.append("benchmarks/" + name)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default="/tmp/speedyspeech-bench", help="inputs and exports (default %(default)s)")
    p.add_argument("--torch-python", help="a Python with torch: runtime_rtf.py also times the authors' code")
    p.add_argument("--minutes", type=float, default=60.0, help="teacher training for duration_accuracy.py")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these (see --list)")
    p.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="skip these")
    p.add_argument("--list", action="store_true", help="print the commands and exit")
    p.add_argument("--keep-going", action="store_true", help="run the rest after a failure")
    args = p.parse_args(argv)

    todo = commands(args.work, args.torch_python, args.minutes)
    listed = {a[0] for _, a in todo}
    todo += [(os.path.splitext(os.path.basename(s))[0], [s]) for s in section_writers() if s not in listed]
    names = [n for n, _ in todo]
    for n in (args.only or []) + args.skip:
        if n not in names:
            print(f"error: unknown name {n!r} (one of: {', '.join(names)})", file=sys.stderr)
            return 2
    if args.only:
        todo = [(n, a) for n, a in todo if n in args.only]
    todo = [(n, a) for n, a in todo if n not in args.skip]
    if args.list:
        for n, a in todo:
            print(f"{n}: {shlex.join(a)}")
        return 0
    os.makedirs(args.work, exist_ok=True)
    failed = []
    for n, a in todo:
        if n == "prepare-cache" and os.path.exists(os.path.join(args.work, "cache", "settings.json")):
            continue
        if n == "prepare-corpus" and os.path.isdir(os.path.join(args.work, "corpus", "wavs")):
            continue
        cmd = [sys.executable, *a] if a[0].endswith(".py") else a
        print(f"[run_all] {n}: {shlex.join(a)}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.run(cmd, cwd=REPO).returncode
        print(f"[run_all] {n}: exit {code} after {(time.perf_counter() - t0) / 60:.1f} min", flush=True)
        if code != 0:
            failed.append(n)
            if not args.keep_going:
                break
    if failed:
        print(f"[run_all] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
