"""The authors' PyTorch SpeedySpeech student + MelGAN, timed on the CPU like benchmarks/runtime_rtf.py's rows.

Run by `benchmarks/runtime_rtf.py --torch-python PATH` (same texts, threads and machine, same run); by hand:

    TORCH_PY benchmarks/reference_rtf.py --ids IDS.json --threads 1 --runs 5

IDS.json: {"texts": {name: [[symbol ids of chunk 1], ...]}}, the project's own front end and chunking (the
reference's text processor is not timed: our front end takes ~0.3 ms per sentence). Prints "RESULT {json}" with
the same fields as runtime_rtf.py's children (per text: rtf, first_audio_seconds, student_seconds,
vocoder_seconds, audio_seconds, medians and minimums over --runs after one warm-up).

Nothing is installed and nothing is copied: the authors' code directory (BSD-3; default
../shared/reference/code) is put on sys.path at run time. TORCH_PY is a Python with torch for the CPU and what
the reference's modules import, made outside the repository, e.g.:

    python3.11 -m venv /work/torchvenv
    /work/torchvenv/bin/pip install torch==2.13.0 "numpy<2" scipy librosa==0.9.2 "setuptools<70" matplotlib \
        gitpython barbar tensorboard fastdtw pyyaml pytorch-ignite

Two training-only lookups are replaced at run time, nothing else: git.Repo (the student records its commit; the
code directory is no git checkout) and g2p_en.G2p (its text processor, unused here, would download NLTK data).
The recipe per chunk is the authors' inference.py: ids + 5 zero ids, student forward in eval mode, mel * std +
mean, 5 silence frames (-11.5129) appended, the generator on the whole chunk, its audio trimmed to the chunk's
frames. The generator runs with its weight norm removed (Generator.eval(inference=True), its fastest form).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import types

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SPEEDYSPEECH_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
HOP, SAMPLE_RATE, SILENCE = 256, 22050, -11.5129


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def load_models(code: str, student_pth: str, melgan_pth: str):
    sys.path.insert(0, code)
    import git  # the reference's student looks up its commit with git.Repo

    git.Repo = lambda *a, **k: types.SimpleNamespace(
        head=types.SimpleNamespace(object=types.SimpleNamespace(hexsha="")))
    sys.modules["g2p_en"] = types.SimpleNamespace(G2p=lambda *a, **k: None)
    import torch
    from melgan.model.generator import Generator
    from speedyspeech import SpeedySpeech

    student = SpeedySpeech(device="cpu")
    student.load_state_dict(torch.load(student_pth, map_location="cpu", weights_only=False)["state_dict"])
    student.eval()
    melgan = Generator(80)
    melgan.load_state_dict(torch.load(melgan_pth, map_location="cpu", weights_only=False)["model_g"])
    melgan.eval(inference=True)
    return student, melgan


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ids", required=True, help="JSON with the chunks' symbol ids per text")
    p.add_argument("--student", default=os.path.join(SHARED, "reference", "student_seed0.pth"))
    p.add_argument("--melgan", default=os.path.join(SHARED, "reference", "melgan_seed0.pth"))
    p.add_argument("--code", default=os.path.join(SHARED, "reference", "code"), help="the authors' code directory")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    for path in (args.ids, args.student, args.melgan, args.code):
        if not os.path.exists(path):
            print(f"error: {path} not found", file=sys.stderr)
            return 2
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    t0 = time.perf_counter()
    student, melgan = load_models(args.code, args.student, args.melgan)
    load_s = time.perf_counter() - t0
    texts = json.load(open(args.ids))["texts"]

    def synthesize(chunks):
        start = time.perf_counter()
        first, frames, t_student, t_vocoder = None, 0, 0.0, 0.0
        with torch.no_grad():
            for ids in chunks:
                t = time.perf_counter()
                x = torch.tensor([list(ids) + [0] * 5], dtype=torch.long)
                spec, durations = student((x, torch.tensor([len(ids)])))
                T = int(durations.sum())
                spec = student.collate.norm.inverse(spec)[:, :T]
                spec = torch.cat([spec.transpose(2, 1), torch.full((1, 80, 5), SILENCE)], dim=-1)
                t_student += time.perf_counter() - t
                t = time.perf_counter()
                melgan(spec).reshape(-1)[:T * HOP].numpy()  # the chunk's audio
                t_vocoder += time.perf_counter() - t
                frames += T
                if first is None:
                    first = time.perf_counter() - start
        total = time.perf_counter() - start
        audio_s = frames * HOP / SAMPLE_RATE
        return {"rtf": total / audio_s, "synthesis_seconds": total, "first_audio_seconds": first,
                "student_seconds": t_student, "vocoder_seconds": t_vocoder, "audio_seconds": audio_s,
                "frames": frames, "chunks": len(chunks)}

    out = {"load_seconds": load_s, "runtime": f"reference PyTorch {torch.__version__} (authors' code)",
           "quantization": "float32 (PyTorch reference)", "threads": args.threads, "xnnpack": True, "texts": {}}
    for name, chunks in texts.items():
        synthesize(chunks)  # warm-up
        rows = [synthesize(chunks) for _ in range(args.runs)]
        row = {k: float(statistics.median(r[k] for r in rows)) for k in rows[0]}
        row.update({k + "_min": float(min(r[k] for r in rows)) for k in rows[0]})
        row.update(chunks=rows[0]["chunks"], frames=rows[0]["frames"], vocoder_calls=rows[0]["chunks"])
        out["texts"][name] = row
    out["peak_rss_mb"] = _peak_rss_mb()
    print("RESULT " + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
