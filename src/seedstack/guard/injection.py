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
from itertools import repeat
from pathlib import Path

import numpy as np

from .features import MIN_NORM, chunk_tokens, document_tokens, spans
from .normalize import decode_smuggled, normalize

__all__ = ["CHANNELS", "EDGE", "InjectionModel"]

CHANNELS = ("user", "document")
EDGE = 32
_CHUNK_CACHE_MAX = 200_000  # distinct chunks remembered (a few tens of MB at most), then forgotten
_LONG_WORD = 24  # a smuggled base64/hex run is one whitespace-free word at least this long


class _ChannelWeights:
    """One channel's weights, indexed by the shared token ids (id 0: a token the model never saw)."""

    __slots__ = ("bias", "bigram_weights", "threshold", "unigram_weights", "unk_bigram")

    def __init__(
        self, unigram_weights: np.ndarray, bigram_weights: np.ndarray, unk_bigram: float, bias: float, threshold: float
    ) -> None:
        self.unigram_weights = unigram_weights
        self.bigram_weights = bigram_weights
        self.unk_bigram = unk_bigram
        self.bias = bias
        self.threshold = threshold


class InjectionModel:
    """Attack probability for a text on a channel; load once with :meth:`load` and share.

    Tokens map to integer ids with one C-level dict pass; unigram weights are then an array gather and
    bigrams (``id1 * n_ids + id2``) one vectorised binary search in a sorted key array, so the cost per
    token is a few numpy operations rather than a Python dict lookup per bigram.
    """

    def __init__(
        self,
        token_ids: dict[str, int],
        bigram_keys: np.ndarray,
        channels: dict[str, _ChannelWeights],
        meta: dict[str, object],
    ) -> None:
        self._token_ids = token_ids
        self._n_ids = len(token_ids) + 1
        # bigram keys id1 * n_ids + id2 fit in int32 for any vocabulary under 46k tokens: half the
        # memory of int64, so the binary search stays in cache and no id array needs widening
        self._id_dtype = np.int32 if self._n_ids * self._n_ids < 2**31 else np.int64
        # a last key above every real one, so a binary search always lands on a valid index
        self._bigram_keys = np.append(bigram_keys.astype(self._id_dtype), np.iinfo(self._id_dtype).max)
        self._channels = {
            ch: _ChannelWeights(
                cw.unigram_weights, np.append(cw.bigram_weights, cw.unk_bigram), cw.unk_bigram, cw.bias, cw.threshold
            )
            for ch, cw in channels.items()
        }
        self.meta = meta
        # whitespace chunk -> its token ids; most chunks of a prompt are common words, so
        # a prompt becomes one C-level split and one C-level dict pass instead of a regex per token
        # (ids packed as int32 bytes: one C-level join then builds the whole id array). Chunks of
        # _LONG_WORD+ characters are kept apart, so a lookup miss is what tells that a prompt has one.
        self._chunk_ids: dict[str, bytes] = {}
        self._long_chunk_ids: dict[str, bytes] = {}
        # a short injection padded with benign text is diluted in the whole-prompt average; the first
        # and last EDGE tokens are scored on their own too, against a stricter threshold (an offset)
        offset = meta.get("edge_offset")
        self._edge_offset = float(offset) if isinstance(offset, int | float) else None

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
        token_ids = {t: i for i, t in enumerate(sorted(set(uni) | set(first) | set(second)), start=1)}
        n_ids = len(token_ids) + 1
        uni_idx = np.fromiter(map(token_ids.__getitem__, uni), dtype=np.int64, count=len(uni))
        keys = np.fromiter(map(token_ids.__getitem__, first), dtype=np.int64, count=len(first)) * n_ids
        keys += np.fromiter(map(token_ids.__getitem__, second), dtype=np.int64, count=len(second))
        order = np.argsort(keys, kind="stable")
        unk_id, unk_bigram_key = token_ids.get("<unk>"), None
        if unk_id is not None:
            unk_bigram_key = unk_id * n_ids + unk_id
        channels = {}
        for ch in CHANNELS:
            uw = np.zeros(n_ids)
            uw[uni_idx] = z[f"uni_{ch}"]
            if unk_id is not None:
                uw[0] = uw[unk_id]  # tokens the model never saw weigh what "<unk>" weighs
            bw = z[f"bi_{ch}"].astype(np.float64)[order]
            unk_bigram = 0.0
            if unk_bigram_key is not None:
                at = np.flatnonzero(keys[order] == unk_bigram_key)
                unk_bigram = float(bw[at[0]]) if at.size else 0.0
            channels[ch] = _ChannelWeights(
                uw, bw, unk_bigram, float(meta["bias"][ch]), _sigmoid(float(meta["threshold"][ch]))
            )
        return cls(token_ids, keys[order], channels, meta)

    def threshold(self, channel: str) -> float:
        return self._channels[_channel(channel)].threshold

    def logit(self, text: str, channel: str = "user") -> float:
        """Highest window logit of the normalized text and of any base64/hex payload decoded from it."""
        norm = normalize(text)
        words = norm.split()  # shared by the tokenizer and the smuggled-payload search
        if channel == "document":
            best = self._logit_normalized(norm, channel, words)
            long_words = [w for w in words if len(w) >= _LONG_WORD] if max(map(len, words), default=0) >= 24 else []
        else:
            ids, long_words = self._chunk_token_ids(words)
            best = self._logit_ids(ids, channel)
        # a smuggled run is one whitespace-free word of 24+ characters
        for decoded in decode_smuggled(norm, long_words) if long_words else ():
            best = max(best, self._logit_normalized(normalize(decoded), channel))
        return best

    def score(self, text: str, channel: str = "user") -> float:
        """Attack probability in [0, 1]."""
        return _sigmoid(self.logit(text, channel))

    def token_ids(self, norm: str, chunks: list[str] | None = None) -> np.ndarray:
        """Token ids of normalized text (0: unknown), the same tokens as ``features.tokens``.

        ``chunks``, when given, is ``norm.split()`` already computed by the caller. Chunks are cached
        as written and lower-cased only on a miss (lower-casing never creates or removes whitespace,
        so the chunks are those of the lower-cased text).
        """
        return self._chunk_token_ids(norm.split() if chunks is None else chunks)[0]

    def _chunk_token_ids(self, chunks: list[str]) -> tuple[np.ndarray, list[str]]:
        """Token ids of the chunks, and the chunks of ``_LONG_WORD``+ characters (in order)."""
        cache = self._chunk_ids
        try:  # the common case: every chunk seen before and none long (long ones live in another table)
            joined = b"".join(map(cache.__getitem__, chunks))
        except KeyError:
            pass
        else:
            ids = np.frombuffer(joined, dtype=np.int32)
            return (ids if self._id_dtype is np.int32 else ids.astype(np.int64)), []
        parts: list[bytes | None] = list(map(cache.get, chunks))
        long_words: list[str] = []
        if None in parts:
            if len(cache) > _CHUNK_CACHE_MAX:
                cache.clear()
            if len(self._long_chunk_ids) > _CHUNK_CACHE_MAX // 16:
                self._long_chunk_ids.clear()
            k = parts.index(None)
            while True:  # visit the misses only (a C-level search for the next one)
                chunk = chunks[k]
                table = cache
                if len(chunk) >= _LONG_WORD:
                    long_words.append(chunk)
                    table = self._long_chunk_ids
                p = table.get(chunk)
                if p is None:
                    p = table[chunk] = self._chunk_bytes(chunk)
                parts[k] = p
                try:
                    k = parts.index(None, k + 1)
                except ValueError:
                    break
        ids = np.frombuffer(b"".join(parts), dtype=np.int32)  # type: ignore[arg-type]
        return (ids if self._id_dtype is np.int32 else ids.astype(np.int64)), long_words

    def _chunk_bytes(self, chunk: str) -> bytes:
        get = self._token_ids.get
        return np.array([get(t, 0) for t in chunk_tokens(chunk.lower())], dtype=np.int32).tobytes()

    def _contributions(self, ids: np.ndarray, cw: _ChannelWeights) -> np.ndarray:
        """Each token's unigram weight plus the weight of the bigram it starts."""
        contrib = cw.unigram_weights[ids]
        if len(ids) > 1:
            keys = ids[:-1] * self._n_ids
            keys += ids[1:]
            pos = self._bigram_keys.searchsorted(keys)
            contrib[:-1] += np.where(self._bigram_keys[pos] == keys, cw.bigram_weights[pos], cw.unk_bigram)
        return contrib

    def _logit_ids(self, ids: np.ndarray, channel: str) -> float:
        """The logit of a user-channel prompt: the whole prompt, or its first or last EDGE tokens."""
        cw = self._channels[_channel(channel)]
        n = len(ids)
        if n == 0:
            return cw.bias
        contrib = self._contributions(ids, cw)
        whole = cw.bias + float(contrib.sum()) / math.sqrt(max(n, MIN_NORM))
        if self._edge_offset is None or n <= EDGE:
            return whole
        edges = max(float(contrib[:EDGE].sum()), float(contrib[-EDGE:].sum())) / math.sqrt(EDGE)
        return max(whole, cw.bias + edges - self._edge_offset)

    def _logit_normalized(self, norm: str, channel: str, chunks: list[str] | None = None) -> float:
        if channel != "document":
            return self._logit_ids(self.token_ids(norm, chunks), channel)
        cw = self._channels["document"]
        toks, line_ends = document_tokens(norm)
        n = len(toks)
        if n == 0:
            return cw.bias
        contrib = self._contributions(
            np.fromiter(map(self._token_ids.get, toks, repeat(0)), dtype=self._id_dtype, count=n), cw
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
