"""Tokens and scoring spans for the injection model, shared by the run-time scorer and the trainer.

The scorer must see exactly the features the trainer saw, so both call these functions. Features are
lower-cased word and punctuation tokens and their adjacent bigrams; line breaks are not features
(they only mark span boundaries), so layout alone cannot make a text look benign or hostile.

- A user prompt is judged as a whole: jailbreaks are long role-play set-ups whose intent is spread
  over the text.
- A document (tool result, retrieved page) is judged sentence by sentence and line by line, and its
  worst span wins: an injection is a sentence slipped into otherwise benign content, and averaging it
  with the rest would hide it. Long spans are cut into overlapping windows, so the cost is linear.
"""

from __future__ import annotations

import re

__all__ = ["MIN_NORM", "STRIDE", "WINDOW", "document_tokens", "spans", "tokens"]

WINDOW = 64
STRIDE = 32
MIN_NORM = 8

_TOKEN = re.compile(r"\w+|[^\w\s]")
_TOKEN_ASCII = re.compile(r"\w+|[^\w\s]", re.ASCII)  # same tokens on ASCII text, ~30% faster
_SENTENCE_END = frozenset({".", "!", "?"})


def tokens(normalized_text: str) -> list[str]:
    """Lower-cased word and single punctuation tokens of already-normalized text."""
    lowered = normalized_text.lower()
    return (_TOKEN_ASCII if lowered.isascii() else _TOKEN).findall(lowered)


def document_tokens(normalized_text: str) -> tuple[list[str], list[int]]:
    """Tokens plus the token offset at which each line ends (span boundaries for documents)."""
    toks: list[str] = []
    line_ends: list[int] = []
    lowered = normalized_text.lower()
    rx = _TOKEN_ASCII if lowered.isascii() else _TOKEN
    for line in lowered.split("\n"):
        toks.extend(rx.findall(line))
        line_ends.append(len(toks))
    return toks, line_ends


def _windows(s: int, e: int) -> list[tuple[int, int]]:
    if e - s <= WINDOW:
        return [(s, e)]
    out = [(i, i + WINDOW) for i in range(s, e - WINDOW, STRIDE)]
    out.append((e - WINDOW, e))
    return out


def spans(toks: list[str], channel: str, line_ends: list[int] | None = None) -> list[tuple[int, int]]:
    """Token ranges scored for a text: the whole prompt, or each sentence/line of a document."""
    n = len(toks)
    if channel != "document" or n <= MIN_NORM:
        return [(0, n)]
    cut = [t in _SENTENCE_END for t in toks]
    for e in line_ends or ():
        if 0 < e <= n:
            cut[e - 1] = True
    out: list[tuple[int, int]] = []
    start = 0
    for i, c in enumerate(cut):
        if c:
            if i + 1 - start > 1:
                out.extend(_windows(start, i + 1))
            start = i + 1
    if n > start:
        out.extend(_windows(start, n))
    return out or [(0, n)]
