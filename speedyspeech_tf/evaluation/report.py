"""Aggregate per-sentence rows (evaluation.scoring) into a report: report.json, report.md (one table, system x
metric, mean and 95 % interval over sentences), sentences.csv and PNGs (metric distributions per system; the
worst sentences' mels beside the recording's).

    from speedyspeech_tf.evaluation.report import summarize, markdown_table, write_report
    summary = summarize(rows)              # {system: {metric: {"mean", "lo", "hi", "n"}, "wer_pooled": ...}}
    print(markdown_table(summary))
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Any, Iterable

import numpy as np

# (key, column label, better) in table order. The interval is a bootstrap interval of the mean over sentences.
METRICS = [
    ("wer", "WER %", "lower"),
    ("cer", "CER %", "lower"),
    ("dnsmos", "DNSMOS", "higher"),
    ("mcd", "MCD dB", "lower"),
    ("mel_l1", "log-mel L1", "lower"),
    ("duration_ratio", "duration ratio", "1"),
    ("f0_rmse_hz", "F0 RMSE Hz", "lower"),
    ("vuv_error", "V/UV error %", "lower"),
    ("rtf", "RTF", "lower"),
    ("first_audio_seconds", "first audio ms", "lower"),
]
PERCENT = {"wer", "cer", "vuv_error"}
SCALE = {"wer": 100.0, "cer": 100.0, "vuv_error": 100.0, "first_audio_seconds": 1000.0}
CSV_COLUMNS = ["system", "id", "text", "hypothesis", "words", "word_errors", "wer", "chars", "char_errors", "cer",
               "dnsmos", "dnsmos_sig", "dnsmos_bak", "audio_seconds", "mcd", "mel_l1", "duration_ratio",
               "f0_rmse_hz", "f0_rmse_cents", "vuv_error", "rtf", "first_audio_seconds"]


def _finite(values: Iterable) -> np.ndarray:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return np.asarray(out, np.float64)


def mean_ci(values: Iterable, level: float = 0.95, resamples: int = 5000) -> dict[str, float]:
    """Mean over the finite values and its `level` bootstrap percentile interval (`resamples` resamples of the
    sentences, fixed seed, so reports are reproducible; the interval stays inside the metric's range):
    {"mean", "lo", "hi", "n"} (lo/hi nan for fewer than two values; everything nan for none)."""
    v = _finite(values)
    n = int(v.size)
    if n == 0:
        return {"mean": math.nan, "lo": math.nan, "hi": math.nan, "n": 0}
    mean = float(v.mean())
    if n < 2:
        return {"mean": mean, "lo": math.nan, "hi": math.nan, "n": n}
    rng = np.random.default_rng(0)
    means = v[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return {"mean": mean, "lo": float(lo), "hi": float(hi), "n": n}


def systems_of(rows: list[dict]) -> list[str]:
    """System names in order of first appearance."""
    return list(dict.fromkeys(r["system"] for r in rows))


def summarize(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """{system: {metric: mean_ci(...)} for every metric with a value, plus "sentences", "wer_pooled" and
    "cer_pooled" (all errors over all reference words/characters)}."""
    out = {}
    for system in systems_of(rows):
        rs = [r for r in rows if r["system"] == system]
        s: dict[str, Any] = {"sentences": len(rs)}
        for key, _, _ in METRICS + [("dnsmos_sig", "", ""), ("dnsmos_bak", "", ""), ("f0_rmse_cents", "", ""),
                                    ("audio_seconds", "", "")]:
            ci = mean_ci(r.get(key) for r in rs)
            if ci["n"]:
                s[key] = ci
        for unit, errors in (("words", "word_errors"), ("chars", "char_errors")):
            total = sum(int(r.get(unit) or 0) for r in rs)
            if total and all(errors in r for r in rs):
                s[f"{'wer' if unit == 'words' else 'cer'}_pooled"] = sum(int(r[errors]) for r in rs) / total
        out[system] = s
    return out


def _fmt(key: str, x: float) -> str:
    x = x * SCALE.get(key, 1.0)
    if key in ("rtf",):
        return f"{x:.3f}"
    if key in ("first_audio_seconds",):
        return f"{x:.0f}"
    if key in ("duration_ratio", "mel_l1"):
        return f"{x:.3f}"
    return f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}"


def cell(key: str, ci: dict | None) -> str:
    if not ci or not ci.get("n"):
        return "–"
    if not math.isfinite(ci["lo"]):
        return _fmt(key, ci["mean"])
    return f"{_fmt(key, ci['mean'])} [{_fmt(key, ci['lo'])}, {_fmt(key, ci['hi'])}]"


def markdown_table(summary: dict[str, dict[str, Any]], labels: dict[str, str] | None = None) -> str:
    """One table, a row per system, a column per metric that any system has: mean [95 % interval]; WER and
    CER pooled over all words in their own column."""
    keys = [(k, lab) for k, lab, _ in METRICS if any(k in s for s in summary.values())]
    pooled = any("wer_pooled" in s for s in summary.values())
    head = ["system", "n"] + [lab for _, lab in keys] + (["WER % pooled"] if pooled else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for system, s in summary.items():
        row = [(labels or {}).get(system, system), str(s["sentences"])] + [cell(k, s.get(k)) for k, _ in keys]
        if pooled:
            row.append(f"{100 * s['wer_pooled']:.1f}" if "wer_pooled" in s else "–")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def rows_csv(rows: list[dict]) -> str:
    extra = sorted({k for r in rows for k in r} - set(CSV_COLUMNS))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS + extra, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (_round(v) if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def _round(v: float):
    return "" if not math.isfinite(v) else round(v, 6)


def _json_safe(x):
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return None if not math.isfinite(float(x)) else round(float(x), 6)
    if isinstance(x, np.integer):
        return int(x)
    return x


# ------------------------------------------------------------------------------------------------ plots

def plot_distributions(rows: list[dict], path: str) -> None:
    """One panel per metric: each system's per-sentence values (box + points)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = systems_of(rows)
    keys = [(k, lab, b) for k, lab, b in METRICS
            if any(_finite([r.get(k)]).size for r in rows)]
    if not keys:
        return
    cols = min(3, len(keys))
    nrows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 0.35 * len(systems) + 2.6 * nrows), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, (k, lab, better) in zip(axes.flat, keys):
        data = [_finite(r.get(k) for r in rows if r["system"] == s) * SCALE.get(k, 1.0) for s in systems]
        pos = [i for i, d in enumerate(data) if d.size]
        ax.boxplot([data[i] for i in pos], positions=pos, vert=False, widths=0.6, showfliers=False)
        for i in pos:
            ax.scatter(data[i], i + rng.uniform(-0.18, 0.18, data[i].size), s=6, alpha=0.5, color=f"C{i % 10}")
        ax.set_yticks(range(len(systems)))
        ax.set_ylim(len(systems) - 0.5, -0.5)  # first system on top
        ax.set_yticklabels(systems, fontsize=8)
        ax.set_title(f"{lab} ({'closer to 1' if better == '1' else better} is better)", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def worst_sentences(rows: list[dict], system: str, n: int = 4) -> list[dict]:
    """The system's n worst sentences: highest WER, then highest MCD, then lowest DNSMOS."""
    def key(r):
        def f(k, default):
            v = r.get(k)
            return float(v) if v is not None and math.isfinite(float(v)) else default
        return (-f("wer", 0.0), -f("mcd", 0.0), f("dnsmos", 5.0))
    return sorted((r for r in rows if r["system"] == system), key=key)[:n]


def plot_worst(worst: list[dict], audio_of, reference_of, system: str, path: str) -> None:
    """For each of the worst sentences: the recording's log-mel (when there is one) beside the system's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..audio import log_mel
    from . import metrics as M

    if not worst:
        return
    with_ref = reference_of is not None
    cols = 2 if with_ref else 1
    fig, axes = plt.subplots(len(worst), cols, figsize=(6.5 * cols, 2.3 * len(worst)), squeeze=False)
    for i, r in enumerate(worst):
        panels = []
        if with_ref:
            panels.append(("recording", *reference_of(r["id"])))
        panels.append((system, *audio_of(r["id"])))
        for j, (name, a, sr) in enumerate(panels):
            ax = axes[i, j]
            a = M.resample(a, sr, M.METRIC_SR)
            if a.size:
                ax.imshow(log_mel(a).T, origin="lower", aspect="auto", vmin=-11.5, vmax=2.0, cmap="magma")
            scores = []
            if name == system:
                if r.get("wer") is not None:
                    scores.append(f"WER {100 * r['wer']:.0f}%")
                if r.get("mcd") is not None and math.isfinite(r["mcd"]):
                    scores.append(f"MCD {r['mcd']:.1f}")
                if r.get("dnsmos") is not None and math.isfinite(r["dnsmos"]):
                    scores.append(f"MOS {r['dnsmos']:.2f}")
            title = f"{r['id']} {name}" + (f": {', '.join(scores)}" if scores else "")
            ax.set_title(title, fontsize=8)
            if name == system and r.get("hypothesis") is not None:
                ax.set_xlabel(f"heard: {r['hypothesis'][:90]!s}", fontsize=7)
            ax.set_yticks([])
        axes[i, 0].set_ylabel(r["text"][:40] + ("…" if len(r["text"]) > 40 else ""), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------- files

DNSMOS_NOTE = ("DNSMOS is Microsoft's P.835 predictor (overall score, 1..5) trained on listener ratings of "
               "noise-suppressed speech, not of synthetic speech: it compares systems on the same sentences and "
               "is not an absolute MOS. WER/CER come from pocketsphinx's bundled US English models, a weak "
               "recogniser (its WER on real recordings: BENCHMARKS.md, section Quality): compare systems, do not read them as "
               "human intelligibility. MCD uses this project's mel-cepstrum (metrics.py), comparable only "
               "with itself.")


def report_markdown(summary: dict, meta: dict) -> str:
    lines = ["# Evaluation report", ""]
    lines.append(f"Texts: `{meta.get('texts', '')}` ({meta.get('sentences', '?')} sentences)."
                 + (f" Recordings: `{meta['references']}`." if meta.get("references") else ""))
    lines.append("")
    lines.append("Mean over sentences [95 % bootstrap interval of the mean]; WER % pooled = all word errors / all "
                 "words.")
    lines.append("")
    lines.append(markdown_table(summary))
    lines.append("")
    lines.append(DNSMOS_NOTE)
    lines.append("")
    lines.append("Per sentence: `sentences.csv`. Distributions: `distributions.png`. Worst sentences: "
                 "`worst_<system>.png`.")
    return "\n".join(lines) + "\n"


def write_report(out_dir: str, rows: list[dict], meta: dict, audio_of=None, reference_of=None,
                 worst: int = 4) -> dict:
    """Write report.json, report.md, sentences.csv, distributions.png and worst_<system>.png (for each system
    but the recording, when `audio_of(system) -> (id -> (audio, sr))` is given) into `out_dir` (which the
    caller makes atomic). Returns the summary."""
    from ..config import write_atomic

    summary = summarize(rows)
    write_atomic(os.path.join(out_dir, "report.json"),
                 json.dumps(_json_safe({"meta": meta, "summary": summary, "sentences": rows}), indent=1) + "\n")
    write_atomic(os.path.join(out_dir, "report.md"), report_markdown(summary, meta))
    write_atomic(os.path.join(out_dir, "sentences.csv"), rows_csv(rows))
    plot_distributions(rows, os.path.join(out_dir, "distributions.png"))
    if audio_of is not None and worst > 0:
        for system in systems_of(rows):
            if system == meta.get("reference_system"):
                continue
            get = audio_of(system)
            if get is None:
                continue
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in system)
            plot_worst(worst_sentences(rows, system, worst), get, reference_of, system,
                       os.path.join(out_dir, f"worst_{safe}.png"))
    return summary


__all__ = ["METRICS", "mean_ci", "summarize", "markdown_table", "rows_csv", "plot_distributions",
           "worst_sentences", "plot_worst", "report_markdown", "write_report", "DNSMOS_NOTE", "systems_of"]
