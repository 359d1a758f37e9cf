"""The README's first command from a fresh clone, three times in a row (BENCHMARKS.md, "Demo from a fresh clone").

    python benchmarks/demo_runs.py --work /tmp/demo-runs [--runs 3] [--train]

Clones the repository's committed HEAD into WORK/clone (a new user's checkout: no .venv, no outputs), times
`bash tools/run.sh setup` (the install) once, then `bash tools/run.sh demo --out WORK/out_N` RUNS times, checks
each run's artefacts (WAVs, mel.png, report.md) and writes the wall times. --train adds one
`bash tools/run.sh demo --train` run (about 15 minutes). A run that fails stops the script with its exit code and
the tail of its output; nothing is written to BENCHMARKS.md then.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from report import REPO, Machine, command_line, write_section  # noqa: E402


def timed(cmd: list[str], cwd: str, log_path: str) -> float:
    t0 = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        res = subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        tail = open(log_path, encoding="utf-8", errors="replace").read()[-3000:]
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {res.returncode} after {seconds:.0f} s:\n{tail}")
    return seconds


def check_quick(out: str) -> str:
    wavs = sorted(f for f in os.listdir(out) if f.endswith(".wav"))
    for need in ("mel.png", "report.md", "report.json"):
        if not os.path.isfile(os.path.join(out, need)):
            raise SystemExit(f"{out}: {need} missing")
    if not wavs:
        raise SystemExit(f"{out}: no WAV written")
    return f"{len(wavs)} WAVs, mel.png, report.md" + (", timestamps.json" if os.path.isfile(
        os.path.join(out, "timestamps.json")) else "")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--train", action="store_true", help="also one `demo --train` run (about 15 minutes)")
    p.add_argument("--no-benchmarks-md", action="store_true")
    args = p.parse_args(argv)
    machine = Machine.start(threads="runtime default (1)")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    clone = os.path.join(args.work, "clone")
    subprocess.run(["git", "clone", "-q", REPO, clone], check=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True,
                          check=True).stdout.strip()
    rows = [("install (`bash tools/run.sh setup`, new .venv)", timed(["bash", "tools/run.sh", "setup"], clone,
                                                                     os.path.join(args.work, "setup.log")), "")]
    for i in range(1, args.runs + 1):
        out = os.path.join(args.work, f"out_{i}")
        seconds = timed(["bash", "tools/run.sh", "demo", "--out", out], clone, os.path.join(args.work, f"demo_{i}.log"))
        rows.append((f"`bash tools/run.sh demo` run {i}", seconds, check_quick(out)))
    if args.train:
        out = os.path.join(args.work, "out_train")
        seconds = timed(["bash", "tools/run.sh", "demo", "--train", "--out", out], clone,
                        os.path.join(args.work, "demo_train.log"))
        rows.append(("`bash tools/run.sh demo --train`", seconds, "report.md: " + open(
            os.path.join(out, "report.md"), encoding="utf-8").read().split("Offline recogniser", 1)[-1][:160]
            .replace("\n", " ").replace("|", "/")))
    lines = [f"Fresh clone of commit {head}; each command's wall time, in order, on this machine.", "",
             "| command | wall time (s) | artefacts checked |", "|---|---|---|"]
    lines += [f"| {name} | {sec:.1f} | {what} |" for name, sec, what in rows]
    body = "\n".join(lines)
    print(body)
    if not args.no_benchmarks_md:
        write_section("benchmarks/demo_runs.py", command_line(), "Demo from a fresh clone", body, machine=machine,
                      weights="trained (the bundled voice, voices/slt)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
