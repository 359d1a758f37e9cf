"""`speedyspeech-tf evaluate`: synthesise sentences through the TensorFlow-free runtime and score them offline
(pocketsphinx WER/CER, DNSMOS, and against recordings MCD, log-mel L1, duration ratio, F0), beside any other
systems' WAVs on the same sentences.

    speedyspeech-tf evaluate --model-dir model --texts LJSpeech-1.1/metadata.csv --references LJSpeech-1.1 \
        --audio-dir festival=festival_wavs --out eval_report

OUT gets report.json, report.md, sentences.csv, distributions.png, worst_<system>.png and wavs/<system>/ (the
synthesised audio). Everything is written into a temporary folder beside OUT and moved into place at the end,
so a failed run leaves OUT as it was.
"""
from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from pathlib import Path

REFERENCE_SYSTEM = "recording"


def _named(value: str) -> tuple[str | None, str]:
    """'NAME=PATH' -> (NAME, PATH); 'PATH' -> (None, PATH)."""
    if "=" in value and not os.path.exists(value):
        name, path = value.split("=", 1)
        if name and "/" not in name:
            return name, path
    return None, value


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}-{k}", k + 1
    taken.add(out)
    return out


def _check_eval_packages() -> None:
    from ..cli import CLIError

    missing = []
    for module in ("pocketsphinx", "onnxruntime", "speechmos"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise CLIError(f"missing the evaluation packages {', '.join(missing)} (pip install -e \".[eval]\")")


def _prepare_out(out: Path) -> None:
    from ..cli import CLIError

    if out.exists():
        if not out.is_dir():
            raise CLIError(f"{out} exists and is not a directory")
        if any(out.iterdir()) and not (out / "report.json").is_file():
            raise CLIError(f"{out} is not empty and holds no earlier report.json; choose a new or empty directory")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{out.parent}: the output's parent directory does not exist")


def _commit(tmp: Path, out: Path) -> None:
    """Move the finished report folder into place (replacing an earlier report)."""
    os.chmod(tmp, 0o755)
    for root, dirs, files in os.walk(tmp):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_evaluation(args) -> int:
    from ..cli import CLIError
    from . import report, scoring

    if not (args.model_dir or args.audio_dir or args.references):
        raise CLIError("nothing to evaluate: give --model-dir, --audio-dir and/or --references")
    _check_eval_packages()
    sentences = scoring.read_texts(args.texts)
    if args.max_sentences:
        sentences = sentences[:args.max_sentences]
    ids = [s.id for s in sentences]
    out = Path(args.out)
    _prepare_out(out)

    # Check every input before any work: the recordings, the WAV folders, the model directories.
    taken: set[str] = {REFERENCE_SYSTEM}
    references = scoring.find_wavs(args.references, ids, "recording") if args.references else None
    audio_dirs = []
    for value in args.audio_dir or []:
        name, path = _named(value)
        audio_dirs.append((_unique(name or Path(path).resolve().name, taken), path,
                           scoring.find_wavs(path, ids, "audio")))
    models = []
    if args.model_dir:
        from ..runtime import Synthesizer

        for value in args.model_dir:
            name, path = _named(value)
            synth = Synthesizer(path, threads=args.threads)  # FileNotFoundError / ConfigMismatchError
            models.append((_unique(name or Path(path).resolve().name, taken), path, synth))

    options = scoring.Options(f0=not args.no_f0, threads=1)
    progress = not args.quiet
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-tmp-", dir=out.parent))
    try:
        rows: list[dict] = []
        audio: dict[str, dict] = {}
        ref_feats = None
        if references is not None:
            ref_feats = scoring.reference_features(sentences, references, f0=options.f0, progress=progress)
            rows += scoring.evaluate_audio(sentences, references, None, REFERENCE_SYSTEM, args.workers, progress,
                                           options)
            audio[REFERENCE_SYSTEM] = references
        for name, path, synth in models:
            wav_dir = tmp / "wavs" / name
            wav_dir.mkdir(parents=True)
            produced, timing = scoring.synthesize_all(sentences, synth.synthesize, name, progress, wav_dir,
                                                      stats=lambda s=synth: s.last_stats)
            rows += scoring.evaluate_audio(sentences, produced, None, name, args.workers, progress, options,
                                           ref_feats, extra=timing)
            audio[name] = produced
        for name, path, wavs in audio_dirs:
            rows += scoring.evaluate_audio(sentences, wavs, None, name, args.workers, progress, options, ref_feats)
            audio[name] = wavs

        def audio_of(system):
            table = audio.get(system)
            return None if table is None else (lambda i: scoring._audio(table[i]))

        meta = {
            "texts": os.fspath(args.texts), "sentences": len(sentences),
            "references": os.fspath(args.references) if args.references else None,
            "reference_system": REFERENCE_SYSTEM if references is not None else None,
            "systems": ([{"name": REFERENCE_SYSTEM, "kind": "recordings", "path": os.fspath(args.references)}]
                        if references is not None else [])
            + [{"name": n, "kind": "model_dir", "path": os.fspath(p), "quantization": s.quantization,
                "runtime": s.runtime, "threads": s.threads} for n, p, s in models]
            + [{"name": n, "kind": "audio_dir", "path": os.fspath(p)} for n, p, _ in audio_dirs],
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "metrics": "speedyspeech_tf.evaluation.metrics (see its docstring)",
            "f0": options.f0,
        }
        summary = report.write_report(os.fspath(tmp), rows, meta, audio_of,
                                      audio_of(REFERENCE_SYSTEM) if references is not None else None,
                                      worst=args.worst)
        _commit(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not args.quiet:
        print(report.markdown_table(summary))
        print(f"report: {out / 'report.md'}")
    return 0


def register(subparsers) -> None:
    from ..cli import positive_int

    p = subparsers.add_parser(
        "evaluate", help="score synthesised speech offline (WER, DNSMOS, MCD, F0, speed)",
        description="Synthesise every sentence of --texts through the TensorFlow-free runtime (--model-dir) and "
                    "score it offline: pocketsphinx WER/CER, DNSMOS (predicted MOS), and against --references "
                    "recordings MCD, log-mel L1, duration ratio, F0 RMSE and voicing error; --audio-dir scores "
                    "existing WAVs (<id>.wav) the same way. Writes OUT/report.md, report.json, sentences.csv "
                    "and PNGs. Needs the eval extra: pip install -e \".[eval]\".")
    p.add_argument("--texts", required=True, help="an LJ Speech-layout metadata.csv or one sentence a line "
                                                   "(ids 0001, 0002, ... by line number)")
    p.add_argument("--model-dir", action="append", metavar="[NAME=]DIR",
                   help="an exported model directory (speedyspeech-tf export); repeat to compare several")
    p.add_argument("--audio-dir", action="append", metavar="[NAME=]DIR",
                   help="a folder of <id>.wav (or wavs/<id>.wav) from another system; repeatable")
    p.add_argument("--references", metavar="CORPUS_DIR",
                   help="the recordings (LJ layout: CORPUS_DIR/wavs/<id>.wav): scored as system 'recording' and "
                        "compared with every other system")
    p.add_argument("--out", default="evaluation", help="output directory (default: ./evaluation)")
    p.add_argument("--threads", type=positive_int, default=1, help="runtime interpreter threads (default 1)")
    p.add_argument("--workers", type=int, choices=(1, 2), default=1,
                   help="scoring processes (default 1; 2 runs the recogniser and DNSMOS in two processes)")
    p.add_argument("--max-sentences", type=positive_int, help="only the first N sentences")
    p.add_argument("--worst", type=int, default=4, help="worst sentences plotted per system (default 4)")
    p.add_argument("--no-f0", action="store_true", help="skip pYIN (F0 RMSE, V/UV error), the slowest metric")
    p.add_argument("--quiet", action="store_true", help="no progress bars, no table on stdout")
    p.set_defaults(func=run_evaluation)


__all__ = ["register", "run_evaluation", "REFERENCE_SYSTEM"]
