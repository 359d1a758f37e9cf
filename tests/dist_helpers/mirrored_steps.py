"""Run in a subprocess by tests/test_distribute.py (logical devices must be configured before TensorFlow starts).

Splits the CPU into two logical devices and, for each trainer (student, teacher, MelGAN), runs the same
model.fit steps twice from the same initial weights on the same global batch: under the default strategy (one
device, the whole batch) and under MirroredStrategy over the two logical CPUs (half the batch each). Prints one
line "RESULT {json}" with, per trainer, the largest weight difference between the two runs, how far the weights
moved, the replica counts and the logged losses (the MelGAN: two SGD steps, see vocoder()). Deterministic: no dropout/noise/augmentation, fixed batches.

The student uses BatchNorm, and the trainers keep Keras's per-replica batch statistics (see README, "Training
on several GPUs and hosts"), which differ from whole-batch statistics when the replicas' halves differ. (Switching
its layers to `synchronized=True` for the comparison made MirroredStrategy abort with mismatched collective
shapes: the cross-replica moments and the loss's count all-reduce were ordered differently on the two replicas.)
The student's global batch is therefore two items twice over, [a, b, a, b]: each replica's half has the whole
batch's statistics, and the gradient norm (logged before clipping, from the all-reduced gradients) and the loss
must still equal the one-device values, which catches gradients or counts summed or averaged wrongly.
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

STEPS = 1
DEVICES = ["/cpu:0", "/cpu:1"]


def _diff(a, b):
    return max(float(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)).max()) for x, y in zip(a, b))


def _compare(build, set_initial, get_weights, batch, metrics=(), keep_weights=False):
    """fit STEPS steps on `batch` (repeated) under the default strategy and under MirroredStrategy."""
    results = {}
    for name, strategy in (("default", tf.distribute.get_strategy()),
                           ("mirrored", tf.distribute.MirroredStrategy(DEVICES))):
        with strategy.scope():
            trainer = build()
        set_initial(trainer)
        ds = tf.data.Dataset.from_tensors(batch).repeat()
        hist = trainer.fit(ds, epochs=1, steps_per_epoch=STEPS, verbose=0, shuffle=False).history
        results[name] = (get_weights(trainer), strategy.num_replicas_in_sync,
                         {k: float(hist[k][-1]) for k in metrics})
    (w1, n1, m1), (w2, n2, m2) = results["default"], results["mirrored"]
    out = {"max_diff": _diff(w1, w2), "replicas": [n1, n2], "metrics": [m1, m2]}
    if keep_weights:
        out["weights"] = (w1, w2)
    return out, w1


# ------------------------------------------------------------------------------------------------- student
def student():
    from speedyspeech_tf.config import StudentConfig
    from speedyspeech_tf.training.student import build_trainer

    cfg = StudentConfig(channels=8, encoder_dilations=(1,), decoder_dilations=(1, 2), n_mels=12, batch_size=2,
                        learning_rate=0.01, grad_clip_norm=0.05)  # clipping active: the norm is ~1
    rng = np.random.default_rng(0)
    plen = np.array([9, 5, 9, 5], np.int32)  # items a, b, a, b: each replica gets [a, b]
    n = int(plen.max())
    ph = np.zeros([4, n], np.int32)
    dur = np.zeros([4, n], np.int32)
    for b, k in enumerate(plen[:2]):
        ph[b, :k] = rng.integers(2, cfg.num_symbols, k)
        dur[b, :k] = rng.integers(1, 5, k)
    ph[2:], dur[2:] = ph[:2], dur[:2]
    mlen = dur.sum(1).astype(np.int32)
    mel = rng.normal(size=[4, int(mlen.max()), cfg.n_mels]).astype(np.float32)
    mel[2:] = mel[:2]
    batch = {"phonemes": ph, "phoneme_lengths": plen, "durations": dur, "mel": mel, "mel_lengths": mlen}

    keras.utils.set_random_seed(0)
    init = build_trainer(cfg).student.get_weights()

    def set_initial(tr):
        tr.student.set_weights(init)

    out, w = _compare(lambda: build_trainer(cfg), set_initial, lambda tr: tr.student.get_weights(), batch,
                      metrics=("loss", "grad_norm"))
    out["moved"] = _diff(w, init)
    return out


# ------------------------------------------------------------------------------------------------- teacher
def teacher():
    from speedyspeech_tf.training.teacher import build_trainer, tiny_config

    cfg = tiny_config(input_noise=0.0, feed_ratio=0.0, replace_ratio=0.0, attention_noise=0.0,
                      grad_clip_norm=1e-3, learning_rate=0.01, warmup_epochs=0, channels=8, hidden_channels=8,
                      attention_hidden_channels=8, text_encoder_dilations=(1,), audio_encoder_dilations=(1,),
                      decoder_dilations=(1,))
    rng = np.random.default_rng(1)
    plen, mlen = np.array([7, 5, 6, 3], np.int32), np.array([24, 18, 21, 10], np.int32)
    ph = np.zeros((4, 7), np.int32)
    for b in range(4):
        ph[b, :plen[b]] = rng.integers(2, 70, plen[b])
    batch = {"phonemes": ph, "phoneme_lengths": plen, "mel": rng.uniform(size=(4, 24, 80)).astype(np.float32),
             "mel_lengths": mlen}
    keras.utils.set_random_seed(0)
    init = build_trainer(cfg).teacher.get_weights()

    def set_initial(tr):
        tr.teacher.set_weights(init)

    out, w = _compare(lambda: build_trainer(cfg, steps_per_epoch=1), set_initial,
                      lambda tr: tr.teacher.get_weights(), batch, metrics=("loss",))
    out["moved"] = _diff(w, init)
    return out


# ------------------------------------------------------------------------------------------------- MelGAN
VOCODER_STEPS = 2
VOCODER_LR = 1e-3


def vocoder():
    """Two steps with plain SGD instead of the trainer's Adam: Adam's first update is about lr * sign(g), so a
    gradient summed instead of averaged over the replicas would move the weights exactly as far; with SGD the
    update is lr * g and such a bug doubles it. Returns the relative difference of the weight updates (mirrored
    against one device) and both runs' losses."""
    from speedyspeech_tf.training.vocoder import build_trainer, tiny_config

    cfg = tiny_config(generator_channels=16, disc_channels=(4, 4, 8, 8, 8, 8), segment_length=2048, batch_size=1)
    frames = cfg.segment_length // cfg.hop_length
    rng = np.random.default_rng(2)
    batch = {"mel_g": rng.normal(size=(2, frames, cfg.n_mels)).astype(np.float32),
             "audio_g": (0.3 * rng.normal(size=(2, cfg.segment_length))).astype(np.float32),
             "mel_d": rng.normal(size=(2, frames, cfg.n_mels)).astype(np.float32),
             "audio_d": (0.3 * rng.normal(size=(2, cfg.segment_length))).astype(np.float32)}
    keras.utils.set_random_seed(0)
    init = build_trainer(cfg).melgan.get_weights()

    def build():
        tr = build_trainer(cfg)
        tr.g_optimizer = keras.optimizers.SGD(VOCODER_LR, name="g_sgd")
        tr.d_optimizer = keras.optimizers.SGD(VOCODER_LR, name="d_sgd")
        tr.g_optimizer.build(tr.melgan.generator.trainable_variables)
        tr.d_optimizer.build(tr.melgan.discriminator.trainable_variables)
        return tr

    def set_initial(tr):
        tr.melgan.set_weights(init)

    global STEPS
    STEPS, saved = VOCODER_STEPS, STEPS
    try:
        out, w = _compare(build, set_initial, lambda tr: tr.melgan.get_weights(), batch,
                          metrics=("g_loss", "d_loss"), keep_weights=True)
    finally:
        STEPS = saved
    w_one, w_mirrored = out.pop("weights")
    d_one = [np.asarray(a, np.float64) - b for a, b in zip(w_one, init)]
    d_mir = [np.asarray(a, np.float64) - b for a, b in zip(w_mirrored, init)]
    out["moved"] = max(float(np.abs(d).max()) for d in d_one)
    # per variable: |update(mirrored) - update(one device)| / |update(one device)| (the largest over variables)
    out["update_rel_diff"] = max(float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-12))
                                 for a, b in zip(d_one, d_mir) if np.abs(a).max() > 0)
    out["update_ratio"] = float(sum(np.abs(b).sum() for b in d_mir) / sum(np.abs(a).sum() for a in d_one))
    return out


if __name__ == "__main__":
    which = sys.argv[1:] or ["student", "teacher", "vocoder"]
    result = {}
    import time
    t0 = time.monotonic()
    if "student" in which:
        result["student"] = student()
    if "teacher" in which:
        result["teacher"] = teacher()
    if "vocoder" in which:
        result["vocoder"] = vocoder()
    result["seconds"] = round(time.monotonic() - t0, 1)
    print("RESULT " + json.dumps(result), flush=True)
