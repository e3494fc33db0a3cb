"""A local text embedding for the similarity scorer: hashed word and character n-grams.

Why not a neural model: evals run in CI and offline, and nothing may be downloaded at run time.
Hashed n-gram vectors capture lexical overlap and tolerate small rewordings and typos, which is
what a reference-similarity check needs; semantic judgement belongs to the LLM judge.
"""

from __future__ import annotations

import itertools
import re
import zlib

import numpy as np

__all__ = ["cosine_similarity", "embed"]

_DIM = 4096
_TOKEN = re.compile(r"\w+", re.UNICODE)


def embed(text: str, dim: int = _DIM) -> np.ndarray:
    """L2-normalised vector of word unigrams/bigrams and character 3-grams, hashed into ``dim`` bins."""
    vec = np.zeros(dim, dtype=np.float64)
    words = _TOKEN.findall(text.lower())
    feats = [f"w:{w}" for w in words]
    feats += [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    for w in words:
        padded = f" {w} "
        feats += [f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
    for f in feats:
        h = zlib.crc32(f.encode())
        vec[h % dim] += 1.0 if (h >> 16) & 1 else -1.0
    norm = np.linalg.norm(vec)
    return vec / norm if norm else vec


def cosine_similarity(a: str, b: str) -> float:
    if not a.strip() or not b.strip():
        return 1.0 if a.strip() == b.strip() else 0.0
    return float(np.clip(embed(a) @ embed(b), -1.0, 1.0))
