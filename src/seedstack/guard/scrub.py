"""Batch PII scrubbing for training data: redact many texts and report what was removed.

The report (counts per entity type, records touched) is what the data pipeline stores next to a
dataset version as its scrub report; it never contains the removed values.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from .engine import GuardEngine
from .normalize import to_text
from .pii import find_pii
from .redact import Redactor
from .types import Finding, resolve_overlaps

# Short records are scanned for PII many at a time, joined by a separator wider than any context window
# a PII rule looks at (48 characters before a number, 16 after) and that no pattern matches across:
# the per-call cost (gates, cue searches) is paid once per batch instead of once per record.
_SEP = "\n" * 64
_BATCH_CHARS = 1 << 16
_BATCH_RECORDS = 512
_POOL_MAX_RECORD = 1 << 14

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
    others = dets - {"pii"}
    it = iter(texts)
    while True:
        batch = list(islice(it, _BATCH_RECORDS))
        if not batch:
            return
        pii = _pooled_pii(engine, batch) if "pii" in dets else [[] for _ in batch]
        for text, pii_hits in zip(batch, pii, strict=True):
            if pii_hits is None:  # a long record: the engine's own head/tail windows apply
                findings = engine.scan(text, detectors=dets)
            elif others:
                # the order ``engine.scan`` gives: by position, other detectors first on a tie
                findings = sorted(engine.scan(text, detectors=others) + pii_hits, key=lambda f: (f.start, f.end))
            else:
                findings = pii_hits
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


def _pooled_pii(engine: GuardEngine, batch: list[str]) -> list[list[Finding] | None]:
    """PII findings per record (None: too long to pool), from one ``find_pii`` call per ~64 KB."""
    out: list[list[Finding] | None] = [None] * len(batch)
    group: list[int] = []
    size = 0
    limit = min(_POOL_MAX_RECORD, engine.max_scan_chars)
    for k, text in enumerate(batch):
        if len(text) > limit:
            continue
        group.append(k)
        size += len(text) + len(_SEP)
        if size >= _BATCH_CHARS:
            _scan_group(batch, group, out)
            group, size = [], 0
    if group:
        _scan_group(batch, group, out)
    return out


def _scan_group(batch: list[str], group: list[int], out: list[list[Finding] | None]) -> None:
    parts = [to_text(batch[k]) for k in group]
    pooled = _SEP.join(parts)
    starts: list[int] = []
    pos = 0
    for part in parts:
        starts.append(pos)
        pos += len(part) + len(_SEP)
    for k in group:
        out[k] = []
    for f in find_pii(pooled):
        i = bisect_right(starts, f.start) - 1
        base = starts[i]
        hits = out[group[i]]
        assert hits is not None
        hits.append(Finding(f.detector, f.type, f.start - base, f.end - base, f.score) if base else f)
