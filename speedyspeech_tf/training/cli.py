"""The trainers' commands: train-teacher, extract-durations, train-student, train-vocoder.

Only argparse here: a trainer module (which imports TensorFlow) is imported when its command runs, so that
`speedyspeech-tf --help` and `speedyspeech-tf train-student --help` stay fast and TensorFlow-free.
"""
from __future__ import annotations

import argparse
import os

from ..cli import add_command

STRATEGIES = ("auto", "default", "mirrored", "multi_worker")  # training.common.get_strategy
EXTRACTION_METHODS = ("reference", "viterbi")  # training.teacher.extract_durations_to_file
MIXED_PRECISION = ("float16", "bfloat16")  # training.common.mixed_precision_mode
CACHE_DIR = ("cache_dir", "CACHE_DIR", "preprocessed cache (speedyspeech-tf preprocess)")  # (dest, METAVAR, help)
RUN_DIR = ("run_dir", "RUN_DIR", "run directory (created; an earlier run resumes)")


def _add_run_options(p: argparse.ArgumentParser, *, each_epoch: str, epochs: str, batch: str, config: str, seed: str,
                     steps_default: int | None = None, epochs_default: int | None = None,
                     mixed_precision: bool = True) -> None:
    """The options all three trainers share (their help texts differ in the words passed in)."""
    p.add_argument("--steps-per-epoch", type=int, default=steps_default, metavar="N",
                   help=f"training steps per epoch; {each_epoch}")
    p.add_argument("--epochs", type=int, default=epochs_default, metavar="E",
                   help=f"total epochs of the run, counting earlier runs in RUN_DIR ({epochs})")
    p.add_argument("--minutes", type=float, default=None, metavar="M",
                   help="time budget: stop when the next epoch would not end within M minutes of the start, or "
                        "after the step that uses them up (the shortened epoch is saved); rerun to continue")
    p.add_argument("--batch-size", type=int, default=None, metavar="B", help=batch)
    p.add_argument("--strategy", choices=STRATEGIES, default="auto",
                   help="tf.distribute strategy (default: auto = multi-worker under TF_CONFIG, mirrored on >1 GPU)")
    if mixed_precision:
        p.add_argument("--mixed-precision", nargs="?", const="float16", default=False, choices=MIXED_PRECISION,
                       help="mixed-precision compute; variables, checkpoints and output layers stay float32: "
                            "float16 (the default with the bare flag; GPUs; loss scaling) or bfloat16 (CPUs with "
                            "bf16/AMX units: BENCHMARKS.md 'Student training speed')")
    p.add_argument("--config", default=None, metavar="tiny|paper|JSON",
                   help=f"model/training configuration: a preset or a JSON file of {config}")
    p.add_argument("--seed", type=int, default=None, metavar="S", help=f"random seed ({seed})")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _run_options(args: argparse.Namespace) -> dict:
    options = dict(config=args.config, steps_per_epoch=args.steps_per_epoch, epochs=args.epochs,
                   minutes=args.minutes, batch_size=args.batch_size, strategy=args.strategy, seed=args.seed,
                   progress=not args.no_progress)
    if hasattr(args, "mixed_precision"):
        options["mixed_precision"] = args.mixed_precision
    return options


def register(subparsers) -> None:
    p = add_command(
        subparsers, "train-teacher", "train the duration extractor (teacher) with model.fit",
        "Train the teacher on a preprocessed cache as the reference does (masked L1 + guided attention, input "
        "augmentation, Adam with the Noam-style schedule, gradient clipping). RUN_DIR receives checkpoint/ (our "
        "format, every epoch), backup/ (resumable: rerun the same command, with a larger --epochs to train on), "
        "tensorboard/ (scalars and images), plots/ (PNG: target/predicted mel and attention with the extracted "
        "alignment of validation items) and history.jsonl.", CACHE_DIR, RUN_DIR)
    _add_run_options(p, each_epoch="a backup, checkpoint and plots are written each epoch (default: one pass over "
                                   "the training items)",
                     epochs="default: the config's, 300 for paper",
                     batch="items per replica (default: the config's, 64 for paper)",
                     config="TeacherConfig fields (default: paper)", seed="weights, data order")
    p.add_argument("--plot-items", type=int, default=2, metavar="K",
                   help="validation items plotted each epoch (default %(default)s; 0: none)")
    p.set_defaults(func=_cmd_train_teacher)

    q = add_command(
        subparsers, "extract-durations", "per-phoneme durations of every cached item from a trained teacher",
        "Run the teacher with teacher forcing over every item of CACHE_DIR and turn its attention into durations "
        "that sum to each item's frame count: --method reference picks each frame's phoneme by a monotonic argmax "
        "(the previous frame's phoneme or the next one), gives never-attended phonemes 1 frame and trims the "
        "largest durations, as the reference does; --method viterbi takes the most likely monotonic path. Writes "
        "OUT_FILE (.npz, data.save_durations) and PNG plots of a few items' attention with the extracted "
        "alignment.",
        ("teacher_ckpt", "TEACHER_CKPT", "teacher checkpoint directory (RUN_DIR/checkpoint)"), CACHE_DIR,
        ("out_file", "OUT_FILE", "durations file to write (.npz)"))
    q.add_argument("--batch-size", type=int, default=16, metavar="B", help="items per batch (default %(default)s)")
    q.add_argument("--plots", type=int, default=4, metavar="K",
                   help="items to plot (the first K of the cache; default %(default)s)")
    q.add_argument("--plots-dir", default=None, metavar="DIR",
                   help="where the plots go (default: OUT_FILE without extension + _plots)")
    q.add_argument("--skip-short", action="store_true",
                   help="leave out items with fewer frames than phonemes instead of failing")
    q.add_argument("--window", type=int, default=1, metavar="W",
                   help="phonemes a frame may move ahead of the previous frame's (default 1, the reference's)")
    q.add_argument("--method", choices=EXTRACTION_METHODS, default="reference",
                   help="reference: greedy, a frame moves at most --window phonemes ahead (the reference's rule); "
                        "viterbi: the most likely monotonic path, robust to a briefly trained teacher that skips "
                        "phonemes (default %(default)s)")
    q.add_argument("--no-progress", action="store_true", help="no progress bar")
    q.set_defaults(func=_cmd_extract_durations)

    s = add_command(
        subparsers, "train-student", "train the SpeedySpeech student on a cache and durations (model.fit)",
        "Train the student (phonemes + durations -> mel) with teacher forcing: masked L1 + SSIM on the mel, "
        "smooth-L1 on log durations, Adam with gradient clipping and a learning rate halved on validation plateaus, "
        "as the reference. RUN_DIR receives checkpoint/ (our format, every epoch), backup/ (resumable: rerun the "
        "same command), tensorboard/ (scalars and mel images), plots/ (target vs predicted mel of a validation item "
        "per epoch) and history.jsonl.",
        CACHE_DIR, ("durations", "DURATIONS", "per-phoneme durations .npz of the cache's items (from the teacher)"),
        RUN_DIR)
    _add_run_options(s, each_epoch="validation, a backup, a checkpoint and plots follow each epoch (default: one "
                                   "pass over the training split)",
                     epochs="default: the config's, 100",
                     batch="utterances per replica (default: the config's, 64 for 'paper')",
                     config="StudentConfig fields (default: the --init checkpoint's architecture, else paper)",
                     seed="weights and data order")
    s.add_argument("--init", metavar="CKPT_or_PTH", default=None,
                   help="start from our student checkpoint directory (e.g. from convert-reference) or the "
                        "authors' .pth; ignored when resuming")
    s.add_argument("--pad-multiple", nargs=2, type=int, default=None, metavar=("S", "F"),
                   help="pad each batch to a multiple of S symbols and F frames (e.g. 16 64): shapes repeat, so "
                        "the step reuses its compiled kernels; the masked losses are unchanged, BatchNorm's batch statistics "
                        "see the extra zero frames (BENCHMARKS.md 'Student "
                        "training speed')")
    s.set_defaults(func=_cmd_train_student)

    v = add_command(
        subparsers, "train-vocoder", "train or fine-tune the MelGAN vocoder (GAN, model.fit)",
        "Train MelGAN on random 16,000-sample segments of a preprocessed cache (least-squares GAN + feature "
        "matching, two Adam optimizers, as the reference). RUN_DIR receives checkpoint/ (our format, every epoch), "
        "backup/ (resumable: rerun the same command), tensorboard/ (scalars, audio, mel images), samples/ (a WAV "
        "of a validation item per epoch), plots/ (its mel against the log-mel of the generated audio) and "
        "history.jsonl.", CACHE_DIR, RUN_DIR)
    _add_run_options(v, each_epoch="a backup, checkpoint and sample are written each epoch (default %(default)s)",
                     steps_default=1000, epochs_default=400, epochs="default %(default)s",
                     batch="segments per replica for each of the two networks' batches (default: the config's, "
                           "16 for 'paper')",
                     config="MelGANConfig fields (default: RUN_DIR's own when resuming, else the --init "
                            "checkpoint's architecture, else paper)",
                     seed="weights and data crops", mixed_precision=False)
    v.add_argument("--init", metavar="CKPT_or_PTH", default=None,
                   help="fine-tune from our MelGAN checkpoint directory or the authors' .pth (generator and "
                        "discriminator); ignored when resuming")
    v.add_argument("--student-ckpt", metavar="CKPT", default=None,
                   help="train on this student checkpoint's predicted mels (teacher-forced with --durations) "
                        "instead of the ground-truth mels")
    v.add_argument("--durations", metavar="FILE", default=None,
                   help="per-phoneme durations .npz (save_durations) for --student-ckpt")
    v.set_defaults(func=_cmd_train_vocoder)


def _cmd_train_teacher(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .common import run_command
    from .teacher import train_teacher

    return run_command(train_teacher, args.cache_dir, args.run_dir, plot_items=args.plot_items,
                       **_run_options(args))


def _cmd_extract_durations(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from ..checkpoint import is_checkpoint

    if not is_checkpoint(args.teacher_ckpt):
        raise FileNotFoundError(f"{args.teacher_ckpt}: not a checkpoint directory (config.json + model.weights.h5)")
    from .teacher import extract_durations_to_file

    extract_durations_to_file(args.teacher_ckpt, args.cache_dir, args.out_file, batch_size=args.batch_size,
                              plots=args.plots, plots_dir=args.plots_dir, skip_short=args.skip_short,
                              window=args.window, method=args.method, progress=not args.no_progress)
    return 0


def _cmd_train_student(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .common import run_command
    from .student import train_student

    return run_command(train_student, args.cache_dir, args.durations, args.run_dir, init=args.init,
                       pad_multiple=args.pad_multiple, **_run_options(args))


def _cmd_train_vocoder(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .common import run_command
    from .vocoder import train_vocoder

    return run_command(train_vocoder, args.cache_dir, args.run_dir, init=args.init, student_ckpt=args.student_ckpt,
                       durations=args.durations, **_run_options(args))
