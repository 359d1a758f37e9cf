"""The whole training pipeline on a demo corpus the project makes itself (no ../shared needed): espeak-ng speaks
the project's own sentences, then preprocess -> teacher -> durations -> student, tiny configurations, a few
hundred optimizer steps in all. The losses must fall clearly (measured here: the last epoch at 0.63x (teacher)
and 0.59x (student) the first epoch's mean; asserted: below 0.75x) and the extracted durations must fit the corpus."""
from __future__ import annotations

import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from speedyspeech_tf.config import StudentConfig  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="needs espeak-ng (apt-get install espeak-ng; tools/run.sh installs it)")

SENTENCES = 24
TEACHER_STEPS, TEACHER_EPOCHS = 20, 6  # 120 steps
STUDENT_STEPS, STUDENT_EPOCHS = 20, 6  # 120 steps
STUDENT = StudentConfig(channels=16, encoder_dilations=(1, 2), decoder_dilations=(1, 2), batch_size=4,
                        learning_rate=0.005)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from speedyspeech_tf.data import load_cache, load_durations, preprocess
    from speedyspeech_tf.demo_corpus import make_demo_corpus
    from speedyspeech_tf.training.student import train_student
    from speedyspeech_tf.training.teacher import extract_durations_to_file, tiny_config, train_teacher

    root = tmp_path_factory.mktemp("demo_corpus_pipeline")
    make_demo_corpus(root / "corpus", SENTENCES, voice="espeak", seed=3, workers=2, progress=False)
    preprocess(root / "corpus", root / "cache", workers=2, progress=False, log=None)
    teacher_cfg = tiny_config(learning_rate=0.01, warmup_epochs=0, batch_size=4, text_encoder_dilations=(1, 3),
                              audio_encoder_dilations=(1, 3, 9), decoder_dilations=(1, 3), feed_repeat=1)
    teacher = train_teacher(str(root / "cache"), str(root / "teacher"), config=teacher_cfg,
                            steps_per_epoch=TEACHER_STEPS, epochs=TEACHER_EPOCHS, seed=0, progress=False,
                            plot_items=0, validation=False, log=None)
    extract_durations_to_file(os.path.join(root, "teacher", "checkpoint"), str(root / "cache"),
                              str(root / "durations.npz"), plots=0, method="viterbi", progress=False, log=None)
    student = train_student(str(root / "cache"), str(root / "durations.npz"), str(root / "student"),
                            config=STUDENT, steps_per_epoch=STUDENT_STEPS, epochs=STUDENT_EPOCHS, seed=0,
                            progress=False, log=None)
    return {"cache": load_cache(root / "cache"), "durations": load_durations(root / "durations.npz"),
            "teacher": teacher, "student": student}


def test_teacher_loss_falls_on_the_demo_corpus(pipeline):
    h = pipeline["teacher"]["history"]
    assert len(h) == TEACHER_EPOCHS
    first, last = h[0], h[-1]  # epoch means over 20 steps each
    assert last["loss"] < 0.75 * first["loss"], [round(r["loss"], 4) for r in h]
    assert last["l1"] < first["l1"] and last["guided_attention"] < first["guided_attention"]


def test_durations_fit_every_item(pipeline):
    cache, durations = pipeline["cache"], pipeline["durations"]
    assert set(durations) == set(cache.ids) and len(cache.ids) == SENTENCES
    for item in cache.items:
        d = durations[item["id"]]
        assert len(d) == len(item["phonemes"]) and d.min() >= 1 and d.sum() == item["frames"]


def test_student_losses_fall_on_the_demo_corpus(pipeline):
    h = pipeline["student"]["history"]
    assert len(h) == STUDENT_EPOCHS
    first, last = h[0], h[-1]
    assert last["loss"] < 0.75 * first["loss"], [round(r["loss"], 4) for r in h]
    assert last["mel_l1"] < first["mel_l1"] and last["duration_huber"] < first["duration_huber"]
    assert all(np.isfinite(r["val_loss"]) for r in h)
