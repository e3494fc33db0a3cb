"""Replacing findings with typed placeholders (``<EMAIL_1>``) or keyed pseudonyms (``<EMAIL_9f2c1a7b>``).

Placeholders are numbered per type in order of first appearance and a repeated value reuses its
placeholder, so the model still sees that two mentions are the same person. HMAC pseudonyms are stable
across requests and datasets for one key, so joins on a scrubbed column still work, while the key
holder alone can link a pseudonym to a value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from .types import Finding

__all__ = ["PLACEHOLDER_RE", "Redactor", "restore_placeholders"]

PLACEHOLDER_RE = re.compile(r"<[A-Z][A-Z_]*_[0-9a-f]{1,16}>")
_REDACTED_DETECTORS = frozenset({"pii", "secrets", "leakage"})


@dataclass
class Redactor:
    """Redaction state shared across the messages of one request (numbering and the restore map)."""

    mode: str = "placeholder"
    hmac_key: bytes | None = None
    restore: dict[str, str] = field(default_factory=dict)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in ("placeholder", "hmac"):
            raise ValueError(f"unknown redaction mode {self.mode!r}: use 'placeholder' or 'hmac'")
        if self.mode == "hmac" and not self.hmac_key:
            raise ValueError("hmac redaction needs a key (for example from an env var secret)")

    def placeholder(self, type_: str, value: str) -> str:
        key = (type_, value)
        ph = self._by_value.get(key)
        if ph is None:
            if self.mode == "hmac":
                assert self.hmac_key is not None
                digest = hmac.new(self.hmac_key, f"{type_}:{value}".encode(), hashlib.sha256).hexdigest()[:8]
                ph = f"<{type_}_{digest}>"
            else:
                n = self._counts.get(type_, 0) + 1
                self._counts[type_] = n
                ph = f"<{type_}_{n}>"
            self._by_value[key] = ph
            self.restore[ph] = value
        return ph

    def apply(self, text: str, findings: list[Finding]) -> str:
        """``text`` with every non-overlapping pii/secrets/leakage finding replaced, left to right."""
        spans = sorted((f for f in findings if f.detector in _REDACTED_DETECTORS), key=lambda f: (f.start, -f.end))
        if not spans:
            return text
        parts: list[str] = []
        pos = 0
        for f in spans:
            if f.start < pos:
                continue
            parts.append(text[pos : f.start])
            parts.append(self.placeholder(f.type, text[f.start : f.end]))
            pos = f.end
        parts.append(text[pos:])
        return "".join(parts)


def restore_placeholders(text: str, restore: dict[str, str]) -> str:
    """Put originals back where the model repeated a placeholder; unknown placeholders stay as they are."""
    if not restore or "<" not in text:
        return text
    return PLACEHOLDER_RE.sub(lambda m: restore.get(m.group(), m.group()), text)
