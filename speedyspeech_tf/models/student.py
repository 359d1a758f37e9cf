"""The SpeedySpeech student: phonemes -> durations -> mel spectrogram (standardised log-mel), fully convolutional.

Layer for layer the authors' `SpeedySpeech` (janvainer/speedyspeech, code/speedyspeech.py), channels-last:

    encoder:   embedding -> 1x1 conv -> ReLU  (= e)
               -> residual blocks (kernel 4, dilations 1,2,4 x4, 1) -> 1x1 conv, + e
               -> ReLU -> BatchNorm -> 1x1 conv
    durations: on the encodings with stop_gradient: 3 single-conv residual blocks (kernels 4, 3, 1)
               -> 1x1 conv to one channel = natural log of frames per phoneme
    expansion: length regulator (layers.regulate_length) + positional encoding over the utterance's frames
    decoder:   residual blocks (kernel 4, dilations 1,2,4,8 x4, 1) -> 1x1 conv, + input
               -> residual block (kernel 4, dilation 1) -> 1x1 conv to n_mels

Padding (config.mask_padding, default on): every convolution zeroes its outputs that the reference's valid
convolution would not have for the item alone, so a sentence gives the same durations and mel in a padded batch,
in a fixed-size export (any N and F that fit) and alone, as the authors' inference.py gives it (its ids + 5 zero
ids; the decoder over exactly its frames). Training sees the same, so what is learnt at sentence ends is what
inference does. BatchNorm statistics in training still include padded positions, as in the reference.
With mask_padding off the model is the reference's batched forward (padding reaches the convolutions).
"""
from __future__ import annotations

import logging

import keras
import tensorflow as tf

from ..config import StudentConfig
from .layers import PaddedEmbedding, ResidualBlock, regulate_length

_log = logging.getLogger(__name__)


def _bn(cfg: StudentConfig, name: str):
    return keras.layers.BatchNormalization(axis=-1, epsilon=cfg.batchnorm_epsilon,
                                           momentum=cfg.batchnorm_momentum, name=name)


class StudentEncoder(keras.layers.Layer):
    def __init__(self, cfg: StudentConfig, **kwargs):
        super().__init__(**kwargs)
        c = cfg.channels
        self.embedding = PaddedEmbedding(cfg.num_symbols, c, name="embedding")
        self.prenet_conv = keras.layers.Conv1D(c, 1, name="prenet_conv")
        self.res_blocks = [ResidualBlock(c, cfg.encoder_kernel_size, d, n=2, epsilon=cfg.batchnorm_epsilon,
                                         momentum=cfg.batchnorm_momentum, name=f"res_block_{i}")
                           for i, d in enumerate(cfg.encoder_dilations)]
        self.post_conv1 = keras.layers.Conv1D(c, 1, name="post_conv1")
        self.post_norm = _bn(cfg, "post_norm")
        self.post_conv2 = keras.layers.Conv1D(c, 1, name="post_conv2")
        self.channels = c

    def build(self, input_shape=None):
        # Explicit builds all the way down: otherwise Keras builds by tracing `call` symbolically, which
        # takes seconds for these deep stacks.
        shape = (None, None, self.channels)
        self.embedding.build((None, None))
        for layer in [self.prenet_conv, *self.res_blocks, self.post_conv1, self.post_norm, self.post_conv2]:
            layer.build(shape)

    def call(self, phonemes, training=False, lengths=None):
        emb = tf.nn.relu(self.prenet_conv(self.embedding(phonemes)))
        x = emb
        for block in self.res_blocks:
            x = block(x, training=training, lengths=lengths)
        x = self.post_conv1(x) + emb
        x = self.post_norm(tf.nn.relu(x), training=training)
        return self.post_conv2(x)


class DurationPredictor(keras.layers.Layer):
    def __init__(self, cfg: StudentConfig, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [ResidualBlock(cfg.channels, k, 1, n=1, epsilon=cfg.batchnorm_epsilon,
                                     momentum=cfg.batchnorm_momentum, name=f"res_block_{i}")
                       for i, k in enumerate(cfg.duration_kernel_sizes)]
        self.out_conv = keras.layers.Conv1D(1, 1, name="out_conv")
        self.channels = cfg.channels

    def build(self, input_shape=None):
        for layer in [*self.blocks, self.out_conv]:
            layer.build((None, None, self.channels))

    def call(self, x, training=False, lengths=None):
        for block in self.blocks:
            x = block(x, training=training, lengths=lengths)
        return self.out_conv(x)[..., 0]


class StudentDecoder(keras.layers.Layer):
    def __init__(self, cfg: StudentConfig, **kwargs):
        super().__init__(**kwargs)
        c = cfg.channels
        self.res_blocks = [ResidualBlock(c, cfg.decoder_kernel_size, d, n=2, epsilon=cfg.batchnorm_epsilon,
                                         momentum=cfg.batchnorm_momentum, name=f"res_block_{i}")
                           for i, d in enumerate(cfg.decoder_dilations)]
        self.post_conv1 = keras.layers.Conv1D(c, 1, name="post_conv1")
        self.post_block = ResidualBlock(c, cfg.decoder_kernel_size, 1, n=2, epsilon=cfg.batchnorm_epsilon,
                                        momentum=cfg.batchnorm_momentum, name="post_block")
        self.out_conv = keras.layers.Conv1D(cfg.n_mels, 1, name="out_conv")
        self.channels = c

    def build(self, input_shape=None):
        for layer in [*self.res_blocks, self.post_conv1, self.post_block, self.out_conv]:
            layer.build((None, None, self.channels))

    def call(self, x, training=False, lengths=None):
        y = x
        for block in self.res_blocks:
            y = block(y, training=training, lengths=lengths)
        x = self.post_conv1(y) + x
        x = self.post_block(x, training=training, lengths=lengths)
        return self.out_conv(x)


class SpeedySpeechStudent(keras.Model):
    """SpeedySpeech student.

    Stages (all usable inside tf.function, no Python-side state):
      encode(phonemes) -> [B, N, C]
      predict_log_durations(encodings) -> [B, N] natural-log frames (input detached from the encoder)
      expand(encodings, durations, num_frames=None) -> ([B, F, C], frame_lengths [B], overflow [B])
      decode(frames) -> [B, F, n_mels] standardised log-mel
    Training: call({"phonemes", "phoneme_lengths", "durations"}, training=True) -> (mel, log_durations).
    Inference: infer(phonemes, phoneme_lengths, speed=1.0) -> (mel, durations, mel_lengths).
    """

    def __init__(self, config: StudentConfig | None = None, **kwargs):
        kwargs.setdefault("name", "speedyspeech_student")
        super().__init__(**kwargs)
        self.config = cfg = config or StudentConfig()
        if cfg.positional_encoding not in ("utterance", "phoneme"):
            raise ValueError(f"StudentConfig.positional_encoding must be 'utterance' or 'phoneme', "
                             f"got {cfg.positional_encoding!r}")
        if cfg.channels % 2:
            raise ValueError(f"StudentConfig.channels must be even (positional encoding), got {cfg.channels}")
        self.encoder = StudentEncoder(cfg, name="encoder")
        self.duration_predictor = DurationPredictor(cfg, name="duration_predictor")
        self.decoder = StudentDecoder(cfg, name="decoder")

    def build(self, input_shape=None):
        """Create every weight (the shapes depend on the config only)."""
        self.encoder.build((None, None))
        self.duration_predictor.build((None, None, self.config.channels))
        self.decoder.build((None, None, self.config.channels))

    # ---- stages -----------------------------------------------------------------------------------------
    def encode(self, phonemes, training=False, lengths=None):
        """The encoder alone on `phonemes` as given ([B, N, C]); `lengths` = valid slots (masking)."""
        return self.encoder(phonemes, training=training, lengths=lengths)

    def predict_log_durations(self, encodings, training=False, lengths=None):
        if self.config.detach_duration_input:
            encodings = tf.stop_gradient(encodings)
        return self.duration_predictor(encodings, training=training, lengths=lengths)

    def encode_and_predict(self, phonemes, phoneme_lengths, training=False):
        """Encodings [B, N, C] and log durations [B, N] of each sentence as the reference's inference gets
        them: with mask_padding, the encoder sees the sentence's symbols and `padding_symbols` zero ids after
        them (the input is widened by that many zeros here, so any N that holds the sentence works) and nothing
        past them. phoneme_lengths [B]: real symbols per item."""
        cfg = self.config
        if not cfg.mask_padding:
            enc = self.encode(phonemes, training=training)
            return enc, self.predict_log_durations(enc, training=training)
        n = phonemes.shape[1] if phonemes.shape[1] is not None else tf.shape(phonemes)[1]
        padded = tf.pad(phonemes, [[0, 0], [0, cfg.padding_symbols]])
        slots = tf.cast(phoneme_lengths, tf.int32) + cfg.padding_symbols
        enc = self.encode(padded, training=training, lengths=slots)
        log_d = self.predict_log_durations(enc, training=training, lengths=slots)
        return enc[:, :n], log_d[:, :n]

    def expand(self, encodings, durations, num_frames=None, max_frames=None):
        return regulate_length(encodings, durations, num_frames, self.config.positional_encoding,
                               self.config.positional_encoding_weight, max_frames=max_frames)

    def decode(self, frames, training=False, frame_lengths=None):
        """Decoder over [B, F, C]; with mask_padding and `frame_lengths`, nothing past each item's frames
        reaches its valid outputs."""
        lengths = frame_lengths if self.config.mask_padding else None
        return self.decoder(frames, training=training, lengths=lengths)

    def durations_from_log(self, log_durations, phoneme_lengths, speed=1.0):
        """The reference's `round_and_mask(exp(log_d))`, with speed and a bound: d = exp(log_d) / speed; d < 1
        -> 1; d > max_symbol_frames -> max_symbol_frames; padding (positions >= phoneme_lengths) -> 0; round
        half to even (torch.round = tf.round). `speed` 2.0 halves every duration (twice as fast); it is applied
        before the 1-frame floor, so every phoneme keeps at least one frame. Returns float32 [B, N]."""
        d = tf.exp(tf.cast(log_durations, tf.float32))
        speed = tf.convert_to_tensor(speed, tf.float32)
        d = d / speed
        d = tf.where(d < 1.0, tf.ones_like(d), d)
        d = tf.minimum(d, float(self.config.max_symbol_frames))  # also catches inf
        mask = tf.sequence_mask(phoneme_lengths, tf.shape(d)[1], dtype=tf.float32)
        return tf.round(d * mask)

    # ---- training / inference ---------------------------------------------------------------------------
    def teacher_forced(self, phonemes, phoneme_lengths, durations, training=False, num_frames=None):
        """Mel from given durations -> (mel [B, F, n_mels], log_durations [B, N], frame_lengths [B]).
        F = the largest total duration, or `num_frames` (zero frames pad exactly)."""
        encodings, log_durations = self.encode_and_predict(phonemes, phoneme_lengths, training=training)
        # Durations past each item's length are 0 in well-formed batches; mask anyway so they cannot expand
        # padding (a no-op on the reference's inputs).
        durations = tf.cast(durations, tf.float32) * tf.sequence_mask(phoneme_lengths, tf.shape(phonemes)[1],
                                                                       dtype=tf.float32)
        frames, frame_lengths, _ = self.expand(encodings, durations, num_frames)
        return self.decode(frames, training=training, frame_lengths=frame_lengths), log_durations, frame_lengths

    def call(self, inputs, training=None):
        """inputs: {"phonemes" [B, N] int, "phoneme_lengths" [B], "durations" [B, N] ground-truth frames}.
        Returns (mel [B, F, n_mels] with F = max total duration, log_durations [B, N])."""
        missing = [k for k in ("phonemes", "phoneme_lengths", "durations") if k not in inputs]
        if missing:
            raise ValueError(f"student inputs lack {missing} (expected phonemes, phoneme_lengths, durations; "
                             "use infer() to synthesise without durations)")
        mel, log_durations, _ = self.teacher_forced(inputs["phonemes"], inputs["phoneme_lengths"],
                                                    inputs["durations"], training=training)
        return mel, log_durations

    def infer(self, phonemes, phoneme_lengths, speed=1.0, num_frames=None, return_overflow=False):
        """Synthesis in inference mode (BatchNorm running statistics).

        Returns (mel [B, F, n_mels], durations [B, N] float frames, mel_lengths [B] int32), and overflow [B]
        bool when `return_overflow`. Durations are bounded (config.max_symbol_frames per symbol after `speed`)
        and so is F: the largest total duration up to config.max_frames (num_frames=None), or the fixed buffer
        `num_frames`. An item whose frames do not fit is cut at F and flagged in overflow (and logged when
        running eagerly); nothing larger is ever allocated. Frames past an item's length are the decoder's
        output on zero input (mask them with mel_lengths).
        """
        if isinstance(speed, (int, float)) and not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        encodings, log_durations = self.encode_and_predict(phonemes, phoneme_lengths, training=False)
        durations = self.durations_from_log(log_durations, phoneme_lengths, speed)
        cap = None if num_frames is not None else self.config.max_frames
        frames, mel_lengths, overflow = self.expand(encodings, durations, num_frames, max_frames=cap)
        mel = self.decode(frames, training=False, frame_lengths=mel_lengths)
        if tf.executing_eagerly() and bool(tf.reduce_any(overflow)):
            limit = num_frames if num_frames is not None else self.config.max_frames
            _log.warning("student: predicted %s frames, more than the %d-frame bound; output cut at %d frames",
                         tf.reduce_sum(durations, axis=1).numpy().astype(int).tolist(), limit, limit)
        if return_overflow:
            return mel, durations, mel_lengths, overflow
        return mel, durations, mel_lengths

    def get_config(self):
        from ..config import to_dict
        return {"config": to_dict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        from ..config import from_dict
        return cls(from_dict(StudentConfig, config["config"]), name=config.get("name", "speedyspeech_student"))


def build_student(cfg: StudentConfig | None = None) -> SpeedySpeechStudent:
    """A student with all weights created (ready for load_weights / weight import)."""
    model = SpeedySpeechStudent(cfg or StudentConfig())
    model.build(None)
    return model


__all__ = ["SpeedySpeechStudent", "build_student", "StudentEncoder", "StudentDecoder", "DurationPredictor"]
