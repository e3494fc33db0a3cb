"""A text's ASCII character kinds as numpy arrays, so detectors find candidates without a regex pass.

A regex whose first character is a set (``[0-9]``, ``[A-Z]``) costs ~5 ns per character of text, and
each detector used to pay that once. Here the text is classified once (``bytes.translate`` calls,
~1 ns per character) and each detector looks only at the few positions where its pattern can start,
then runs its own regex from there. The detectors' patterns are ASCII-only, so every other character
needs no kind: it is encoded as ``?`` (one byte per character, so byte offsets are text offsets).
"""

from __future__ import annotations

import numpy as np

from . import needles

__all__ = [
    "DIGIT",
    "DOT",
    "LOWER",
    "OTHER",
    "SMALL_TEXT",
    "SPACE",
    "UPPER",
    "CharClasses",
    "fold_case",
    "lower_same_length",
    "run_start",
]

# the kind of each character (``CharClasses.kinds``); PUNCT is the rest of a token's characters
OTHER, DIGIT, DOT, SPACE, UPPER, LOWER, PUNCT = range(7)


def _kind_of(b: int) -> int:
    c = chr(b)
    if "0" <= c <= "9":
        return DIGIT
    if "A" <= c <= "Z":
        return UPPER
    if "a" <= c <= "z":
        return LOWER
    return {".": DOT, " ": SPACE, "_": PUNCT, "-": PUNCT, "+": PUNCT, "/": PUNCT, "~": PUNCT}.get(c, OTHER)


_KINDS = bytes(_kind_of(b) for b in range(256))
_IS_DIGIT = bytes(1 if 0x30 <= b <= 0x39 else 0 for b in range(256))
_IS_TOKEN = np.array([k in (DIGIT, DOT, UPPER, LOWER, PUNCT) for k in range(8)], dtype=np.int8)  # [A-Za-z0-9_\-+/.~]
_PAD = b"\0" * 4
_DIGIT_BYTES = b"0123456789"
# Below this length a regex pass is cheaper than the numpy calls that find candidates (each ~1 µs):
# detectors then run their patterns over the whole text (same findings, the fast path for short texts).
SMALL_TEXT = 512


class CharClasses:
    """One text's ASCII digits and character kinds; build once and share between detectors.

    ``raw`` is the text as one byte per character (latin-1, "?" for anything above U+00FF), so a
    substring search for an ASCII needle in it finds what the same search in the text finds, at the
    same offsets, and faster when the text holds wide characters.
    """

    __slots__ = ("_codes", "_digits", "_exact", "_folded", "_kinds", "_lower", "digit_count", "raw", "small")

    def __init__(self, text: str) -> None:
        self.raw = text.encode("latin-1", "replace")
        self.small = len(self.raw) < SMALL_TEXT
        self._digits: np.ndarray | None = None
        if self.small:
            self.digit_count = len(self.raw) - len(self.raw.translate(None, _DIGIT_BYTES))
        else:
            self._digits = np.flatnonzero(np.frombuffer(self.raw.translate(_IS_DIGIT), dtype=np.bool_))
            self.digit_count = len(self._digits)
        self._kinds: np.ndarray | None = None
        self._codes: np.ndarray | None = None
        self._lower: bytes | None = None
        self._exact: frozenset[bytes] | None = None
        self._folded: frozenset[bytes] = frozenset()

    @property
    def exact(self) -> frozenset[bytes]:
        """The registered exact literals (``needles.register``) that ``raw`` holds."""
        if self._exact is None:
            self._exact, self._folded = needles.scan(self.raw, self._lower)
        return self._exact

    @property
    def folded(self) -> frozenset[bytes]:
        """The registered folded literals that ``raw`` holds, ignoring ASCII case."""
        if self._exact is None:
            self._exact, self._folded = needles.scan(self.raw, self._lower)
        return self._folded

    @property
    def digits(self) -> np.ndarray:
        """Offsets of the ASCII digits."""
        if self._digits is None:
            self._digits = np.flatnonzero(np.frombuffer(self.raw.translate(_IS_DIGIT), dtype=np.bool_))
        return self._digits

    @property
    def lower(self) -> bytes:
        """``raw`` with ASCII letters lower-cased: finds an ASCII cue word as ``text.lower()`` would,
        unless the word holds a "k" (the Kelvin sign lower-cases to one)."""
        if self._lower is None:
            self._lower = self.raw.lower()
        return self._lower

    @property
    def kinds(self) -> np.ndarray:
        """The kind of each character (``DIGIT``…), then 4 ``OTHER``: offsets up to 4 past either end
        (a negative index wraps into the padding) need no bounds check."""
        if self._kinds is None:
            self._kinds = np.frombuffer(self.raw.translate(_KINDS) + _PAD, dtype=np.uint8)
        return self._kinds

    @property
    def codes(self) -> np.ndarray:
        """``raw`` as uint8, padded like ``kinds``."""
        if self._codes is None:
            self._codes = np.frombuffer(self.raw + _PAD, dtype=np.uint8)
        return self._codes

    def positions(self, table: bytes) -> np.ndarray:
        """Offsets of the characters that ``table`` (a ``bytes.translate`` table of 0/1) marks."""
        return np.flatnonzero(np.frombuffer(self.raw.translate(table), dtype=np.bool_))

    def token_runs(self, min_len: int) -> list[tuple[int, int]]:
        """(start, end) of each maximal run of ``[A-Za-z0-9_\\-+/.~]`` at least ``min_len`` long."""
        inside = np.zeros(len(self.raw) + 2, dtype=np.int8)
        inside[1:-1] = _IS_TOKEN[self.kinds[: len(self.raw)]]
        edges = np.flatnonzero(np.diff(inside))
        starts, ends = edges[::2], edges[1::2]
        keep = ends - starts >= min_len
        return list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True))


def run_start(text: str, pos: int, chars: str) -> int:
    """The first offset of the run of ``chars`` that holds ``pos`` (``pos`` when the one before is not in it)."""
    while pos and text[pos - 1] in chars:
        pos -= 1
    return pos


def fold_case(text: str) -> str:
    """``text`` as a case-insensitive regex compares it, one character per character: a lower-case
    pattern matches this where the same pattern with ``(?i)`` matches ``text`` (several times faster).

    That is ``text.lower()``, except "İ" (compared as "i"), "ı" (matches "i") and "ſ" (matches "s").
    """
    if text.isascii():
        return text.lower()
    return text.replace("\u0130", "i").lower().replace("\u0131", "i").replace("\u017f", "s")


def lower_same_length(text: str) -> str:
    """``text.lower()`` with one character per character, so its offsets are the text's.

    "İ" is the one character whose lower case is two ("i" + a combining dot). It becomes the
    combining dot alone: no cue word holds an "i" followed by that dot, so the same cues are found,
    at the right offsets.
    """
    if "\u0130" in text:
        text = text.replace("\u0130", "\u0307")
    return text.lower()
