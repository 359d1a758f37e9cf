"""The teacher (duration extractor): a convolutional attention model whose attention gives phoneme durations.

Layer for layer the authors' `DurationExtractor` (janvainer/speedyspeech, code/duration_extractor.py),
channels-last:

    text encoder:  embedding (= e) -> 1x1 conv -> ReLU -> gated residual blocks (centred) -> 1x1 conv = keys;
                   values = (keys + e) * sqrt(0.5)
    audio encoder: spectrogram shifted right by one frame -> 1x1 conv -> ReLU -> causal gated blocks = queries
    attention:     keys += PE(w=6.42), queries += PE(w=1);
                   weights = softmax(fc_query(q) . fc_keys(k)^T) (no 1/sqrt(d); padded phonemes masked; noise
                   on the logits in training); context = fc_out(weights @ fc_values(values))
    decoder:       causal gated blocks on context + queries -> (1x1 conv -> ReLU) x3 -> 1x1 conv -> sigmoid

Step-by-step decoding (for the monotonic duration extraction or free-running generation): every layer of the
audio encoder and decoder is causal (1x1 convolutions and left-padded dilated convolutions), so frame t of the
output depends on input frames <= t only. `initial_state(B)` gives the zero state (the left padding of every
causal block) and `decode_step(frame, t, keys, values, state, ...)` consumes one input frame (the frame
*before* t: zeros at t = 0, the ground-truth or generated frame t-1 afterwards) and returns the output frame,
the attention row and the next state; a custom mask per step restricts which phonemes it may attend to.
Running decode_step over t = 0..T-1 with the shifted spectrogram reproduces `call` (tested).
"""
from __future__ import annotations

import keras
import tensorflow as tf

from ..config import TeacherConfig
from .layers import SQRT_HALF, GatedResidualBlock, PaddedEmbedding, positional_encoding

# Added to the logits of masked phonemes: exp underflows to exactly 0 like the reference's -inf, and a row
# with every phoneme masked gives a uniform row instead of NaN.
MASK_VALUE = -1e9


class TextEncoder(keras.layers.Layer):
    def __init__(self, cfg: TeacherConfig, **kwargs):
        super().__init__(**kwargs)
        c = cfg.channels
        self.embedding = PaddedEmbedding(cfg.num_symbols, c, name="embedding")
        self.conv_in = keras.layers.Conv1D(c, 1, name="conv_in")
        self.blocks = [GatedResidualBlock(c, cfg.hidden_channels, cfg.kernel_size, d, causal=False,
                                          name=f"block_{i}") for i, d in enumerate(cfg.text_encoder_dilations)]
        self.conv_out = keras.layers.Conv1D(c, 1, name="conv_out")
        self.channels = c

    def build(self, input_shape=None):
        # Explicit builds: otherwise Keras builds by tracing `call` symbolically, which is slow.
        self.embedding.build((None, None))
        for layer in [self.conv_in, *self.blocks, self.conv_out]:
            layer.build((None, None, self.channels))

    def call(self, phonemes):
        emb = self.embedding(phonemes)
        x = tf.nn.relu(self.conv_in(emb))
        for block in self.blocks:
            x = block(x)
        keys = self.conv_out(x)
        values = (keys + emb) * tf.cast(SQRT_HALF, keys.dtype)
        return keys, values


class _CausalStack(keras.layers.Layer):
    """Shared step-by-step machinery for stacks of causal gated blocks."""

    blocks: list

    def initial_state(self, batch_size):
        return tuple(b.initial_state(batch_size) for b in self.blocks)

    def _blocks_step(self, x, state):
        new_state = []
        for block, s in zip(self.blocks, state):
            x, s = block.step(x, s)
            new_state.append(s)
        return x, tuple(new_state)


class AudioEncoder(_CausalStack):
    def __init__(self, cfg: TeacherConfig, **kwargs):
        super().__init__(**kwargs)
        self.conv_in = keras.layers.Conv1D(cfg.channels, 1, name="conv_in")
        self.blocks = [GatedResidualBlock(cfg.channels, cfg.hidden_channels, cfg.kernel_size, d, causal=True,
                                          name=f"block_{i}") for i, d in enumerate(cfg.audio_encoder_dilations)]
        self.channels, self.n_mels = cfg.channels, cfg.n_mels

    def build(self, input_shape=None):
        self.conv_in.build((None, None, self.n_mels))
        for block in self.blocks:
            block.build((None, None, self.channels))

    def call(self, x):
        x = tf.nn.relu(self.conv_in(x))
        for block in self.blocks:
            x = block(x)
        return x

    def step(self, x, state):
        return self._blocks_step(tf.nn.relu(self.conv_in(x)), state)


class AudioDecoder(_CausalStack):
    def __init__(self, cfg: TeacherConfig, **kwargs):
        super().__init__(**kwargs)
        c = cfg.channels
        self.blocks = [GatedResidualBlock(c, cfg.hidden_channels, cfg.kernel_size, d, causal=True,
                                          name=f"block_{i}") for i, d in enumerate(cfg.decoder_dilations)]
        self.convs = [keras.layers.Conv1D(c, 1, name=f"conv_{i}") for i in range(3)]
        # float32 under mixed precision too: the sigmoid output and the loss stay in float32.
        self.conv_out = keras.layers.Conv1D(cfg.n_mels, 1, name="conv_out", dtype="float32")
        self.channels = c

    def build(self, input_shape=None):
        for layer in [*self.blocks, *self.convs, self.conv_out]:
            layer.build((None, None, self.channels))

    def _head(self, x):
        for conv in self.convs:
            x = tf.nn.relu(conv(x))
        return tf.sigmoid(self.conv_out(x))

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self._head(x)

    def step(self, x, state):
        x, state = self._blocks_step(x, state)
        return self._head(x), state


class DotAttention(keras.layers.Layer):
    """softmax(fc_query(q) . fc_keys(k)^T) without 1/sqrt(d) scaling, separate query/key projections."""

    def __init__(self, cfg: TeacherConfig, **kwargs):
        super().__init__(**kwargs)
        h = cfg.attention_hidden_channels
        self.noise = float(cfg.attention_noise)
        self.fc_query = keras.layers.Conv1D(h, 1, name="fc_query")
        self.fc_keys = keras.layers.Conv1D(h, 1, name="fc_keys")
        self.fc_values = keras.layers.Conv1D(h, 1, name="fc_values")
        self.fc_out = keras.layers.Conv1D(cfg.channels, 1, name="fc_out")
        self.channels, self.hidden = cfg.channels, h

    def build(self, input_shape=None):
        for layer in [self.fc_query, self.fc_keys, self.fc_values]:
            layer.build((None, None, self.channels))
        self.fc_out.build((None, None, self.hidden))

    def call(self, queries, keys, values, attention_mask=None, training=False):
        """queries [B, T, C], keys/values [B, N, C], attention_mask bool broadcastable to [B, T, N]
        (True = may attend; not named `mask`, which Keras reserves for its own masking).
        Returns (context [B, T, C], weights [B, T, N])."""
        # Logits and softmax in float32 (no-op casts unless mixed precision computes the projections in float16).
        logits = tf.matmul(tf.cast(self.fc_query(queries), tf.float32), tf.cast(self.fc_keys(keys), tf.float32),
                           transpose_b=True)
        if attention_mask is not None:
            logits = tf.where(attention_mask, logits, tf.constant(MASK_VALUE, logits.dtype))
        if training and self.noise:
            logits = logits + self.noise * tf.random.normal(tf.shape(logits), dtype=logits.dtype)
        weights = tf.nn.softmax(logits, axis=-1)
        projected = self.fc_values(values)
        context = self.fc_out(tf.matmul(tf.cast(weights, projected.dtype), projected))
        return context, weights


class DurationExtractor(keras.Model):
    """The teacher. call({"phonemes", "phoneme_lengths", "mel"}, training) -> (decoded [B, T, n_mels],
    attention [B, T, N]); `mel` is the target spectrogram (min-max scaled log-mel), shifted right by one
    frame inside the model (teacher forcing)."""

    def __init__(self, config: TeacherConfig | None = None, **kwargs):
        kwargs.setdefault("name", "duration_extractor")
        super().__init__(**kwargs)
        self.config = cfg = config or TeacherConfig()
        if cfg.channels % 2:
            raise ValueError(f"TeacherConfig.channels must be even (positional encoding), got {cfg.channels}")
        self.text_encoder = TextEncoder(cfg, name="text_encoder")
        self.audio_encoder = AudioEncoder(cfg, name="audio_encoder")
        self.attention = DotAttention(cfg, name="attention")
        self.audio_decoder = AudioDecoder(cfg, name="audio_decoder")

    def build(self, input_shape=None):
        """Create every weight (the shapes depend on the config only)."""
        for layer in [self.text_encoder, self.audio_encoder, self.attention, self.audio_decoder]:
            layer.build(None)

    # ---- pieces -----------------------------------------------------------------------------------------
    def encode_text(self, phonemes):
        """-> (keys [B, N, C] with their positional encoding added, values [B, N, C])."""
        keys, values = self.text_encoder(phonemes)
        if self.config.positional_encoding:
            keys = keys + tf.cast(positional_encoding(tf.range(tf.shape(keys)[1]), self.config.channels,
                                                      self.config.key_pe_weight), keys.dtype)[None]
        return keys, values

    def query_positional_encoding(self, positions):
        """PE of the query frames at `positions` ([T] ints) -> [T, C] (zeros if disabled)."""
        pe = positional_encoding(positions, self.config.channels, self.config.query_pe_weight)
        return pe if self.config.positional_encoding else tf.zeros_like(pe)

    def encode_audio(self, shifted_mel):
        """Queries for the (already shifted) input spectrogram, with their positional encoding."""
        queries = self.audio_encoder(shifted_mel)
        pe = self.query_positional_encoding(tf.range(tf.shape(queries)[1]))
        return queries + tf.cast(pe, queries.dtype)[None]

    @staticmethod
    def phoneme_mask(phoneme_lengths, num_phonemes):
        """[B] -> [B, 1, N] bool: True on real phonemes."""
        return tf.sequence_mask(phoneme_lengths, num_phonemes)[:, None, :]

    def attend(self, queries, keys, values, phoneme_lengths=None, mask=None, training=False):
        """Attention with the padded phonemes masked (from phoneme_lengths) and an optional extra boolean
        `mask` broadcastable to [B, T, N] (True = allowed), e.g. a window around the previous frame's phoneme
        for monotonic extraction. Returns (context, weights)."""
        full = None
        if phoneme_lengths is not None:
            full = self.phoneme_mask(phoneme_lengths, tf.shape(keys)[1])
        if mask is not None:
            mask = tf.cast(mask, tf.bool)
            full = mask if full is None else tf.logical_and(full, mask)
        return self.attention(queries, keys, values, attention_mask=full, training=training)

    def decode(self, x):
        return self.audio_decoder(x)

    @staticmethod
    def shift_right(mel):
        """Teacher forcing input: frame t holds mel frame t-1 (zeros at t = 0); same length."""
        return tf.pad(mel, [[0, 0], [1, 0], [0, 0]])[:, :-1]

    # ---- whole model ------------------------------------------------------------------------------------
    def call(self, inputs, training=None):
        missing = [k for k in ("phonemes", "phoneme_lengths", "mel") if k not in inputs]
        if missing:
            raise ValueError(f"teacher inputs lack {missing} (expected phonemes, phoneme_lengths, mel)")
        phonemes = inputs["phonemes"]
        mel = tf.cast(inputs["mel"], self.compute_dtype)  # float16 under mixed precision
        keys, values = self.encode_text(phonemes)
        queries = self.encode_audio(self.shift_right(mel))
        context, weights = self.attend(queries, keys, values, inputs["phoneme_lengths"], training=training)
        decoded = self.decode(context + queries)
        return decoded, weights

    # ---- step by step -----------------------------------------------------------------------------------
    def initial_state(self, batch_size):
        """Zero state of every causal block: (audio-encoder states, decoder states)."""
        return self.audio_encoder.initial_state(batch_size), self.audio_decoder.initial_state(batch_size)

    def decode_step(self, input_frame, step, keys, values, state, phoneme_lengths=None, mask=None):
        """One frame: input_frame [B, 1, n_mels] (the previous output frame / previous target frame, zeros at
        step 0), step = its index t (scalar int, for the query's positional encoding), keys/values from
        `encode_text`, state from `initial_state` or the previous call, mask [B, 1, N] extra boolean mask.
        Returns (output frame [B, 1, n_mels], attention weights [B, 1, N], new state)."""
        enc_state, dec_state = state
        queries, enc_state = self.audio_encoder.step(input_frame, enc_state)
        queries = queries + self.query_positional_encoding(tf.reshape(step, [1]))[None]
        context, weights = self.attend(queries, keys, values, phoneme_lengths, mask, training=False)
        out, dec_state = self.audio_decoder.step(context + queries, dec_state)
        return out, weights, (enc_state, dec_state)

    def get_config(self):
        from ..config import to_dict
        return {"config": to_dict(self.config), "name": self.name}

    @classmethod
    def from_config(cls, config):
        from ..config import from_dict
        return cls(from_dict(TeacherConfig, config["config"]), name=config.get("name", "duration_extractor"))


def build_teacher(cfg: TeacherConfig | None = None) -> DurationExtractor:
    """A teacher with all weights created (ready for load_weights / weight import)."""
    cfg = cfg or TeacherConfig()
    model = DurationExtractor(cfg)
    model.build(None)
    return model


__all__ = ["DurationExtractor", "build_teacher", "TextEncoder", "AudioEncoder", "AudioDecoder", "DotAttention",
           "MASK_VALUE"]
