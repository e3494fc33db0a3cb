"""Output leakage: registered canaries, the system prompt echoed back, and verbatim runs of protected
records.

Protected texts are remembered as hashes of every run of ``n`` consecutive words (word n-gram
fingerprints) in one sorted numpy array, about 8 bytes per word, so a check costs one vectorised
lookup of the output's own n-grams rather than a scan of the protected set. The hashes use Python's
per-process string hash: fingerprints live in memory and are rebuilt at start-up, never stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .types import Finding

__all__ = ["CanaryMatcher", "Fingerprints", "SystemPromptMatcher", "load_protected_records"]

_WORD = re.compile(r"\w+")


def _word_spans(text: str) -> tuple[list[str], list[int], list[int]]:
    words, starts, ends = [], [], []
    for m in _WORD.finditer(text):
        words.append(m.group().lower())
        starts.append(m.start())
        ends.append(m.end())
    return words, starts, ends


def _ngram_hashes(words: list[str], n: int) -> np.ndarray:
    if len(words) < n:
        return np.empty(0, dtype=np.int64)
    return np.fromiter(
        (hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1)), dtype=np.int64, count=len(words) - n + 1
    )


class Fingerprints:
    """Word n-gram fingerprints of a set of texts; :meth:`find` returns the copied runs in a text."""

    def __init__(self, texts: Iterable[str] = (), *, n: int = 10, type_: str = "PROTECTED_RECORD") -> None:
        self.n = n
        self.type = type_
        chunks = [_ngram_hashes(_word_spans(t)[0], n) for t in texts]
        self._hashes = np.unique(np.concatenate(chunks)) if chunks else np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self._hashes.size)

    def find(self, text: str) -> list[Finding]:
        if self._hashes.size == 0:
            return []
        words, starts, ends = _word_spans(text)
        hashes = _ngram_hashes(words, self.n)
        if hashes.size == 0:
            return []
        pos = np.searchsorted(self._hashes, hashes)
        pos[pos >= self._hashes.size] = 0
        hit = self._hashes[pos] == hashes
        out: list[Finding] = []
        idx = np.flatnonzero(hit)
        if idx.size == 0:
            return out
        run_start = prev = int(idx[0])
        for i in [*idx[1:].tolist(), None]:
            if i is not None and i <= prev + 1:
                prev = i
                continue
            out.append(Finding("leakage", self.type, starts[run_start], ends[prev + self.n - 1], 1.0))
            if i is not None:
                run_start = prev = i
        return out


class CanaryMatcher:
    """Exact search for the operator's canary strings (one compiled alternation)."""

    def __init__(self, canaries: Iterable[str]) -> None:
        values = sorted({c for c in canaries if c}, key=len, reverse=True)
        self.longest = max((len(c) for c in values), default=0)
        self._rx = re.compile("|".join(map(re.escape, values))) if values else None

    def find(self, text: str) -> list[Finding]:
        if self._rx is None:
            return []
        return [Finding("leakage", "CANARY", m.start(), m.end(), 1.0) for m in self._rx.finditer(text)]


class SystemPromptMatcher:
    """Finds the request's system prompt echoed in output: a run of ``min_words`` of its words, or the
    whole prompt when it is shorter than that (but not trivially short)."""

    def __init__(self, system_prompt: str, min_words: int) -> None:
        words = system_prompt.split()
        self._fp: Fingerprints | None = None
        self._rx: re.Pattern[str] | None = None
        if len(words) >= min_words:
            self._fp = Fingerprints([system_prompt], n=min_words, type_="SYSTEM_PROMPT")
        elif sum(map(len, words)) >= 20:
            self._rx = re.compile(r"\s+".join(map(re.escape, words)))

    def find(self, text: str) -> list[Finding]:
        if self._fp is not None:
            return self._fp.find(text)
        if self._rx is not None:
            return [Finding("leakage", "SYSTEM_PROMPT", m.start(), m.end(), 1.0) for m in self._rx.finditer(text)]
        return []


def load_protected_records(paths: Iterable[Path]) -> list[str]:
    """One record per line; a JSONL line contributes its string values (so keys are not fingerprinted)."""
    out: list[str] = []
    for path in paths:
        with Path(path).open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                if line.startswith("{"):
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        out.append(line)
                        continue
                    out.append(" ".join(str(v) for v in obj.values() if isinstance(v, str | int | float)))
                else:
                    out.append(line)
    return out
