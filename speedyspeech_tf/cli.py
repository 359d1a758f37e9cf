"""`speedyspeech-tf` command line: one sub-command per pipeline step.

Each sub-command lives beside the code it drives, in a module with a `register(subparsers)` function that
adds its parser and sets `func` (called with the parsed args; returns an exit code or None).
Modules are imported only when listed here; heavy imports (TensorFlow) happen inside `func`, so
`--help` is fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# Modules that provide sub-commands, in the order they appear in --help.
COMMAND_MODULES = [
    "speedyspeech_tf.data",               # preprocess
    "speedyspeech_tf.demo_corpus",        # make-demo-corpus
    "speedyspeech_tf.reference.cli",      # convert-reference, verify-reference
    "speedyspeech_tf.training.cli",       # train-teacher, extract-durations, train-student, train-vocoder
    "speedyspeech_tf.durations",          # timing-durations
    "speedyspeech_tf.export",             # export
    "speedyspeech_tf.vocode",             # vocode
    "speedyspeech_tf.voice",              # train-voice
    "speedyspeech_tf.demo",               # demo
    "speedyspeech_tf.evaluation.cli",     # evaluate
]


class CLIError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def add_command(subparsers, name: str, summary: str, description: str,
                *positionals: tuple[str, str, str]) -> argparse.ArgumentParser:
    """A sub-command's parser with its positional arguments, each (dest, METAVAR, help)."""
    p = subparsers.add_parser(name, help=summary, description=description)
    for dest, metavar, text in positionals:
        p.add_argument(dest, metavar=metavar, help=text)
    return p


def positive_int(value: str) -> int:
    """argparse `type` for counts (threads, frames, samples): an integer >= 1, else a usage error."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speedyspeech-tf",
        description="SpeedySpeech text-to-speech in TensorFlow/Keras: preprocess, train, export, synthesise.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as e:  # a module whose optional dependencies are missing
            if e.name and e.name.startswith("speedyspeech_tf"):
                raise
            continue
        module.register(sub)
    return parser


# Errors that mean "bad input", reported in one line with exit code 2.
USER_ERRORS = (CLIError, ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def run(func, args, prog: str) -> int:
    try:
        code = func(args)
        return int(code or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"{prog}: error: {msg}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run(args.func, args, parser.prog)


if __name__ == "__main__":
    sys.exit(main())
