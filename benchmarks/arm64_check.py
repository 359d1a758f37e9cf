"""The Raspberry Pi path on ARM (emulated): runs tools/check-arm64.sh and writes its summary to BENCHMARKS.md.

    python benchmarks/arm64_check.py              # needs root, apt-get; the first run builds the arm64 root
    python benchmarks/arm64_check.py --no-append  # print only

A correctness check, not a speed figure: export/synthesize.py runs inside an arm64 Debian bookworm root under
qemu-user (every aarch64 instruction emulated on this x86 CPU), and its WAVs are compared with the x86 run of the
same command (float32: within 1e-4; quantized: the difference is reported). See tools/check-arm64.sh.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-append", action="store_true", help="print only; do not write BENCHMARKS.md")
    p.add_argument("--from-summary", metavar="JSON",
                   help="do not run the check: write the section from the summary of an earlier "
                        "`bash tools/check-arm64.sh --summary JSON` (the section says so, with the file's time)")
    args = p.parse_args(argv)
    from report import Machine, command_line, write_section

    machine = Machine.start(threads=1)
    if args.from_summary:
        with open(args.from_summary, encoding="utf-8") as f:
            summary = json.load(f)
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(args.from_summary)))
        origin = (f"Rendered from the summary that `bash tools/check-arm64.sh --summary {args.from_summary}` wrote "
                  f"at {stamp} (the machine header below is that of the rendering, not of the check). ")
        return _write(summary, None, origin, machine, args, command_line, write_section)
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = os.path.join(tmp, "summary.json")
        t0 = time.perf_counter()
        proc = subprocess.run(["bash", os.path.join(REPO, "tools", "check-arm64.sh"), "--summary", summary_path],
                              cwd=REPO)
        seconds = time.perf_counter() - t0
        if not os.path.exists(summary_path):
            print(f"error: tools/check-arm64.sh failed (exit {proc.returncode}) before comparing", file=sys.stderr)
            return 1
        summary = json.load(open(summary_path))
    return _write(summary, seconds, "", machine, args, command_line, write_section)


def _write(summary, seconds, origin, machine, args, command_line, write_section) -> int:
    took = f" in {seconds / 60:.1f} min" if seconds is not None else \
        f" ({sum(r['emulated_seconds'] for r in summary['rows']) / 60:.0f} min of emulated synthesis)"
    lines = [f"{origin}tools/check-arm64.sh: **{'passed' if summary['passed'] else 'FAILED'}**{took} "
             f"(the arm64 root was {'built in this run' if summary.get('built') else 'cached'}). "
             f"`export/synthesize.py` in an arm64 Debian bookworm root (Python {summary['arm64_python']}) under "
             "qemu-user on this x86 machine against the same command on x86 (ai-edge-litert), on exported models "
             "of the authors' random-weight checkpoints. **A correctness check, not a speed figure**: every "
             "aarch64 instruction is emulated, so the seconds below say nothing about a Raspberry Pi. Float32 must "
             f"match within {summary['tolerance']:g} (max abs difference of the 16-bit samples, scaled to "
             "[-1, 1], same length); quantized models are reported only (integer kernels may differ by CPU).", "",
             "Texts: " + "; ".join(f"{i}: \"{t}\"" for i, t in enumerate(summary["texts"])), "",
             "| model | text | arm64 interpreter | samples x86 / arm64 | max abs difference | result | seconds "
             "under qemu |", "|---|---|---|---|---|---|---|"]
    for r in summary["rows"]:
        result = "pass" if r["passed"] else ("FAIL" if r["passed"] is False else "reported")
        lines.append(f"| {r['model']} | {r['text']} | {r['runtime']} | {r['samples_x86']} / {r['samples_arm64']} | "
                     f"{r['max_abs_diff']:.2e} | {result} | {r['emulated_seconds']:.0f} |")
    text = "\n".join(lines)
    print(text)
    if not args.no_append:
        write_section("benchmarks/arm64_check.py", command_line(), "Raspberry Pi path on arm64 (emulated): "
                      "correctness", text, machine=machine,
                      weights="random (the authors' student_seed0.pth, melgan_seed0.pth)")
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
