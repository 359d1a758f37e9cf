"""Speech-quality metrics, all offline: pure functions of text and audio that any script can import.

    from speedyspeech_tf.evaluation import metrics as M
    hyp = M.recognise(audio, sr)                       # pocketsphinx 5 (US English model inside its wheel)
    M.wer(text, hyp), M.cer(text, hyp)                 # both sides through M.normalize_for_wer
    M.dnsmos(audio, sr)                                # DNSMOS P.835 overall score (1..5), speechmos' ONNX model
    M.mcd_dtw(recording, ours, sr)                     # dB, after DTW on the mel-cepstra
    M.mel_l1_dtw(recording, ours, sr)                  # mean |log-mel difference| (natural log) on the same path
    M.duration_ratio(recording, ours, sr)              # speech duration ours / recording (edge silence trimmed)
    M.f0_metrics(recording, ours, sr)                  # pYIN: F0 RMSE (Hz, cents) on voiced frames, V/UV error
    M.compare(recording, ours, sr)                     # all recording-based metrics with one alignment

Intelligibility (`recognise`, `wer`, `cer`): pocketsphinx's default US English acoustic model, 3-gram language
model and dictionary (shipped in the `pocketsphinx` wheel), a fresh decoder per utterance (so scores do not depend
on the order of the sentences), audio resampled to 16 kHz.
It is a weak recogniser (BENCHMARKS.md, "Quality", measures it on real LJ Speech recordings and on Festival SLT): use the
WER to compare systems on the same sentences, and expect a floor well above zero even for recordings.

Naturalness (`dnsmos`): DNSMOS P.835 (Reddy et al., 2022), as packaged by `speechmos` (its ONNX files, run with
onnxruntime). It was trained to predict the MOS listeners give to *noise-suppressed* speech (signal distortion,
background noise, overall quality, ITU-T P.835), not the naturalness of synthetic speech: a clean but robotic
voice can score well. It is a relative measure between systems on the same sentences, not an absolute MOS.

Recording-based metrics (`compare` and the functions it combines): both signals are resampled to 22,050 Hz and
their leading and trailing silence is trimmed (`trim_silence`, 40 dB below the peak); features use the project's
log-mel (speedyspeech_tf.audio.log_mel: hop 256, 80 Slaney bands, natural log). The mel-cepstrum is the DCT-II of
the log-mel amplitude scaled to cepstral units (c_n = DCT_ortho(log mel)_n / sqrt(2 * 80)), coefficients
c1..c24 (c0, the energy, excluded); MCD = 10 / ln(10) * sqrt(2 * sum_n (c_n - c'_n)^2), averaged over the DTW
path that minimises the summed Euclidean cepstral distance. This is close in size to SPTK-based MCD but not the
same number: compare MCDs made by this module only. The log-mel L1 and the F0 metrics use the same path.
F0: librosa's pYIN (60..500 Hz, frame 1024, hop 256, the log-mel frames); the RMSE counts path pairs voiced in
both signals, the V/UV error is the fraction of path pairs whose voicing decisions differ.

Heavy dependencies (pocketsphinx, onnxruntime, speechmos, librosa) are imported on first use; they belong to the
`eval` extra (pip install -e ".[eval]"), never to the runtime.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import re
import warnings

import numpy as np

METRIC_SR = 22050        # recording-based metrics run at the project's sample rate
ASR_SR = 16000           # pocketsphinx and DNSMOS want 16 kHz
N_CEPSTRUM = 24          # c1..c24
TRIM_TOP_DB = 40.0
F0_MIN, F0_MAX = 60.0, 500.0
_MCD_CONST = 10.0 / math.log(10.0) * math.sqrt(2.0)


# ------------------------------------------------------------------------------------------ small helpers

def to_mono_float(audio) -> np.ndarray:
    """Any numeric 1-D or [samples, channels] array -> float32 mono (int16 scaled by 1/32768)."""
    a = np.asarray(audio)
    if a.dtype == np.int16:
        a = a.astype(np.float32) / 32768.0
    a = np.asarray(a, np.float32)
    if a.ndim == 2:
        a = a.mean(axis=1)
    if a.ndim != 1:
        raise ValueError(f"expected mono audio [samples], got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("audio contains NaN or infinite samples")
    return a


def resample(audio, sr: int, target_sr: int) -> np.ndarray:
    """float32 mono audio from `sr` to `target_sr` (soxr, high quality); unchanged when the rates are equal."""
    a = to_mono_float(audio)
    if int(sr) == int(target_sr):
        return a
    import soxr

    return soxr.resample(a, int(sr), int(target_sr), quality="HQ").astype(np.float32)


# ---------------------------------------------------------------------------------------- intelligibility

def normalize_for_wer(text: str) -> list[str]:
    """Text -> the words a WER counts: the project's normaliser (numbers, abbreviations and symbols spelled
    out: speedyspeech_tf.text.normalize_text), lower case, every character other than a-z and an in-word
    apostrophe dropped (hyphens split words). Applied to both the reference and the recogniser's output."""
    from ..text import normalize_text

    t = normalize_text(text).lower()
    t = re.sub(r"[^a-z']+", " ", t)
    words = [w.strip("'") for w in t.split()]
    return [w for w in words if w]


@dataclasses.dataclass(frozen=True)
class ErrorCounts:
    """Edit-distance alignment counts of a hypothesis against a reference (words or characters)."""

    substitutions: int
    deletions: int
    insertions: int
    reference_length: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """errors / reference length (can exceed 1 with many insertions); nan for an empty reference."""
        return self.errors / self.reference_length if self.reference_length else math.nan


def error_counts(ref: list, hyp: list) -> ErrorCounts:
    """Levenshtein alignment of two token sequences (unit costs) -> substitution/deletion/insertion counts.
    Among the alignments with the fewest errors, the one with the most substitutions is counted."""
    n, m = len(ref), len(hyp)
    # cost[j] = (errors, -substitutions, deletions, insertions) of ref[:i] vs hyp[:j]
    prev = [(j, 0, 0, j) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [(i, 0, i, 0)]
        r = ref[i - 1]
        for j in range(1, m + 1):
            e, s, d, ins = prev[j - 1]
            if r == hyp[j - 1]:
                best = (e, s, d, ins)
            else:
                best = (e + 1, s - 1, d, ins)
            e, s, d, ins = prev[j]
            best = min(best, (e + 1, s, d + 1, ins))
            e, s, d, ins = cur[j - 1]
            best = min(best, (e + 1, s, d, ins + 1))
            cur.append(best)
        prev = cur
    e, s, d, ins = prev[m]
    return ErrorCounts(substitutions=-s, deletions=d, insertions=ins, reference_length=n)


def word_errors(ref: str, hyp: str) -> ErrorCounts:
    """Word error counts of `hyp` against `ref`, both normalised with `normalize_for_wer`."""
    return error_counts(normalize_for_wer(ref), normalize_for_wer(hyp))


def char_errors(ref: str, hyp: str) -> ErrorCounts:
    """Character error counts on the normalised words joined by single spaces (spaces count)."""
    return error_counts(list(" ".join(normalize_for_wer(ref))), list(" ".join(normalize_for_wer(hyp))))


def wer(ref: str, hyp: str) -> float:
    """Word error rate of `hyp` against `ref` (0 = perfect; 1.0 = every word wrong or missing; can exceed 1).
    Raises ValueError when `ref` has no words."""
    c = word_errors(ref, hyp)
    if not c.reference_length:
        raise ValueError(f"the reference text {ref!r:.60} has no words")
    return c.rate


def cer(ref: str, hyp: str) -> float:
    """Character error rate of `hyp` against `ref` (see `char_errors`). Raises ValueError for an empty ref."""
    c = char_errors(ref, hyp)
    if not c.reference_length:
        raise ValueError(f"the reference text {ref!r:.60} has no words")
    return c.rate


@functools.lru_cache(maxsize=1)
def _decoder_config():
    from pocketsphinx import Config

    return Config(samprate=ASR_SR, loglevel="FATAL")


def recognise(audio, sr: int) -> str:
    """Transcribe mono audio with pocketsphinx's bundled US English models -> lower-case words ('' if none).

    A fresh decoder per call (about 0.4 s to load): a reused pocketsphinx decoder adapts to the utterances
    it has decoded, so its output would depend on the order of the sentences and on the number of workers.
    About 0.2 s per second of speech on one core besides."""
    from pocketsphinx import Decoder

    a = resample(audio, sr, ASR_SR)
    pcm = np.round(np.clip(a, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    d = Decoder(_decoder_config())
    d.start_utt()
    d.process_raw(pcm, full_utt=True)
    d.end_utt()
    hyp = d.hyp()
    return hyp.hypstr.strip() if hyp is not None else ""


# ----------------------------------------------------------------------------------------------- DNSMOS

@functools.lru_cache(maxsize=4)
def _dnsmos_model(threads: int):
    import os

    import onnxruntime as ort
    import speechmos
    from speechmos.dnsmos import DNSMOS

    class _Model(DNSMOS):  # speechmos' scoring with sessions limited to `threads` threads
        def __init__(self, primary, p808):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            self.primary_model_path = primary
            self.onnx_sess = ort.InferenceSession(primary, opts, providers=["CPUExecutionProvider"])
            self.p808_onnx_sess = ort.InferenceSession(p808, opts, providers=["CPUExecutionProvider"])

    d = os.path.join(os.path.dirname(speechmos.__file__), "dnsmos_models")
    return _Model(os.path.join(d, "sig_bak_ovr.onnx"), os.path.join(d, "model_v8.onnx"))


def dnsmos_scores(audio, sr: int, threads: int = 1) -> dict[str, float]:
    """All DNSMOS outputs: {"ovrl", "sig", "bak" (P.835, 1..5), "p808" (P.808 MOS)}. Audio shorter than the
    model's 9.01 s input is repeated to fill it (speechmos' rule); longer audio is scored in 9 s windows
    hopped by 1 s and averaged."""
    a = np.clip(resample(audio, sr, ASR_SR), -1.0, 1.0)
    if a.size == 0:
        raise ValueError("dnsmos: no samples")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = _dnsmos_model(int(threads))(a, ASR_SR, False)
    return {"ovrl": float(out["ovrl_mos"]), "sig": float(out["sig_mos"]), "bak": float(out["bak_mos"]),
            "p808": float(out["p808_mos"])}


def dnsmos(audio, sr: int, threads: int = 1) -> float:
    """Predicted overall quality (DNSMOS P.835 OVRL, 1..5; see the module docstring for what it measures)."""
    return dnsmos_scores(audio, sr, threads)["ovrl"]


# ------------------------------------------------------------------------------- recording-based metrics

def trim_silence(audio, sr: int, top_db: float = TRIM_TOP_DB) -> np.ndarray:
    """Drop leading and trailing audio quieter than `top_db` below the peak (librosa.effects.trim, frames of
    1024 samples hopped by 256 at 22.05 kHz, scaled with `sr`)."""
    import librosa

    a = to_mono_float(audio)
    if a.size == 0 or not np.any(a):
        return a
    hop = max(1, round(256 * sr / METRIC_SR))
    trimmed, _ = librosa.effects.trim(a, top_db=top_db, frame_length=4 * hop, hop_length=hop)
    return trimmed if trimmed.size else a


@dataclasses.dataclass
class Features:
    """What the recording-based metrics need of one signal (22,050 Hz, edge silence trimmed); compute once with
    `features` and reuse (e.g. the recording's against several systems)."""

    audio: np.ndarray        # trimmed samples at METRIC_SR
    log_mel: np.ndarray      # [frames, 80], natural log
    cepstrum: np.ndarray     # [frames, N_CEPSTRUM]: c1..c24
    f0: np.ndarray | None = None       # [frames] Hz, nan where unvoiced (None until needed)
    voiced: np.ndarray | None = None   # [frames] bool

    @property
    def seconds(self) -> float:
        return self.audio.size / METRIC_SR

    def with_f0(self) -> "Features":
        if self.f0 is None:
            self.f0, self.voiced = estimate_f0(self.audio, METRIC_SR)
        return self


def mel_cepstrum(log_mel: np.ndarray, n: int = N_CEPSTRUM) -> np.ndarray:
    """Natural-log mel [frames, bands] -> cepstral coefficients c1..cn [frames, n] (see the module docstring)."""
    from scipy.fft import dct

    m = np.asarray(log_mel, np.float64)
    c = dct(m, type=2, norm="ortho", axis=1) / math.sqrt(2.0 * m.shape[1])
    return c[:, 1:n + 1]


def features(audio, sr: int, f0: bool = False, trim: bool = True) -> Features:
    """A signal's `Features` (resampled to 22,050 Hz, trimmed unless trim=False; pYIN F0 when f0=True)."""
    from ..audio import log_mel

    a = resample(audio, sr, METRIC_SR)
    if trim:
        a = trim_silence(a, METRIC_SR)
    if a.size == 0:
        raise ValueError("no samples to compare")
    lm = log_mel(a)
    out = Features(audio=a, log_mel=lm, cepstrum=mel_cepstrum(lm))
    return out.with_f0() if f0 else out


def _as_features(x, sr: int, f0: bool) -> Features:
    feats = x if isinstance(x, Features) else features(x, sr)
    return feats.with_f0() if f0 else feats


def dtw_path(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frame indices (ix, iy), start to end, of the DTW path between feature sequences x [n, d] and y [m, d]
    with Euclidean frame distances (librosa.sequence.dtw, steps (1,1), (1,0), (0,1))."""
    import librosa

    _, wp = librosa.sequence.dtw(X=np.asarray(x, np.float64).T, Y=np.asarray(y, np.float64).T,
                                 metric="euclidean", backtrack=True)
    wp = wp[::-1]
    return wp[:, 0].astype(np.int64), wp[:, 1].astype(np.int64)


def _path(ref: Features, hyp: Features):
    return dtw_path(ref.cepstrum, hyp.cepstrum)


def _mcd(ref: Features, hyp: Features, path) -> float:
    ix, iy = path
    diff = ref.cepstrum[ix] - hyp.cepstrum[iy]
    return float(_MCD_CONST * np.mean(np.sqrt(np.sum(diff * diff, axis=1))))


def _mel_l1(ref: Features, hyp: Features, path) -> float:
    ix, iy = path
    return float(np.mean(np.abs(ref.log_mel[ix] - hyp.log_mel[iy])))


def mcd_dtw(ref, hyp, sr: int = METRIC_SR, hyp_sr: int | None = None) -> float:
    """Mel-cepstral distortion (dB) of `hyp` against the recording `ref` after DTW (0 for identical audio).
    ref/hyp: audio arrays at `sr` (hyp at `hyp_sr` when it differs) or precomputed `Features`."""
    r, h = _as_features(ref, sr, False), _as_features(hyp, hyp_sr or sr, False)
    return _mcd(r, h, _path(r, h))


def mel_l1_dtw(ref, hyp, sr: int = METRIC_SR, hyp_sr: int | None = None) -> float:
    """Mean absolute natural-log-mel difference over the bands and the DTW path of the mel-cepstra."""
    r, h = _as_features(ref, sr, False), _as_features(hyp, hyp_sr or sr, False)
    return _mel_l1(r, h, _path(r, h))


def duration_ratio(ref, hyp, sr: int = METRIC_SR, hyp_sr: int | None = None) -> float:
    """Speech duration of `hyp` over that of `ref`, leading and trailing silence trimmed (1.1 = 10 % slower)."""
    r, h = _as_features(ref, sr, False), _as_features(hyp, hyp_sr or sr, False)
    return h.seconds / r.seconds


def estimate_f0(audio, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """pYIN F0 of mono audio, one value per log-mel frame (resampled to 22,050 Hz; hop 256, frame 1024,
    60..500 Hz) -> (f0 in Hz with nan where unvoiced, voiced flags). The first call compiles librosa's numba
    code (can take half a minute)."""
    import librosa

    a = resample(audio, sr, METRIC_SR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f0, voiced, _ = librosa.pyin(a, fmin=F0_MIN, fmax=F0_MAX, sr=METRIC_SR, frame_length=1024,
                                     hop_length=256, center=True)
    voiced = np.asarray(voiced, bool) & np.isfinite(f0)
    return np.where(voiced, f0, np.nan), voiced


def _f0(ref: Features, hyp: Features, path) -> dict[str, float]:
    ix, iy = path
    vr, vh = ref.voiced[ix], hyp.voiced[iy]
    both = vr & vh
    out = {"vuv_error": float(np.mean(vr != vh)), "voiced_frames": int(both.sum())}
    if both.any():
        fr, fh = ref.f0[ix][both], hyp.f0[iy][both]
        out["f0_rmse_hz"] = float(np.sqrt(np.mean((fr - fh) ** 2)))
        out["f0_rmse_cents"] = float(np.sqrt(np.mean((1200.0 * np.log2(fh / fr)) ** 2)))
    else:
        out["f0_rmse_hz"] = out["f0_rmse_cents"] = math.nan
    return out


def f0_metrics(ref, hyp, sr: int = METRIC_SR, hyp_sr: int | None = None) -> dict[str, float]:
    """F0 of `hyp` against `ref` on the DTW path: {"f0_rmse_hz", "f0_rmse_cents" (frames voiced in both; nan
    if none), "vuv_error" (fraction of path pairs with different voicing), "voiced_frames"}."""
    r, h = _as_features(ref, sr, True), _as_features(hyp, hyp_sr or sr, True)
    return _f0(r, h, _path(r, h))


def compare(ref, hyp, sr: int = METRIC_SR, hyp_sr: int | None = None, f0: bool = True) -> dict[str, float]:
    """All recording-based metrics of `hyp` against the recording `ref`, on one DTW path:
    {"mcd", "mel_l1", "duration_ratio", "f0_rmse_hz", "f0_rmse_cents", "vuv_error", "voiced_frames"}
    (F0 entries only with f0=True). ref/hyp: audio at sr/hyp_sr, or `Features` (reused, F0 filled in)."""
    r, h = _as_features(ref, sr, f0), _as_features(hyp, hyp_sr or sr, f0)
    path = _path(r, h)
    out = {"mcd": _mcd(r, h, path), "mel_l1": _mel_l1(r, h, path), "duration_ratio": h.seconds / r.seconds}
    if f0:
        out.update(_f0(r, h, path))
    return out


__all__ = ["METRIC_SR", "ASR_SR", "normalize_for_wer", "ErrorCounts", "error_counts", "word_errors",
           "char_errors", "wer", "cer", "recognise", "dnsmos", "dnsmos_scores", "trim_silence", "Features",
           "features", "mel_cepstrum", "dtw_path", "mcd_dtw", "mel_l1_dtw", "duration_ratio", "estimate_f0",
           "f0_metrics", "compare", "resample", "to_mono_float"]
