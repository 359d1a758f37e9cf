"""Word timestamps of the bundled voice against Festival's own word boundaries (BENCHMARKS.md, "Word boundaries").

    python benchmarks/word_boundaries.py [--sentences 30] [--corpus DIR] [--work WORK] [--model-dir DIR]

The bundled voice (voices/slt) is a student trained on Festival SLT sentences whose durations come from
Festival's own phone timings (durations.durations_from_timings). This script speaks held-out sentences with it
through the TensorFlow-free runtime (one thread, speed 1.0, no inserted silences) and compares the runtime's
word timestamps with where Festival put the same words:

- Corpus: --corpus DIR (a demo corpus made with `--voice festival`: metadata.csv + phone_timings/), or by
  default the first --sentences sentences of the held-out generator seed (voice.HELD_OUT_SEED, 1000) that are
  not among the training corpus's sentences (--train-sentences of seed --train-seed: 3000 of seed 0 as in the
  voice's model card), spoken by Festival into WORK/corpus (kept; a rerun reuses it).
- Festival's word of ours: our phonemes are paired with Festival's phones by the alignment that made the
  training durations (durations.word_times_from_timings); a word starts where the phone paired with its first
  phoneme starts and ends where the phone paired with its last phoneme ends (seconds, unrounded).
- One time axis: both count from the first sample of the audio; neither side is shifted. At the default settings
  the runtime inserts no silence, and the student was trained with the leading silence inside the first symbol
  and every pause inside the space/punctuation after a word (durations_from_timings), so word ends and the
  starts of later words are comparable as they are. The first word's start is not: the student's first phoneme
  begins at 0 s by construction while Festival's first word begins after its leading silence; it is left out.
- Reported: |ours - Festival| over word ends (the headline) and over all boundaries (ends + starts but the
  first), as mean, median, 95th percentile, fraction within 50 ms and the signed mean (+ = ours later); the
  same for the training targets themselves (Festival's timings rounded to mel frames: the floor a perfect
  student would reach). WORK/word_boundaries.csv lists every word; WORK/word_boundaries.png the histogram.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from report import Machine, command_line, write_section  # noqa: E402

SCRIPT = "benchmarks/word_boundaries.py"
DEFAULT_WORK = os.path.join(tempfile.gettempdir(), "speedyspeech-word-boundaries")
TOLERANCE_MS = 50.0


class BenchError(Exception):
    """Bad input: printed as one line, exit 2."""


def make_corpus(out_dir: str, sentences: int, seed: int, train_sentences: int, train_seed: int,
                workers: int) -> tuple[str, list[tuple[str, str]], int]:
    """Festival corpus of `seed` in out_dir/all; returns (corpus dir, [(id, text)] of the first `sentences` not in
    the training sentences, how many were left out as training sentences)."""
    from speedyspeech_tf.demo_corpus import festival_problem, make_demo_corpus
    from speedyspeech_tf.sentences import generate_sentences

    problem = festival_problem()
    if problem:
        raise BenchError(f"Festival is needed to make the corpus: {problem}")
    train = {t.strip() for t in generate_sentences(train_sentences, train_seed)} if train_sentences else set()
    total = sentences
    while True:
        texts = generate_sentences(total, seed)
        if sum(t.strip() not in train for t in texts) >= sentences:
            break
        total += 10
    corpus = os.path.join(out_dir, "all")
    make_demo_corpus(corpus, total, voice="festival", seed=seed, workers=workers, progress=True)
    keep, left_out = [], 0
    for r in read_corpus(corpus):
        if len(keep) == sentences:
            break
        if r[1].strip() in train:
            left_out += 1
        else:
            keep.append(r)
    return corpus, keep, left_out


def read_corpus(corpus: str) -> list[tuple[str, str]]:
    path = os.path.join(corpus, "metadata.csv")
    if not os.path.isfile(path):
        raise BenchError(f"{corpus}: no metadata.csv (not a corpus in the LJ Speech layout)")
    if not os.path.isdir(os.path.join(corpus, "phone_timings")):
        raise BenchError(f"{corpus}: no phone_timings/ (make it with make-demo-corpus --voice festival)")
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("|")
            if len(parts) >= 2 and parts[0]:
                rows.append((parts[0], parts[-1] if len(parts) >= 3 and parts[-1] else parts[1]))
    return rows


def festival_labels(corpus: str, utt_id: str) -> dict[float, str]:
    """End time -> Festival's own word label of each non-silent phone (a cross-check of the word mapping)."""
    data = json.load(open(os.path.join(corpus, "phone_timings", f"{utt_id}.json"), encoding="utf-8"))
    return {round(float(p["end"]), 6): (p.get("word") or "") for p in data["phones"] if p.get("word")}


def _norm(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


def measure_sentence(synth, corpus: str, utt_id: str, text: str) -> list[dict]:
    """One row per word of ours: our and Festival's start/end (s), the training targets' (s), labels."""
    from speedyspeech_tf.audio import num_frames
    from speedyspeech_tf.config import AudioConfig
    from speedyspeech_tf.demo_corpus import load_phone_timings
    from speedyspeech_tf.durations import word_times_from_timings

    phones = load_phone_timings(corpus, utt_id)
    header = json.load(open(os.path.join(corpus, "phone_timings", f"{utt_id}.json"), encoding="utf-8"))
    sr, hop = synth.sample_rate, synth.hop_length
    if int(header.get("sample_rate", sr)) != sr:
        raise BenchError(f"{corpus}: {header.get('sample_rate')} Hz timings, the voice is {sr} Hz")
    fps = sr / hop
    frames = num_frames(int(header["num_samples"]), AudioConfig(sample_rate=sr, hop_length=hop))

    synth.synthesize(text, speed=1.0)
    timeline = synth.last_timeline
    if not timeline.exact:
        raise BenchError(f"{synth.model_dir}: the student has no durations output (no timestamps)")
    stamps = synth.timestamps()["words"]  # the public API; non-punctuation words in order
    spoken = [k for k, w in enumerate(timeline.words) if not w.punctuation]
    assert [timeline.words[k].text for k in spoken] == [w["text"] for w in stamps]
    ours = dict(zip(spoken, stamps))
    # our symbol sequence as the runtime spoke it (pauses have no symbol; none at the default settings)
    segs = [s for s in timeline.segments if s.kind != "pause"]
    symbols = [s.symbol for s in segs]
    owners = [s.word if s.kind == "phoneme" else -1 for s in segs]
    labels = festival_labels(corpus, utt_id)
    rows = []
    for n, (w, start, end, t_start, t_end) in enumerate(word_times_from_timings(symbols, owners, phones, frames,
                                                                                  fps)):
        o = ours[w]
        rows.append({"id": utt_id, "word": o["text"], "position": n, "ours_start": o["start"], "ours_end": o["end"],
                     "festival_start": start, "festival_end": end, "target_start": t_start / fps,
                     "target_end": t_end / fps,
                     "label_agrees": _norm(labels.get(round(end, 6), "")) == _norm(o["text"])})
    return rows


def boundary_errors_ms(rows: list[dict], who: str) -> dict[str, np.ndarray]:
    """Signed errors (ms) of `who` ("ours" or "target") against Festival: word ends; all boundaries (ends +
    starts of every word but a sentence's first); word durations (end - start, every word but the first: local,
    free of the drift that absolute times accumulate along a sentence)."""
    ends = np.array([r[f"{who}_end"] - r["festival_end"] for r in rows]) * 1000.0
    later = [r for r in rows if r["position"] > 0]
    starts = np.array([r[f"{who}_start"] - r["festival_start"] for r in later]) * 1000.0
    lengths = np.array([(r[f"{who}_end"] - r[f"{who}_start"]) - (r["festival_end"] - r["festival_start"])
                        for r in later]) * 1000.0
    return {"word ends": ends, "all boundaries": np.concatenate([ends, starts]), "word durations": lengths}


def stats(e: np.ndarray) -> dict:
    a = np.abs(e)
    return {"n": int(a.size), "mean": float(a.mean()), "median": float(np.median(a)),
            "p95": float(np.percentile(a, 95)), "within": float(np.mean(a <= TOLERANCE_MS)),
            "bias": float(e.mean())}


def pause_junctions(rows: list[dict], gap: float = TOLERANCE_MS / 1000.0) -> dict:
    """Junctions between consecutive words with a pause (> gap s) in Festival's audio / in ours, and the
    sentences where Festival pauses at a junction where ours does not."""
    out = {"junctions": 0, "festival": 0, "ours": 0, "festival_only": 0, "missed_ids": set()}
    for a, b in zip(rows, rows[1:]):
        if a["id"] != b["id"]:
            continue
        f = b["festival_start"] - a["festival_end"] > gap
        o = b["ours_start"] - a["ours_end"] > gap
        out["junctions"] += 1
        out["festival"] += f
        out["ours"] += o
        if f and not o:
            out["festival_only"] += 1
            out["missed_ids"].add(a["id"])
    return out


def render(results: dict, rows: list[dict], n_sentences: int, source: str, left_out: int | None,
           model_dir: str, plot: str | None) -> str:
    per_sentence = {}
    for r in rows:
        per_sentence.setdefault(r["id"], []).append(abs(r["ours_end"] - r["festival_end"]) * 1000.0)
    sent_means = np.array([np.mean(v) for v in per_sentence.values()])
    worst = max(per_sentence, key=lambda k: np.mean(per_sentence[k]))
    head = results[("ours", "word ends")]
    lines = [
        f"Word ends of the bundled voice (`{model_dir}`, TensorFlow-free runtime, 1 thread, speed 1.0, no inserted "
        f"silence) against Festival's own word boundaries on {n_sentences} held-out Festival SLT sentences "
        f"({len(rows)} words): **mean |difference| {head['mean']:.1f} ms, median {head['median']:.1f} ms, 95th "
        f"percentile {head['p95']:.1f} ms; {100 * head['within']:.1f} % within {TOLERANCE_MS:.0f} ms.**",
        "",
        f"Sentences: {source}" + (f" ({left_out} generated sentence(s) left out as training sentences)"
                                  if left_out else "") + ".",
        "Festival's word boundaries: our phonemes are paired with Festival's phones by the alignment that made "
        "the training durations (`durations.word_times_from_timings`); a word ends where the phone paired with its "
        "last phoneme ends. Both sides count from the first audio sample: the student learnt the leading silence "
        "inside its first phoneme and pauses inside the space/punctuation after a word, so the first word's start "
        "(0 s by construction) is the only boundary left out of \"all boundaries\".",
        "`word durations` (end - start, first words left out) are free of the drift that absolute times "
        "accumulate along a sentence (e.g. where Festival pauses or lengthens a word without punctuation).",
        "`training targets` = Festival's timings rounded to mel frames as the student was trained on them: the floor "
        "a perfect student would reach. Signed mean: + = later than Festival.",
        "",
        f"| system | compared | n | mean ms | median ms | 95th pct ms | within {TOLERANCE_MS:.0f} ms | signed mean ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (who, kind), s in results.items():
        name = "ours (runtime)" if who == "ours" else "training targets"
        lines.append(f"| {name} | {kind} | {s['n']} | {s['mean']:.1f} | {s['median']:.1f} | {s['p95']:.1f} | "
                     f"{100 * s['within']:.1f} % | {s['bias']:+.1f} |")
    agree = np.mean([r["label_agrees"] for r in rows])
    pauses = pause_junctions(rows)
    rest = [r for r in rows if r["id"] not in pauses["missed_ids"]]
    rest_line = ""
    if rest:
        s = stats(boundary_errors_ms(rest, "ours")["word ends"])
        rest_line = (f" In the {len({r['id'] for r in rest})} sentences without such a junction, word ends differ by "
                     f"{s['mean']:.1f} ms on average (median {s['median']:.1f}, 95th percentile {s['p95']:.1f}; "
                     f"{100 * s['within']:.1f} % within {TOLERANCE_MS:.0f} ms).")
    lines += [
        "",
        f"Per sentence, the mean |word-end difference| ranges {sent_means.min():.1f}-{sent_means.max():.1f} ms "
        f"(median {np.median(sent_means):.1f}; worst `{worst}`). Check of the word mapping: for "
        f"{100 * agree:.1f} % of our words, the Festival phone taken as the word's end carries Festival's own label "
        "of that word.",
        "",
        f"Pauses: of {pauses['junctions']} junctions between words, Festival leaves more than {TOLERANCE_MS:.0f} ms "
        f"of silence at {pauses['festival']}, ours at {pauses['ours']}; at {pauses['festival_only']} (in "
        f"{len(pauses['missed_ids'])} sentences) Festival pauses and ours does not, and every later boundary of "
        "that sentence then tends to come early by about the pause (and the phrase-final lengthening before it)."
        + rest_line,
    ]
    if plot:
        lines.append(f"Histogram of the signed word-end differences: `{plot}` (not in the repository).")
    return "\n".join(lines)


def save_plot(path: str, ours: np.ndarray, target: np.ndarray) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    lim = max(100.0, float(np.percentile(np.abs(ours), 99)) if ours.size else 100.0)
    bins = np.linspace(-lim, lim, 41)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(np.clip(ours, -lim, lim), bins=bins, alpha=0.7, label="ours (runtime)")
    ax.hist(np.clip(target, -lim, lim), bins=bins, alpha=0.5, label="training targets")
    for x in (-TOLERANCE_MS, TOLERANCE_MS):
        ax.axvline(x, color="k", lw=0.8, ls="--")
    ax.set_xlabel("word end - Festival's word end (ms)")
    ax.set_ylabel("words")
    ax.legend()
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def main(argv=None) -> int:
    from speedyspeech_tf.voice import HELD_OUT_SEED

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default=None, help="a Festival demo corpus with phone_timings/ (default: make one)")
    p.add_argument("--sentences", type=int, default=30, help="sentences to use (default 30)")
    p.add_argument("--seed", type=int, default=HELD_OUT_SEED, help=f"generator seed of the corpus made (default "
                   f"{HELD_OUT_SEED}, the voice's held-out seed)")
    p.add_argument("--train-sentences", type=int, default=3000,
                   help="leave out the first N sentences of --train-seed (the voice's training corpus; 0: none)")
    p.add_argument("--train-seed", type=int, default=0)
    p.add_argument("--work", default=DEFAULT_WORK, help=f"corpus, CSV and plot (default {DEFAULT_WORK})")
    p.add_argument("--model-dir", default=None, help="exported model directory (default: the bundled voice)")
    p.add_argument("--workers", type=int, default=1, help="Festival processes when making the corpus")
    p.add_argument("--no-benchmarks-md", action="store_true", help="print the section instead of writing it")
    args = p.parse_args(argv)
    try:
        if args.sentences < 1:
            raise BenchError(f"--sentences must be at least 1, got {args.sentences}")
        machine = Machine.start(threads=1)
        os.makedirs(args.work, exist_ok=True)
        left_out = None
        if args.corpus:
            corpus = args.corpus
            items = read_corpus(corpus)[:args.sentences]
            source = f"the first {len(items)} of `{os.path.basename(os.path.normpath(corpus))}`"
        else:
            corpus, items, left_out = make_corpus(os.path.join(args.work, "corpus"), args.sentences, args.seed,
                                                  args.train_sentences, args.train_seed, args.workers)
            source = (f"the first {len(items)} generated sentences of seed {args.seed} not among the "
                      f"{args.train_sentences} training sentences of seed {args.train_seed}, spoken by Festival "
                      "(`cmu_us_slt_arctic_hts`)")
        if not items:
            raise BenchError(f"{corpus}: no sentences")

        from tqdm import tqdm

        from speedyspeech_tf.runtime import Synthesizer

        synth = Synthesizer(args.model_dir, threads=1)
        rows = []
        for utt_id, text in tqdm(items, desc="word boundaries", unit="sentence"):
            try:
                rows.extend(measure_sentence(synth, corpus, utt_id, text))
            except FileNotFoundError as e:
                raise BenchError(str(e)) from None
    except BenchError as e:
        print(f"word_boundaries: {e}", file=sys.stderr)
        return 2

    results = {}
    for who in ("ours", "target"):
        for kind, e in boundary_errors_ms(rows, who).items():
            results[(who, kind)] = stats(e)
    csv_path = os.path.join(args.work, "word_boundaries.csv")
    with open(csv_path + ".tmp", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    os.replace(csv_path + ".tmp", csv_path)
    ends = boundary_errors_ms(rows, "ours")["word ends"]
    plot = save_plot(os.path.join(args.work, "word_boundaries.png"), ends,
                     boundary_errors_ms(rows, "target")["word ends"])
    model_dir = os.path.relpath(synth.model_dir, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    body = render(results, rows, len(items), source, left_out, model_dir, plot)
    weights = "trained (voices/slt)" if args.model_dir is None else f"trained ({args.model_dir})"
    if args.no_benchmarks_md:
        print(body)
    else:
        write_section(SCRIPT, command_line(), "Word boundaries against Festival", body, machine=machine,
                      weights=weights)
        print(body)
    print(f"per word: {csv_path}" + (f"; histogram: {plot}" if plot else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
