"""Accuracy and speed of the pieces under everything else (BENCHMARKS.md, "Features, front end, parity, corpus").

    python benchmarks/basics.py                 # writes its section of BENCHMARKS.md (benchmarks/report.py)
    python benchmarks/basics.py --no-append     # prints it only

1. Log-mel features of ../shared/data/ljspeech_mini/wavs/LJ001-0001.wav against the reference implementation's
   own features of that file (../shared/reference/mel_LJ001-0001.npy): max abs error in log space, frame counts.
2. Reference parity: `speedyspeech-tf verify-reference` (reference.verify.verify) on the student, teacher and
   MelGAN checkpoints of ../shared/reference: the largest max abs error over each npz's outputs.
3. Text front end over all 13,100 LJ Speech transcripts (../shared/data/ljspeech_transcripts.txt): symbols that
   became <unk>, time per sentence after the first call, one thread, no network.
4. Demo corpus: seconds to synthesise --sentences project-written sentences with each available voice
   (make_demo_corpus, 2 worker processes), and the real-time factor of that synthesis.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))


def features() -> str:
    import numpy as np

    from speedyspeech_tf.audio import load_wav, log_mel

    ref = np.load(os.path.join(SHARED, "reference", "mel_LJ001-0001.npy"))
    samples, _ = load_wav(os.path.join(SHARED, "data", "ljspeech_mini", "wavs", "LJ001-0001.wav"))
    mel = log_mel(samples)
    err = float(np.abs(mel - ref).max()) if mel.shape == ref.shape else float("nan")
    return (f"| log-mel of LJ001-0001.wav vs the reference's features | {mel.shape[0]} / {ref.shape[0]} frames | "
            f"max abs error {err:.2e} (log space) |")


def parity() -> list[str]:
    from speedyspeech_tf.reference.verify import verify

    rows = []
    for name in ("student_seed0", "teacher_seed0", "melgan_seed0"):
        base = os.path.join(SHARED, "reference", name)
        results = verify(base + ".pth", base + ".npz")
        worst = max(results, key=lambda r: r[2])
        rows.append(f"| verify-reference {name} | {len(results)} outputs, all within 1e-4: "
                    f"{all(r[3] for r in results)} | largest max abs error {worst[2]:.1e} ({worst[0]}) |")
    return rows


def front_end() -> str:
    from speedyspeech_tf.config import UNK_ID
    from speedyspeech_tf.text import text_to_ids

    lines = open(os.path.join(SHARED, "data", "ljspeech_transcripts.txt"), encoding="utf-8").read().splitlines()
    texts = [line.split("|")[-1] for line in lines if line.strip()]
    t0 = time.perf_counter()
    text_to_ids(texts[0])
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    unk = sum(ids.count(UNK_ID) for ids in map(text_to_ids, texts[1:]))
    per = (time.perf_counter() - t0) / max(1, len(texts) - 1)
    return (f"| text front end, {len(texts)} LJ Speech transcripts | {unk} <unk> symbols | first call {first:.2f} s, "
            f"then {per * 1000:.2f} ms per sentence |")


def corpus(sentences: int) -> list[str]:
    import shutil

    import soundfile

    from speedyspeech_tf.demo_corpus import make_demo_corpus

    rows = []
    voices = [v for v, exe in (("festival", "festival"), ("espeak", "espeak-ng")) if shutil.which(exe)]
    for voice in voices:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            make_demo_corpus(os.path.join(tmp, "c"), sentences, voice=voice, seed=1, workers=2, progress=False)
            seconds = time.perf_counter() - t0
            wavs = os.path.join(tmp, "c", "wavs")
            audio = sum(soundfile.info(os.path.join(wavs, f)).duration for f in os.listdir(wavs))
        rtf = f", {audio:.0f} s of audio: {audio / seconds:.0f}x real time"
        rows.append(f"| demo corpus, {voice} | {sentences} sentences | {seconds:.1f} s with 2 workers{rtf} |")
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sentences", type=int, default=100, help="demo corpus sentences per voice (default 100)")
    p.add_argument("--no-append", action="store_true", help="print only; do not write BENCHMARKS.md")
    args = p.parse_args(argv)
    if not os.path.isdir(SHARED):
        raise SystemExit(f"{SHARED}: not found (the shared reference data)")
    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from report import Machine, write_section

    machine = Machine.start(threads="1 (front end), 2 worker processes (corpus)")
    rows = [features(), *parity(), front_end(), *corpus(args.sentences)]
    cmd = "python benchmarks/basics.py" + (" " + " ".join(a for a in (argv if argv is not None else sys.argv[1:])
                                                          if a != "--no-append")).rstrip()
    text = "| what | size | result |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    print(text)
    if not args.no_append:
        write_section("benchmarks/basics.py", cmd, "Features, front end, parity, corpus", text, machine=machine,
                      weights="random (the authors' reference checkpoints, for parity)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
