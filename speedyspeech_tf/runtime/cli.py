"""`speedyspeech-synth`: text -> 16-bit PCM WAV with an exported model directory, without TensorFlow.

    speedyspeech-synth --model-dir DIR --text "Hello world." --out hello.wav
    echo "Text from stdin." | speedyspeech-synth --model-dir DIR --out hello.wav --json
    speedyspeech-synth --model-dir DIR --text "Streaming." --out - | aplay -f S16_LE -r 22050 -c 1

Exit codes: 0 done; 2 bad input (empty or unpronounceable text, bad speed/threads, a model directory whose
config.json does not match its files, an interpreter that is not installed), with a one-line message on stderr
and no output file written; 130 interrupted.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from ..cli import positive_int
from .interpreters import RUNTIME_CHOICES

PROG = "speedyspeech-synth"
USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line (no usage block) and exit code 2, like every other bad input
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Synthesise speech from text with an exported SpeedySpeech + MelGAN model directory "
                    "(speedyspeech-tf export) on the CPU, with a TFLite interpreter and no TensorFlow.",
        epilog="Example: speedyspeech-synth --model-dir model --text 'Hello world.' --out - | "
               "aplay -f S16_LE -r 22050 -c 1")
    p.add_argument("--model-dir", required=True, metavar="DIR",
                   help="exported model directory (student.tflite, vocoder.tflite, config.json)")
    p.add_argument("--text", metavar="TEXT", help="text to speak (default: read standard input)")
    p.add_argument("--out", required=True, metavar="OUT.wav",
                   help="output 16-bit PCM WAV file, or '-' to stream raw 16-bit little-endian mono PCM to "
                        "stdout window by window (sample rate from the model, 22050 Hz for LJ Speech)")
    p.add_argument("--threads", type=positive_int, default=1, metavar="N", help="interpreter threads (default 1)")
    p.add_argument("--speed", type=_number, default=1.0, metavar="S",
                   help="speaking rate: 1.0 as trained, 2.0 twice as fast (default 1.0)")
    p.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto",
                   help="TFLite interpreter: auto tries ai-edge-litert, then tflite-runtime, then tensorflow "
                        "(default auto)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object with timings (audio_seconds, synthesis_seconds, rtf, "
                        "first_audio_seconds, student_seconds, vocoder_seconds, threads, quantization, runtime, "
                        "...) on stdout, or on stderr with --out -")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _progress_bar(total_hint: str, quiet: bool):
    """A tqdm bar over the text's chunks on stderr (tqdm ships with nltk, a front-end dependency; without it,
    no bar). Shown only on a terminal."""
    if quiet:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=None, desc=total_hint, unit="chunk", file=sys.stderr, disable=None, leave=False)


@contextlib.contextmanager
def _native_stderr_silenced():
    """Silence what the interpreter's C++ code prints on file descriptor 2 while the models load ("INFO: Created
    TensorFlow Lite XNNPACK delegate for CPU.", which no environment variable turns off), so that stderr holds
    only our own messages. Python exceptions are unaffected (they are printed after the block)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (embedded interpreters, some test runners)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def synthesize_to(args) -> int:
    from .synthesizer import Synthesizer
    from .wav import AtomicWavWriter, float_to_pcm16

    text = args.text if args.text is not None else sys.stdin.read()
    to_stdout = args.out == "-"
    if not to_stdout:
        out_dir = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(out_dir):
            raise FileNotFoundError(f"--out {args.out}: the directory {out_dir} does not exist")
        if os.path.isdir(args.out):
            raise IsADirectoryError(f"--out {args.out}: is a directory, expected a .wav file path")
    if not text.strip():
        raise ValueError("empty text: nothing to synthesise" + ("" if args.text is not None else " (stdin was empty)"))
    with _native_stderr_silenced():
        synth = Synthesizer(args.model_dir, threads=args.threads, runtime=args.runtime)
    bar = _progress_bar("synthesising", args.quiet)

    def progress(done, total):
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    chunks = synth.stream(text, args.speed, progress=progress)  # checks text and speed before any output
    try:
        if to_stdout:
            out = sys.stdout.buffer
            try:
                for audio in chunks:
                    out.write(float_to_pcm16(audio))
                    out.flush()
            except BrokenPipeError:  # the player went away: stop quietly
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return 1
        else:
            with AtomicWavWriter(args.out, synth.sample_rate) as writer:
                for audio in chunks:
                    writer.write(audio)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        stats = synth.last_stats.as_dict()
        stats.update(model_dir=os.path.abspath(args.model_dir), out=args.out)
        print(json.dumps(stats, sort_keys=True), file=sys.stderr if to_stdout else sys.stdout, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2, one line already printed)
        return int(e.code or 0)
    try:
        return synthesize_to(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
