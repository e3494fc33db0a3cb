"""The values the guard hands back: findings, per-detector verdicts and per-request results.

They are plain dataclasses so the gateway can put ``Verdict.to_dict()`` straight on the request record
and the CLI can print ``Finding.to_dict()`` as JSON lines.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DETECTORS", "Finding", "InputVerdict", "OutputVerdict", "Verdict", "resolve_overlaps"]

DETECTORS = ("injection", "pii", "secrets", "leakage")


@dataclass(frozen=True, slots=True)
class Finding:
    """One hit: ``text[start:end]`` is the offending span (the whole text for an injection)."""

    detector: str
    type: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Verdict:
    """What one detector decided for one direction of one request; never holds the offending text."""

    detector: str
    direction: str
    action: str
    types: dict[str, int] = field(default_factory=dict)
    score: float = 0.0
    ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "direction": self.direction,
            "action": self.action,
            "types": dict(self.types),
            "score": round(self.score, 4),
            "ms": round(self.ms, 4),
        }


@dataclass(slots=True)
class InputVerdict:
    """The result of guarding a prompt.

    ``messages`` is a new list safe to send upstream; ``restore`` maps each placeholder to its
    original so the response can be de-pseudonymized; ``blocked`` names the detector that blocked.
    """

    blocked: str | None
    messages: list[dict[str, Any]]
    restore: dict[str, str]
    verdicts: list[Verdict]

    @property
    def flagged(self) -> bool:
        return any(v.action in ("flag", "block") for v in self.verdicts)


@dataclass(slots=True)
class OutputVerdict:
    """The result of guarding a complete (non-streamed) model output; ``text`` is safe to return."""

    blocked: str | None
    text: str
    verdicts: list[Verdict]

    @property
    def flagged(self) -> bool:
        return any(v.action in ("flag", "block") for v in self.verdicts)


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the best of overlapping findings (higher score, then longer); sorted by position.

    Findings are swept in position order into clusters of mutually overlapping spans, and the
    greedy choice runs within each cluster only, so a batch with thousands of findings stays fast.
    """
    if len(findings) < 2:
        return findings
    ordered = sorted(findings, key=lambda f: (f.start, f.end))
    kept: list[Finding] = []
    cluster: list[Finding] = [ordered[0]]
    cluster_end = ordered[0].end
    for f in ordered[1:]:
        if f.start < cluster_end:
            cluster.append(f)
            cluster_end = max(cluster_end, f.end)
            continue
        kept.extend(_best_of(cluster))
        cluster, cluster_end = [f], f.end
    kept.extend(_best_of(cluster))
    return kept


def _best_of(cluster: list[Finding]) -> list[Finding]:
    if len(cluster) == 1:
        return cluster
    chosen: list[Finding] = []
    for f in sorted(cluster, key=lambda f: (-f.score, -(f.end - f.start), f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in chosen):
            chosen.append(f)
    chosen.sort(key=lambda f: f.start)
    return chosen
