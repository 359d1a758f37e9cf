"""g2p_en's out-of-vocabulary network, run with numpy from the weights in g2p_en's package directory."""
from __future__ import annotations

import importlib.util
import os
import threading

import numpy as np

from ..config import PHONEMES
from .symbols import PHONEME_SET

_LOCK = threading.Lock()


def g2p_en_dir() -> str:
    """The installed g2p_en package directory, found without importing it (its import calls nltk.download)."""
    spec = importlib.util.find_spec("g2p_en")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the text front end needs the g2p_en package (pip install g2p_en==2.1.0) for its "
                          "homograph table and out-of-vocabulary model; it is read from disk, never imported")
    return list(spec.submodule_search_locations)[0]



class OOVModel:
    """g2p_en's sequence-to-sequence GRU for words missing from the CMU dictionary, run with numpy.

    Written here rather than called through `g2p_en.G2p` because importing g2p_en triggers `nltk.download`
    (network) and `G2p()` loads NLTK's cmudict corpus, which is not installed offline. The weights are g2p_en's
    own (`checkpoint20.npz` in its wheel); the equations are the standard (PyTorch) GRU cell with gates in
    r, z, n order, greedy decoding of at most 20 phonemes, as g2p_en does (checked by tests/test_text.py).
    """

    GRAPHEMES = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
    OUT_SYMBOLS = ["<pad>", "<unk>", "<s>", "</s>"] + list(PHONEMES)
    MAX_LEN = 20

    def __init__(self, path: str):
        w = np.load(path)
        self.enc_emb = w["enc_emb"]
        self.enc_w_ih, self.enc_w_hh = w["enc_w_ih"].T.copy(), w["enc_w_hh"].T.copy()
        self.enc_b_ih, self.enc_b_hh = w["enc_b_ih"], w["enc_b_hh"]
        self.dec_emb = w["dec_emb"]
        self.dec_w_ih, self.dec_w_hh = w["dec_w_ih"].T.copy(), w["dec_w_hh"].T.copy()
        self.dec_b_ih, self.dec_b_hh = w["dec_b_ih"], w["dec_b_hh"]
        self.fc_w, self.fc_b = w["fc_w"].T.copy(), w["fc_b"]
        self.g2idx = {g: i for i, g in enumerate(self.GRAPHEMES)}

    @staticmethod
    def _cell(x, h, w_ih, w_hh, b_ih, b_hh):
        gi = x @ w_ih + b_ih
        gh = h @ w_hh + b_hh
        k = gi.shape[-1] // 3
        r = 1.0 / (1.0 + np.exp(-(gi[:, :k] + gh[:, :k])))
        z = 1.0 / (1.0 + np.exp(-(gi[:, k:2 * k] + gh[:, k:2 * k])))
        n = np.tanh(gi[:, 2 * k:] + r * gh[:, 2 * k:])
        return (1.0 - z) * n + z * h

    def predict(self, word: str) -> list[str]:
        ids = [self.g2idx.get(c, 1) for c in word] + [self.g2idx["</s>"]]
        h = np.zeros((1, self.enc_w_hh.shape[0]), np.float32)
        for i in ids:
            h = self._cell(self.enc_emb[i:i + 1], h, self.enc_w_ih, self.enc_w_hh, self.enc_b_ih, self.enc_b_hh)
        out, prev = [], 2  # <s>
        for _ in range(self.MAX_LEN):
            h = self._cell(self.dec_emb[prev:prev + 1], h, self.dec_w_ih, self.dec_w_hh, self.dec_b_ih,
                           self.dec_b_hh)
            prev = int(np.argmax(h @ self.fc_w + self.fc_b))
            if prev == 3:  # </s>
                break
            out.append(self.OUT_SYMBOLS[prev])
        return [p for p in out if p in PHONEME_SET]  # <pad>/<unk>/<s> never reach the symbol table


_OOV: OOVModel | None = None


def oov_model() -> OOVModel:
    global _OOV
    if _OOV is None:
        with _LOCK:
            if _OOV is None:
                _OOV = OOVModel(os.path.join(g2p_en_dir(), "checkpoint20.npz"))
    return _OOV

