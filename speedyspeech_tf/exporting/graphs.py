"""The static-shape graphs that are exported: student and vocoder wrappers, written to SavedModels.

Student (`student_serving_fn`, on the Keras SpeedySpeechStudent itself, so it is the model's own code):
    phoneme_ids int32 [1, N], length int32 [1], speed float32 [1]
    -> encoder -> duration predictor -> durations exactly as `SpeedySpeechStudent.infer` computes them
       (exp, / speed, < 1 -> 1, padding -> 0, round) -> length regulator into a fixed buffer of F frames
       (cumulative sum + comparisons -> alignment matrix -> batch matmul, and the positional encoding the model
       was trained with; layers.regulate_length) -> decoder -> mel * std + mean (natural-log mel)
       -> frames at or past the valid count set to log(1e-5)
    -> mel float32 [1, F, n_mels], frames int32 [1] (min(total, F)), overflow int32 [1] (total > F),
       durations int32 [1, N] (frames per symbol slot, 0 past `length`; for the runtime's timestamps).
Two guards that change nothing for valid inputs: each duration is capped at F + 1 frames (a phoneme that long
overflows anyway, and the cap keeps the int32 cumulative sum exact: float -> int casts of huge values differ
between TensorFlow and TFLite), and speed is clipped to [MIN_SPEED, MAX_SPEED] (a graph cannot raise; the
runtime rejects speeds outside that range).

Vocoder (`vocoder_graph`: `VocoderGraph` for a MelGAN, `HiFiGANGraph` for a HiFi-GAN, built from the
generator's weight-norm-folded weights):
    mel float32 [1, L, n_mels] (L = W + 2C) -> audio float32 [1, L * hop].
It computes exactly what MelGANGenerator / HiFiGANGenerator computes, but laid out for TFLite: activations are
NHWC [1, 1, T, C] all the way (no expand/squeeze RESHAPE pairs around every convolution), every convolution is one CONV_2D with
"SAME" zero padding and native dilation (no PAD, no SPACE_TO_BATCH_ND/BATCH_TO_SPACE_ND), and every transposed
convolution is rewritten in polyphase form (`polyphase_kernel`): PAD by one step, a 2-tap stride-1 CONV_2D
with f * out channels, a RESHAPE that interleaves the phases and one contiguous STRIDED_SLICE (half a step at
each end). Same arithmetic, no zero taps, faster than TRANSPOSE_CONV in XNNPACK (see polyphase_kernel), and it
avoids TRANSPOSE_CONV, whose hybrid (int8-weight, float-activation) kernel, used by dynamic-range
quantization, does not exist in tflite-runtime 2.14 ("weights->type != input->type" at prepare time).
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..config import AudioConfig

MIN_SPEED = 0.1
MAX_SPEED = 10.0


# -------------------------------------------------------------------------------------------------- student

def student_serving_fn(model, num_phonemes: int, num_frames: int, audio: AudioConfig):
    """The student's export function (see the module docstring) as a Python callable of three tensors."""
    import tensorflow as tf

    n_frames = int(num_frames)
    mean = float(audio.mel_mean)
    std = float(audio.mel_std)
    silence = float(audio.silence_log_mel)

    def serve(phoneme_ids, length, speed):
        speed = tf.clip_by_value(tf.cast(speed, tf.float32), MIN_SPEED, MAX_SPEED)
        encodings, log_durations = model.encode_and_predict(phoneme_ids, length, training=False)
        durations = model.durations_from_log(log_durations, length, speed)        # [1, N] float frames
        durations = tf.minimum(durations, float(n_frames + 1))
        expanded, frames, overflow = model.expand(encodings, durations, n_frames)  # [1, F, C], [1], [1]
        mel = model.decode(expanded, training=False, frame_lengths=frames) * std + mean
        valid = tf.range(n_frames, dtype=tf.int32)[None, :, None] < frames[:, None, None]
        mel = tf.where(valid, mel, tf.constant(silence, tf.float32))
        return {"mel": mel, "frames": tf.cast(frames, tf.int32), "overflow": tf.cast(overflow, tf.int32),
                "durations": tf.cast(durations, tf.int32)}  # frames per symbol (runtime timestamps)

    return serve


def student_input_signature(num_phonemes: int):
    import tensorflow as tf

    return [tf.TensorSpec([1, int(num_phonemes)], tf.int32, name="phoneme_ids"),
            tf.TensorSpec([1], tf.int32, name="length"),
            tf.TensorSpec([1], tf.float32, name="speed")]


def write_student_saved_model(model, directory: str | os.PathLike, num_phonemes: int, num_frames: int,
                              audio: AudioConfig) -> str:
    """Write the student's export function as the "serving_default" signature of a SavedModel.

    Keras's ExportArchive tracks the Keras 3 variables (a plain tf.Module holding a Keras 3 model does not see
    them, and the converter then fails on unfrozen ReadVariableOps)."""
    import keras

    directory = os.fspath(directory)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", student_serving_fn(model, num_phonemes, num_frames, audio),
                         input_signature=student_input_signature(num_phonemes))
    archive.write_out(directory, verbose=False)
    return directory


def keras_student_outputs(model, phoneme_ids, length, speed, num_frames: int, audio: AudioConfig) -> dict:
    """What the exported student must give, computed with the Keras model's own `infer` (not the export
    function): {"mel" [B, F, n_mels] natural-log mel with silence past the valid frames, "frames" [B] int32,
    "overflow" [B] int32, "durations" [B, N]}."""
    import tensorflow as tf

    ids = tf.constant(np.asarray(phoneme_ids, np.int32))
    lengths = tf.constant(np.asarray(length, np.int32).reshape(-1))
    speed = float(np.asarray(speed, np.float32).reshape(-1)[0])
    mel, durations, mel_lengths = model.infer(ids, lengths, speed=speed, num_frames=int(num_frames))
    mel = mel.numpy() * np.float32(audio.mel_std) + np.float32(audio.mel_mean)
    frames = mel_lengths.numpy().astype(np.int32)
    valid = np.arange(mel.shape[1])[None, :, None] < frames[:, None, None]
    mel = np.where(valid, mel, np.float32(audio.silence_log_mel)).astype(np.float32)
    total = durations.numpy().astype(np.float64).sum(axis=1)
    return {"mel": mel, "frames": frames, "overflow": (total > num_frames).astype(np.int32),
            "durations": durations.numpy()}


# -------------------------------------------------------------------------------------------------- vocoder

def polyphase_kernel(kernel: np.ndarray, bias: np.ndarray, stride: int):
    """A MelGAN upsampling layer (transposed convolution, kernel 2f, stride f, "same") as a 2-tap convolution.

    kernel: the Keras/TF conv_transpose kernel [2f, out, in]. TF's "same" transposed convolution gives output
    sample n = i * f + j - f/2 for input step i and tap j. Writing h = f/2, the output samples
    [s * f - h, s * f + h) -- the last h phases of step s - 1 and the first h phases of step s -- read only the
    inputs s - 1 and s (taps j = r + h and r - h for phase r >= h of step s - 1; j = r + h + f and r + h for
    phase r < h of step s). So one stride-1 convolution with kernel 2 and f * out channels (phase-major, the
    "late" phases first) over the input zero-padded by one step on each side (T + 1 outputs) computes every
    output sample once, with no zero taps; reshaped to [(T + 1) * f, out], the audio-rate signal is the
    contiguous slice [h, h + T * f). Returns (conv kernel [2, in, f * out], bias [f * out]).
    Measured on the first upsampling layer (512 -> 256 channels, f = 8, 144 frames, float32, one thread):
    this form 10.6 ms, TRANSPOSE_CONV 18.9 ms, a 3-tap polyphase form without the slice 20.9 ms.
    """
    kernel = np.asarray(kernel, np.float32)
    k, n_out, n_in = kernel.shape
    f = int(stride)
    if k != 2 * f or f % 2:
        raise ValueError(f"polyphase form needs kernel 2 * stride with an even stride (the MelGAN layout), "
                         f"got kernel {k}, stride {f}")
    h = f // 2
    out = np.zeros((2, n_in, f * n_out), np.float32)
    for slot, r in enumerate(list(range(h, f)) + list(range(h))):
        cols = slice(slot * n_out, (slot + 1) * n_out)
        if r >= h:   # phase r of step s - 1: input s - 1 (tap 0) is its own step, input s the next one
            out[0, :, cols] = kernel[r + h].T
            out[1, :, cols] = kernel[r - h].T
        else:        # phase r of step s: input s - 1 is the previous step, input s its own
            out[0, :, cols] = kernel[r + h + f].T
            out[1, :, cols] = kernel[r + h].T
    return out, np.tile(np.asarray(bias, np.float32), f)


def upsample_polyphase(x, kernel, bias, factor: int, channels: int):
    """Apply `polyphase_kernel`'s form to x [B, 1, T, in] (static T) -> [B, 1, T * factor, channels]."""
    import tensorflow as tf

    batch, _, t, _ = x.shape
    x = tf.pad(x, [[0, 0], [0, 0], [1, 1], [0, 0]])
    y = tf.nn.bias_add(tf.nn.conv2d(x, kernel, strides=1, padding="VALID"), bias)   # [B, 1, T + 1, f * c]
    y = tf.reshape(y, [batch, 1, (t + 1) * factor, channels])
    h = factor // 2
    return y[:, :, h:h + t * factor]


class VocoderGraph:
    """Builds the vocoder export module from a MelGANGenerator (weight-normalised or folded)."""

    def __init__(self, generator, num_frames: int):
        import tensorflow as tf

        folded = generator.fold_weight_norm()
        self.config = cfg = generator.config
        self.num_frames = int(num_frames)
        layers = folded.conv_layers()
        expected = 2 + len(cfg.upsample_factors) * (1 + 2 * len(cfg.resstack_dilations))
        if len(layers) != expected:
            raise ValueError(f"generator has {len(layers)} convolutions, expected {expected} for its config")
        it = iter(layers)

        def conv_params(layer, dilation=1):
            kernel, bias = [np.asarray(w, np.float32) for w in layer.get_weights()]
            return {"kernel": tf.Variable(kernel[None], trainable=False), "bias": tf.Variable(bias, trainable=False),
                    "dilation": int(dilation)}

        self.input_conv = conv_params(next(it))
        self.stages = []
        for f in cfg.upsample_factors:
            up = next(it)
            kernel, bias = [np.asarray(w, np.float32) for w in up.get_weights()]
            pk, pb = polyphase_kernel(kernel, bias, f)
            stage = {"factor": int(f), "channels": int(kernel.shape[1]),
                     "up": {"kernel": tf.Variable(pk[None], trainable=False),
                            "bias": tf.Variable(pb, trainable=False), "dilation": 1},
                     "blocks": []}
            for d in cfg.resstack_dilations:
                stage["blocks"].append((conv_params(next(it), d), conv_params(next(it))))
            self.stages.append(stage)
        self.output_conv = conv_params(next(it))

    def variables(self):
        out = [self.input_conv["kernel"], self.input_conv["bias"], self.output_conv["kernel"],
               self.output_conv["bias"]]
        for s in self.stages:
            out += [s["up"]["kernel"], s["up"]["bias"]]
            for a, b in s["blocks"]:
                out += [a["kernel"], a["bias"], b["kernel"], b["bias"]]
        return out

    def __call__(self, mel):
        """mel [1, L, n_mels] -> audio [1, L * hop] (any batch size works eagerly; the export uses 1)."""
        import tensorflow as tf

        cfg = self.config
        slope = float(cfg.generator_leaky_slope)
        batch = mel.shape[0] if mel.shape[0] is not None else 1
        t = self.num_frames

        def conv(x, p):
            y = tf.nn.conv2d(x, p["kernel"], strides=1, padding="SAME", dilations=[1, 1, p["dilation"], 1])
            return tf.nn.bias_add(y, p["bias"])

        x = tf.reshape(mel, [batch, 1, t, cfg.n_mels])
        x = (x + float(cfg.mel_shift)) * float(1.0 / cfg.mel_divisor)
        x = conv(x, self.input_conv)
        for stage in self.stages:
            x = upsample_polyphase(tf.nn.leaky_relu(x, slope), stage["up"]["kernel"], stage["up"]["bias"],
                                   stage["factor"], stage["channels"])
            t *= stage["factor"]
            for dilated, pointwise in stage["blocks"]:
                y = conv(tf.nn.leaky_relu(x, slope), dilated)
                y = conv(tf.nn.leaky_relu(y, slope), pointwise)
                x = x + y
        x = conv(tf.nn.leaky_relu(x, slope), self.output_conv)
        return tf.reshape(tf.tanh(x), [batch, t])


def _conv_params(layer, dilation: int = 1) -> dict:
    """A folded Keras Conv1D -> {"kernel" [1, k, in, out], "bias", "dilation"} as constant tf.Variables."""
    import tensorflow as tf

    kernel, bias = [np.asarray(w, np.float32) for w in layer.get_weights()]
    return {"kernel": tf.Variable(kernel[None], trainable=False), "bias": tf.Variable(bias, trainable=False),
            "dilation": int(dilation)}


def _conv2d(x, p):
    """Stride-1 "SAME" convolution on NHWC [B, 1, T, C] with native dilation (one CONV_2D in TFLite)."""
    import tensorflow as tf

    y = tf.nn.conv2d(x, p["kernel"], strides=1, padding="SAME", dilations=[1, 1, p["dilation"], 1])
    return tf.nn.bias_add(y, p["bias"])


class HiFiGANGraph:
    """Builds the vocoder export module from a HiFiGANGenerator (weight-normalised or folded): the same layout
    as VocoderGraph (NHWC, CONV_2D with native dilation, polyphase upsampling), and multi-receptive-field fusion
    as a sum of the residual blocks times 1/K."""

    def __init__(self, generator, num_frames: int):
        import tensorflow as tf

        folded = generator.fold_weight_norm()
        self.config = cfg = generator.config
        self.num_frames = int(num_frames)
        layers = folded.conv_layers()
        per_stage = 1 + 2 * sum(len(d) for d in cfg.resblock_dilation_sizes)
        expected = 2 + len(cfg.upsample_rates) * per_stage
        if len(layers) != expected:
            raise ValueError(f"generator has {len(layers)} convolutions, expected {expected} for its config")
        it = iter(layers)
        self.input_conv = _conv_params(next(it))
        self.stages = []
        for u in cfg.upsample_rates:
            kernel, bias = [np.asarray(w, np.float32) for w in next(it).get_weights()]
            pk, pb = polyphase_kernel(kernel, bias, u)
            stage = {"factor": int(u), "channels": int(kernel.shape[1]),
                     "up": {"kernel": tf.Variable(pk[None], trainable=False),
                            "bias": tf.Variable(pb, trainable=False)},
                     "blocks": []}
            for dilations in cfg.resblock_dilation_sizes:
                stage["blocks"].append([(_conv_params(next(it), d), _conv_params(next(it))) for d in dilations])
            self.stages.append(stage)
        self.output_conv = _conv_params(next(it))

    def variables(self):
        out = [self.input_conv["kernel"], self.input_conv["bias"], self.output_conv["kernel"],
               self.output_conv["bias"]]
        for s in self.stages:
            out += [s["up"]["kernel"], s["up"]["bias"]]
            for block in s["blocks"]:
                for a, b in block:
                    out += [a["kernel"], a["bias"], b["kernel"], b["bias"]]
        return out

    def __call__(self, mel):
        """mel [1, L, n_mels] -> audio [1, L * hop] (any batch size works eagerly; the export uses 1)."""
        import tensorflow as tf

        cfg = self.config
        slope = float(cfg.leaky_slope)
        batch = mel.shape[0] if mel.shape[0] is not None else 1
        t = self.num_frames
        # Name scopes "conv_pre", "stage{i}", "conv_post": selective int8 (convert_saved_model's int8_scopes).
        with tf.name_scope("conv_pre"):
            x = _conv2d(tf.reshape(mel, [batch, 1, t, cfg.n_mels]), self.input_conv)
        for i, stage in enumerate(self.stages):
            with tf.name_scope(f"stage{i}"):
                x = upsample_polyphase(tf.nn.leaky_relu(x, slope), stage["up"]["kernel"], stage["up"]["bias"],
                                       stage["factor"], stage["channels"])
                t *= stage["factor"]
                total = None
                for block in stage["blocks"]:
                    y = x
                    for dilated, plain in block:
                        z = _conv2d(tf.nn.leaky_relu(y, slope), dilated)
                        y = y + _conv2d(tf.nn.leaky_relu(z, slope), plain)
                    total = y if total is None else total + y
                x = total * float(1.0 / len(stage["blocks"]))
        with tf.name_scope("conv_post"):
            x = _conv2d(tf.nn.leaky_relu(x, float(cfg.post_leaky_slope)), self.output_conv)
            return tf.reshape(tf.tanh(x), [batch, t])


def vocoder_graph(generator, num_frames: int):
    """The export graph of a MelGAN or HiFi-GAN generator (chosen by its config)."""
    from ..config import HiFiGANConfig

    if isinstance(generator.config, HiFiGANConfig):
        return HiFiGANGraph(generator, num_frames)
    return VocoderGraph(generator, num_frames)


def write_vocoder_saved_model(generator, directory: str | os.PathLike, num_frames: int) -> str:
    """Write the vocoder export graph (mel [1, num_frames, n_mels] -> audio) as a SavedModel."""
    import tensorflow as tf

    graph = vocoder_graph(generator, num_frames)
    module = tf.Module()
    module.weights = graph.variables()  # tracked, so the SavedModel holds them and the converter freezes them
    n_mels = graph.config.n_mels

    @tf.function(input_signature=[tf.TensorSpec([1, int(num_frames), n_mels], tf.float32, name="mel")])
    def serve(mel):
        return {"audio": graph(mel)}

    module.serve = serve
    directory = os.fspath(directory)
    tf.saved_model.save(module, directory, signatures={"serving_default": serve.get_concrete_function()})
    return directory


def receptive_context(config) -> int:
    """Context frames each side that make windowed synthesis exact (models.windows.default_context)."""
    from ..models.windows import default_context

    return int(default_context(config))


def ceil_to(x: float, multiple: int) -> int:
    return int(math.ceil(x / multiple) * multiple)


__all__ = ["student_serving_fn", "student_input_signature", "write_student_saved_model", "keras_student_outputs",
           "polyphase_kernel", "VocoderGraph", "HiFiGANGraph", "vocoder_graph", "write_vocoder_saved_model",
           "receptive_context", "MIN_SPEED",
           "MAX_SPEED"]
