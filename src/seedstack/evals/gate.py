"""``eval gate``: fail CI when a score drops by more than the allowed margin, with confidence.

The rule, per metric (the overall score and each scorer), over the cases both runs share:
the candidate fails when its mean is lower than the baseline's by more than ``max_drop`` **and** a
paired sign-flip test says the drop is not chance (one-sided p < ``alpha``). Requiring both keeps a
noisy but unchanged model green (a big-looking drop on few flips is not significant) and a tiny but
consistent drop green too (it is below the margin the team agreed to tolerate).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any

from .stats import paired_bootstrap, sign_flip_pvalue

__all__ = ["GateCheck", "GateResult", "gate", "junit_xml"]

OVERALL = "overall"


@dataclass(slots=True)
class GateCheck:
    metric: str
    n: int
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    failed: bool


@dataclass(slots=True)
class GateResult:
    checks: list[GateCheck]
    flipped_worse: list[str] = field(default_factory=list)
    flipped_better: list[str] = field(default_factory=list)
    max_drop: float = 0.02
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.failed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "failed": self.failed,
            "max_drop": self.max_drop,
            "alpha": self.alpha,
            "checks": [asdict(c) for c in self.checks],
            "flipped_worse": self.flipped_worse,
            "flipped_better": self.flipped_better,
            "notes": self.notes,
        }


def _overall(scores: dict[str, dict[str, float]]) -> dict[str, float]:
    per_case: dict[str, list[float]] = {}
    for by_case in scores.values():
        for case_id, s in by_case.items():
            per_case.setdefault(case_id, []).append(s)
    return {c: sum(v) / len(v) for c, v in per_case.items()}


def gate(
    baseline: dict[str, dict[str, float]],
    candidate: dict[str, dict[str, float]],
    *,
    max_drop: float = 0.02,
    alpha: float = 0.05,
    samples: int = 2000,
    seed: int = 0,
) -> GateResult:
    """Compare two runs' ``{scorer: {case_id: score}}`` maps (as ``EvalRepository.case_scores`` gives)."""
    metrics = {OVERALL: (_overall(baseline), _overall(candidate))}
    for name in sorted(set(baseline) & set(candidate)):
        metrics[name] = (baseline[name], candidate[name])
    result = GateResult([], max_drop=max_drop, alpha=alpha)
    for name, (base, cand) in metrics.items():
        common = sorted(set(base) & set(cand))
        if not common:
            result.notes.append(f"{name}: the runs share no case; nothing to compare")
            continue
        b = [base[c] for c in common]
        k = [cand[c] for c in common]
        delta, low, high = paired_bootstrap(k, b, samples=samples, seed=seed)
        p = sign_flip_pvalue(k, b, seed=seed)
        failed = -delta > max_drop and p < alpha
        result.checks.append(
            GateCheck(name, len(common), sum(b) / len(b), sum(k) / len(k), delta, low, high, p, failed)
        )
        if name == OVERALL:
            result.flipped_worse = [c for c in common if base[c] >= 0.5 > cand[c]]
            result.flipped_better = [c for c in common if cand[c] >= 0.5 > base[c]]
            missing = len(set(base) ^ set(cand))
            if missing:
                result.notes.append(f"{missing} case(s) are in only one of the runs and were left out")
    return result


def junit_xml(result: GateResult, suite: str = "seedstack-eval-gate") -> str:
    """One test per metric and one per case that flipped to failing, for CI test reports."""
    root = ET.Element("testsuites")
    failures = sum(c.failed for c in result.checks) + len(result.flipped_worse)
    ts = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(result.checks) + len(result.flipped_worse)),
        failures=str(failures),
        errors="0",
    )
    for c in result.checks:
        tc = ET.SubElement(ts, "testcase", classname=f"{suite}.metrics", name=c.metric)
        msg = (
            f"{c.metric}: {c.baseline:.4f} -> {c.candidate:.4f} (delta {c.delta * 100:+.2f} points, "
            f"95% CI [{c.ci_low * 100:+.2f}, {c.ci_high * 100:+.2f}], p={c.p_value:.4f}, n={c.n}, "
            f"allowed drop {result.max_drop * 100:.2f} points)"
        )
        if c.failed:
            ET.SubElement(tc, "failure", message=msg, type="regression").text = msg
        else:
            ET.SubElement(tc, "system-out").text = msg
    for case_id in result.flipped_worse:
        tc = ET.SubElement(ts, "testcase", classname=f"{suite}.cases", name=case_id)
        ET.SubElement(tc, "failure", message="passed on the baseline, fails now", type="flipped")
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
