"""Quality: the standard offline comparison (speedyspeech_tf.evaluation), written to BENCHMARKS.md "Quality".

    python benchmarks/quality.py [--work DIR] [--voice DIR ...] [--sentences 100] [--workers 2]

Rows:
  - the 32 real LJ Speech clips of ../shared/data/ljspeech_mini (recordings: the recogniser's and DNSMOS's
    reading of real speech);
  - Festival's SLT voice on 100 held-out sentences of the demo corpus generator (seed voice.HELD_OUT_SEED,
    minus any sentence of the default training corpus, seed 0): the recordings our voices are trained on;
  - espeak-ng on the same 100 sentences (the floor), compared with Festival's recordings;
  - each --voice DIR (an exported model directory) synthesised through the TensorFlow-free runtime on the same
    sentences and compared with Festival's recordings.
Full reports (report.md, sentences.csv, PNGs) go to WORK/reports/.
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from report import Machine, write_section  # noqa: E402

TRAIN_CORPUS_SENTENCES = 3000  # train-voice's default corpus: generate_sentences(3000, seed 0)


def held_out_texts(n: int, seed: int) -> tuple[int, list[int]]:
    """(how many sentences of `seed` to generate, the 0-based indices of the first n not in the training
    corpus)."""
    from speedyspeech_tf.sentences import generate_sentences

    train = set(generate_sentences(TRAIN_CORPUS_SENTENCES, 0))
    total = n
    while True:
        texts = generate_sentences(total, seed)
        keep = [i for i, t in enumerate(texts) if t not in train]
        if len(keep) >= n:
            return total, keep[:n]
        total += n - len(keep) + 5


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", default="/tmp/speedyspeech-quality", help="corpora and reports (reused when rerun)")
    p.add_argument("--voice", action="append", default=[], metavar="[NAME=]DIR",
                   help="an exported model directory to add (repeatable)")
    p.add_argument("--sentences", type=int, default=100)
    p.add_argument("--workers", type=int, choices=(1, 2), default=1)
    p.add_argument("--threads", type=int, default=1, help="runtime interpreter threads for --voice")
    p.add_argument("--no-write", action="store_true", help="print the section instead of writing BENCHMARKS.md")
    args = p.parse_args(argv)

    from speedyspeech_tf.demo_corpus import make_demo_corpus, utterance_id
    from speedyspeech_tf.evaluation import report as R
    from speedyspeech_tf.evaluation import scoring as S
    from speedyspeech_tf.evaluation.cli import _named
    from speedyspeech_tf.voice import HELD_OUT_SEED

    machine = Machine.start(threads=args.threads)
    os.makedirs(args.work, exist_ok=True)
    shared = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(HERE), "..", "shared"))
    lj = os.path.normpath(os.path.join(shared, "data", "ljspeech_mini"))
    opts = S.Options()

    # 1. LJ Speech recordings.
    lj_sentences = S.read_texts(os.path.join(lj, "metadata.csv"))
    lj_rows = S.evaluate_audio(lj_sentences, S.find_wavs(lj, [s.id for s in lj_sentences]), None, "recording",
                               args.workers, True, opts)
    R.write_report(os.path.join(args.work, "reports", "ljspeech_mini"), lj_rows,
                   {"texts": os.path.join(lj, "metadata.csv"), "sentences": len(lj_sentences)})

    # 2. Festival and espeak-ng on the held-out sentences.
    total, keep = held_out_texts(args.sentences, HELD_OUT_SEED)
    corpora = {}
    for voice in ("festival", "espeak"):
        corpora[voice] = os.path.join(args.work, f"{voice}_seed{HELD_OUT_SEED}_{total}")
        make_demo_corpus(corpora[voice], total, voice=voice, seed=HELD_OUT_SEED, workers=2, progress=True)
    ids = {utterance_id(i + 1) for i in keep}
    sentences = [s for s in S.read_texts(os.path.join(corpora["festival"], "metadata.csv")) if s.id in ids]
    refs = S.find_wavs(corpora["festival"], [s.id for s in sentences], "recording")
    ref_feats = S.reference_features(sentences, refs, f0=opts.f0, progress=True)
    rows = S.evaluate_audio(sentences, refs, None, "festival", args.workers, True, opts)
    rows += S.evaluate_audio(sentences, S.find_wavs(corpora["espeak"], [s.id for s in sentences]), None, "espeak-ng",
                             args.workers, True, opts, ref_feats)
    names = []
    for value in args.voice:
        name, path = _named(value)
        name = name or os.path.basename(os.path.normpath(path))
        names.append((name, path))
        rows += S.evaluate_model_dir(sentences, path, None, name, args.threads, args.workers, True, opts,
                                     reference_feats=ref_feats)
    audio = {"festival": refs, "espeak-ng": S.find_wavs(corpora["espeak"], [s.id for s in sentences])}
    R.write_report(os.path.join(args.work, "reports", "festival_held_out"), rows,
                   {"texts": os.path.join(corpora["festival"], "metadata.csv"), "sentences": len(sentences),
                    "references": corpora["festival"], "reference_system": "festival"},
                   audio_of=lambda s: (lambda i: S._audio(audio[s][i])) if s in audio else None,
                   reference_of=lambda i: S._audio(refs[i]))

    # 3. One table.
    summary = {}
    lj_sum = R.summarize(lj_rows)
    summary[f"LJ Speech recordings ({len(lj_sentences)} clips)"] = lj_sum["recording"]
    fs = R.summarize(rows)
    summary[f"Festival SLT ({len(sentences)} held-out sentences)"] = fs["festival"]
    summary["espeak-ng (same sentences; vs Festival)"] = fs["espeak-ng"]
    for name, _ in names:
        summary[f"{name} (ours, runtime; vs Festival)"] = fs[name]
    body = "\n".join([
        f"Held-out text: the first {len(sentences)} sentences of the generator's seed {HELD_OUT_SEED} that are "
        f"not among the {TRAIN_CORPUS_SENTENCES} of the default training corpus (seed 0). Festival is the "
        "recording the other rows on those sentences are compared with (MCD, log-mel L1, duration ratio, F0, "
        "V/UV); the LJ row is the 32 real clips of ljspeech_mini, scored alone. Mean over sentences "
        "[95 % bootstrap interval]; WER % pooled = all errors / all words.",
        "",
        R.markdown_table(summary),
        "",
        R.DNSMOS_NOTE,
        "",
        f"Full reports (per-sentence CSV, distributions, worst sentences): `{args.work}/reports/`.",
    ])
    command = "python benchmarks/quality.py" + "".join(f" --voice {v}" for v in args.voice) + \
        (f" --workers {args.workers}" if args.workers != 1 else "")
    weights = ("trained (" + ", ".join(p for _, p in names) + ")") if names else \
        "none (recordings, Festival and espeak-ng only; no project voice given)"
    if args.no_write:
        print(body)
    else:
        write_section("benchmarks/quality.py", command, "Quality (offline: pocketsphinx WER, DNSMOS, MCD, F0)",
                      body, machine=machine, weights=weights)
        print(R.markdown_table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
