"""The prompt-injection / jailbreak scorer: a linear model over word uni- and bigrams.

The weights ship in ``model/injection.npz`` (trained by ``training/train_injection.py``). Each channel
(``user``: typed by a person; ``document``: tool results and retrieved text) has its own weight table,
because "reply only in French" is an ordinary request from a user but an attack inside a web page.
Scoring is dict lookups mapped in C plus a numpy cumulative sum, so a 2 KB prompt costs tens of
microseconds and a 100 KB document grows linearly.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from itertools import pairwise, repeat
from pathlib import Path

import numpy as np

from .features import MIN_NORM, document_tokens, spans, tokens
from .normalize import decode_smuggled, normalize

__all__ = ["CHANNELS", "InjectionModel"]

CHANNELS = ("user", "document")


class _ChannelWeights:
    __slots__ = ("bias", "bigrams", "threshold", "unigrams", "unk", "unk_bigram")

    def __init__(
        self, unigrams: dict[str, float], bigrams: dict[tuple[str, str], float], bias: float, threshold: float
    ) -> None:
        self.unk = unigrams.pop("<unk>", 0.0)
        self.unk_bigram = bigrams.pop(("<unk>", "<unk>"), 0.0)
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.bias = bias
        self.threshold = threshold


class InjectionModel:
    """Attack probability for a text on a channel; load once with :meth:`load` and share."""

    def __init__(self, channels: dict[str, _ChannelWeights], meta: dict[str, object]) -> None:
        self._channels = channels
        self.meta = meta

    @classmethod
    def load(cls, path: Path | None = None) -> InjectionModel:
        """Read the npz artifact (the shipped one by default); no pickle, so a file cannot run code."""
        if path is None:
            ref = resources.files("seedstack.guard").joinpath("model/injection.npz")
            with resources.as_file(ref) as p, np.load(p, allow_pickle=False) as z:
                return cls._from_arrays(dict(z.items()))
        with np.load(path, allow_pickle=False) as z:
            return cls._from_arrays(dict(z.items()))

    @classmethod
    def _from_arrays(cls, z: dict[str, np.ndarray]) -> InjectionModel:
        meta = json.loads(_text(z["meta"]))
        uni = json.loads(_text(z["unigrams"]))
        first = json.loads(_text(z["bigram_first"]))
        second = json.loads(_text(z["bigram_second"]))
        bigrams = list(zip(first, second, strict=True))
        channels = {}
        for ch in CHANNELS:
            channels[ch] = _ChannelWeights(
                dict(zip(uni, z[f"uni_{ch}"].astype(np.float64).tolist(), strict=True)),
                dict(zip(bigrams, z[f"bi_{ch}"].astype(np.float64).tolist(), strict=True)),
                float(meta["bias"][ch]),
                _sigmoid(float(meta["threshold"][ch])),  # stored as a logit
            )
        return cls(channels, meta)

    def threshold(self, channel: str) -> float:
        return self._channels[_channel(channel)].threshold

    def logit(self, text: str, channel: str = "user") -> float:
        """Highest window logit of the normalized text and of any base64/hex payload decoded from it."""
        norm = normalize(text)
        best = self._logit_normalized(norm, channel)
        if len(norm) >= 24:
            for decoded in decode_smuggled(norm):
                best = max(best, self._logit_normalized(normalize(decoded), channel))
        return best

    def score(self, text: str, channel: str = "user") -> float:
        """Attack probability in [0, 1]."""
        return _sigmoid(self.logit(text, channel))

    def _logit_normalized(self, norm: str, channel: str) -> float:
        cw = self._channels[_channel(channel)]
        line_ends = None
        if channel == "document":
            toks, line_ends = document_tokens(norm)
        else:
            toks = tokens(norm)
        n = len(toks)
        if n == 0:
            return cw.bias
        if channel != "document":
            # one span: plain C-level sums, no arrays
            total = sum(map(cw.unigrams.get, toks, repeat(cw.unk)))
            total += sum(map(cw.bigrams.get, pairwise(toks), repeat(cw.unk_bigram)))
            return cw.bias + total / math.sqrt(max(n, MIN_NORM))
        contrib = np.fromiter(map(cw.unigrams.get, toks, repeat(cw.unk)), dtype=np.float64, count=n)
        if n > 1:
            contrib[:-1] += np.fromiter(
                map(cw.bigrams.get, pairwise(toks), repeat(cw.unk_bigram)), dtype=np.float64, count=n - 1
            )
        bounds = spans(toks, channel, line_ends)
        if len(bounds) == 1:
            return cw.bias + float(contrib.sum()) / math.sqrt(max(n, MIN_NORM))
        csum = np.concatenate(([0.0], np.cumsum(contrib)))
        b = np.array(bounds)
        lengths = b[:, 1] - b[:, 0]
        sums = (csum[b[:, 1]] - csum[b[:, 0]]) / np.sqrt(np.maximum(lengths, MIN_NORM))
        return cw.bias + float(sums.max())


def _text(arr: np.ndarray) -> str:
    return arr.tobytes().decode("utf-8")


def _channel(channel: str) -> str:
    return "document" if channel == "document" else "user"


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
