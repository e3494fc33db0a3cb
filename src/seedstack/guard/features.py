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

__all__ = ["MIN_NORM", "STRIDE", "WINDOW", "chunk_tokens", "document_tokens", "spans", "tokens"]

WINDOW = 64
STRIDE = 32
MIN_NORM = 8

# an email address and a redaction placeholder are one typed token each ("<email>"): the words around
# them carry the intent, while the address itself ("example", "com", "@") is noise the model must
# not learn as attack or benign evidence
_TOKEN = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+|<[a-z][a-z_]*_[0-9a-f]{1,16}>|\w+|[^\w\s]")
_SENTENCE_END = frozenset({".", "!", "?"})


def _typed(tok: str) -> str:
    if len(tok) > 1 and tok[0] == "<":
        return "<" + tok[1:-1].rsplit("_", 1)[0] + ">"
    if len(tok) > 1 and "@" in tok:
        return "<email>"
    return tok


def chunk_tokens(chunk: str) -> list[str]:
    """Tokens of one lower-cased whitespace-free chunk (the unit the run-time scorer caches)."""
    toks = _TOKEN.findall(chunk)
    if "@" in chunk or "<" in chunk:
        return [_typed(t) for t in toks]
    return toks


def tokens(normalized_text: str) -> list[str]:
    """Lower-cased word and single punctuation tokens of already-normalized text.

    The text is split on whitespace first and each chunk tokenized on its own, so the scorer can
    cache the tokens of a chunk it has seen (most chunks are common words).
    """
    out: list[str] = []
    for chunk in normalized_text.lower().split():
        out.extend(chunk_tokens(chunk))
    return out


def document_tokens(normalized_text: str) -> tuple[list[str], list[int]]:
    """Tokens plus the token offset at which each line ends (span boundaries for documents)."""
    toks: list[str] = []
    line_ends: list[int] = []
    for line in normalized_text.lower().split("\n"):
        for chunk in line.split():
            toks.extend(chunk_tokens(chunk))
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
