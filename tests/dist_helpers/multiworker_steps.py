"""Run in subprocesses by tests/test_distribute.py: the student trainer's model.fit steps under
MultiWorkerMirroredStrategy (one process per worker, TF_CONFIG set by the test) or on one device (no TF_CONFIG),
from the same initial weights, on the same global batch [a, b, a, b] (see mirrored_steps.py for why the halves
are equal). Sharding is off, so each worker's replica gets [a, b], the half of the global batch it would get
with any policy. Writes the final weights to OUT.npz and prints "RESULT {json}" with the logged losses and
gradient norms per step and the replica count.

    python tests/dist_helpers/multiworker_steps.py OUT.npz
"""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

STEPS = 3


def main(out_path: str) -> None:
    multi = "TF_CONFIG" in os.environ
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if multi else tf.distribute.get_strategy()
    import keras
    import numpy as np

    from speedyspeech_tf.config import StudentConfig
    from speedyspeech_tf.training.student import build_trainer

    cfg = StudentConfig(channels=8, encoder_dilations=(1,), decoder_dilations=(1, 2), n_mels=12, batch_size=2,
                        learning_rate=0.01, grad_clip_norm=0.05)
    rng = np.random.default_rng(0)
    plen = np.array([9, 5, 9, 5], np.int32)
    n = int(plen.max())
    ph, dur = np.zeros([4, n], np.int32), np.zeros([4, n], np.int32)
    for b, k in enumerate(plen[:2]):
        ph[b, :k] = rng.integers(2, cfg.num_symbols, k)
        dur[b, :k] = rng.integers(1, 5, k)
    ph[2:], dur[2:] = ph[:2], dur[:2]
    mlen = dur.sum(1).astype(np.int32)
    mel = rng.normal(size=[4, int(mlen.max()), cfg.n_mels]).astype(np.float32)
    mel[2:] = mel[:2]
    batch = {"phonemes": ph, "phoneme_lengths": plen, "durations": dur, "mel": mel, "mel_lengths": mlen}

    keras.utils.set_random_seed(0)
    with strategy.scope():
        trainer = build_trainer(cfg)
    keras.utils.set_random_seed(0)
    init = build_trainer(cfg).student.get_weights()
    trainer.student.set_weights(init)
    ds = tf.data.Dataset.from_tensors(batch).repeat()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    ds = ds.with_options(options)

    class PerStep(keras.callbacks.Callback):
        rows = []

        def on_train_batch_end(self, batch, logs=None):
            PerStep.rows.append({k: float(logs[k]) for k in ("loss", "grad_norm")})

    trainer.fit(ds, epochs=1, steps_per_epoch=STEPS, verbose=0, callbacks=[PerStep()])
    np.savez(out_path, *[np.asarray(w) for w in trainer.student.get_weights()])
    print("RESULT " + json.dumps({"replicas": strategy.num_replicas_in_sync, "steps": PerStep.rows}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
