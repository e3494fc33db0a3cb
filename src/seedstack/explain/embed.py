"""Local text embeddings: nothing is downloaded, ever.

The default is a signed feature-hashing embedding of words, word bigrams and character trigrams:
no model, deterministic across processes (blake2b, not Python's salted ``hash``), and fast
because each word's features are computed once per call. It captures lexical and sub-word
similarity ("refund"/"refunds", "denied"/"deny"), which is what complaint text shares with the
answer complained about. ``SentenceEmbedder`` (the ``[embeddings]`` extra) uses a model2vec static
model from a local path for real semantic similarity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from hashlib import blake2b
from itertools import pairwise
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ConfigError, MissingExtraError

__all__ = [
    "DIM",
    "Embedder",
    "HashedNgramEmbedder",
    "SentenceEmbedder",
    "make_embedder",
    "quantize",
    "tokens",
]

DIM = 384
_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Embedder(Protocol):
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 rows, one per text."""
        ...


def _bucket(feature: str, dim: int) -> tuple[int, float]:
    h = int.from_bytes(blake2b(feature.encode(), digest_size=8).digest(), "little")
    return h % dim, (1.0 if (h >> 63) & 1 else -1.0)


class HashedNgramEmbedder:
    """Feature hashing over words (weight 1), word bigrams (0.5) and char trigrams (0.35)."""

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim

    def _word_features(self, word: str, cache: dict[str, list[tuple[int, float]]]) -> list[tuple[int, float]]:
        feats = cache.get(word)
        if feats is None:
            feats = []
            i, s = _bucket("w:" + word, self.dim)
            feats.append((i, s))
            padded = f"<{word}>"
            for k in range(len(padded) - 2):
                j, t = _bucket("c:" + padded[k : k + 3], self.dim)
                feats.append((j, 0.35 * t))
            cache[word] = feats
        return feats

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        cache: dict[str, list[tuple[int, float]]] = {}
        bigram_cache: dict[str, tuple[int, float]] = {}
        for row, text in enumerate(texts):
            words = tokens(text)
            vec = out[row]
            for w in words:
                for i, s in self._word_features(w, cache):
                    vec[i] += s
            for a, b in pairwise(words):
                key = a + " " + b
                hit = bigram_cache.get(key)
                if hit is None:
                    hit = bigram_cache[key] = _bucket("b:" + key, self.dim)
                vec[hit[0]] += 0.5 * hit[1]
        # sublinear term weighting, then unit length so a dot product is a cosine
        out = np.sign(out) * np.log1p(np.abs(out))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return (out / norms).astype(np.float32)


class SentenceEmbedder:
    """A model2vec static sentence model loaded from a local directory (``[embeddings]`` extra)."""

    def __init__(self, path: str) -> None:
        try:
            from model2vec import StaticModel
        except ImportError:
            raise MissingExtraError("sentence embeddings", "embeddings") from None
        if not Path(path).is_dir():  # a non-directory would be taken for a hub id and downloaded
            raise ConfigError(f"cannot load the sentence model at {path}: it must be a local model2vec directory")
        try:
            self._model = StaticModel.from_pretrained(path)
        except Exception as exc:  # the library raises several kinds for a bad path
            raise ConfigError(f"cannot load the sentence model at {path}: {exc}") from None
        self.dim = int(self._model.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vecs = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vecs / norms


def make_embedder(kind: str = "hashed", model_path: str | None = None) -> Embedder:
    if kind == "sentence":
        if not model_path:
            raise ConfigError("observability.search.sentence_model must name a local model2vec directory")
        return SentenceEmbedder(model_path)
    return HashedNgramEmbedder()


def quantize(vecs: np.ndarray) -> list[bytes]:
    """int8 rows (x127): a quarter of float32's size, cosine order preserved to ~1%."""
    q = np.clip(np.rint(vecs * 127.0), -127, 127).astype(np.int8)
    return [row.tobytes() for row in q]


def dequantize(blobs: Iterable[bytes], dim: int) -> np.ndarray:
    buf = b"".join(bytes(b) for b in blobs)
    return np.frombuffer(buf, dtype=np.int8).reshape(-1, dim).astype(np.float32) / 127.0
