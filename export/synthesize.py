#!/usr/bin/env python3
"""Text -> WAV on a CPU with TFLite and no TensorFlow (e.g. a Raspberry Pi): the `speedyspeech-synth` command
run from a checkout, without installing the package.

    python3 export/synthesize.py --model-dir model --text "Hello world." --out hello.wav
    python3 export/synthesize.py --model-dir model --text "Hello." --out - | aplay -f S16_LE -r 22050 -c 1

Same options, checks and exit codes as `speedyspeech-synth` (speedyspeech_tf/runtime/cli.py; --help lists them).
Needs numpy, a TFLite interpreter and the text front end's packages (export/README.md).
"""
import os
import sys

try:
    import speedyspeech_tf  # noqa: F401 - installed (pip install -e ".[runtime]")
except ImportError:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a plain checkout

from speedyspeech_tf.runtime.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
