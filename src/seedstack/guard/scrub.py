"""Batch PII scrubbing for training data: redact many texts and report what was removed.

The report (counts per entity type, records touched) is what the data pipeline stores next to a
dataset version as its scrub report; it never contains the removed values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .engine import GuardEngine
from .redact import Redactor
from .types import Finding, resolve_overlaps

__all__ = ["ScrubReport", "scrub_texts"]


class _Recognizer(Protocol):
    def find(self, text: str) -> list[Finding]: ...


@dataclass
class ScrubReport:
    records: int = 0
    records_changed: int = 0
    chars: int = 0
    types: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "records_changed": self.records_changed,
            "chars": self.chars,
            "types": dict(sorted(self.types.items())),
        }


def scrub_texts(
    engine: GuardEngine,
    texts: Iterable[str],
    report: ScrubReport,
    *,
    detectors: frozenset[str] = frozenset({"pii", "secrets"}),
    mode: str = "placeholder",
    hmac_key: bytes | None = None,
    ner: _Recognizer | None = None,
) -> Iterator[str]:
    """Yield each text redacted; placeholders are numbered per record, HMAC pseudonyms are global."""
    dets = set(detectors)
    for text in texts:
        findings = engine.scan(text, detectors=dets)
        if ner is not None:
            findings = resolve_overlaps(findings + ner.find(text))
        report.records += 1
        report.chars += len(text)
        if findings:
            report.records_changed += 1
            report.types.update(f.type for f in findings)
            yield Redactor(mode, hmac_key).apply(text, findings)
        else:
            yield text
