"""The gate fails a real regression, passes noise, names flipped cases and writes JUnit XML."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET

import pytest

from seedstack.evals import bootstrap_ci, gate, junit_xml, paired_bootstrap, sign_flip_pvalue


def _run(pass_rate: float, n: int = 200, seed: int = 0) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    return {"exact": {f"c{i}": float(rng.random() < pass_rate) for i in range(n)}}


def test_bootstrap_ci_brackets_the_mean_and_narrows_with_more_cases() -> None:
    small = bootstrap_ci([1.0, 0.0] * 10)
    large = bootstrap_ci([1.0, 0.0] * 200)
    assert small[1] < 0.5 < small[2]
    assert (large[2] - large[1]) < (small[2] - small[1]) / 3


def test_paired_statistics_see_a_consistent_drop() -> None:
    base = [1.0] * 100
    cand = [1.0] * 90 + [0.0] * 10
    delta, _low, high = paired_bootstrap(cand, base)
    assert delta == pytest.approx(-0.10)
    assert high < 0
    assert sign_flip_pvalue(cand, base) < 0.01
    assert sign_flip_pvalue(base, base) == 1.0


def test_planted_regression_fails_and_lists_flipped_cases() -> None:
    base = _run(0.8)
    cand = {"exact": dict(base["exact"])}
    passing = [c for c, s in cand["exact"].items() if s == 1.0]
    for c in passing[:12]:  # 12 of 200 cases = a 6-point drop
        cand["exact"][c] = 0.0
    result = gate(base, cand, max_drop=0.02)
    assert result.failed
    assert sorted(result.flipped_worse) == sorted(passing[:12])
    overall = next(c for c in result.checks if c.metric == "overall")
    assert overall.delta == pytest.approx(-0.06)


def test_unchanged_model_passes_and_small_drops_within_margin_pass() -> None:
    base = _run(0.8)
    assert not gate(base, base).failed
    cand = {"exact": dict(base["exact"])}
    for c in [c for c, s in cand["exact"].items() if s == 1.0][:2]:  # 1 point < 2 allowed
        cand["exact"][c] = 0.0
    assert not gate(base, cand, max_drop=0.02).failed


def test_junit_xml_reports_failures_for_ci() -> None:
    base = _run(0.9)
    cand = {"exact": {c: 0.0 for c in base["exact"]}}
    root = ET.fromstring(junit_xml(gate(base, cand)))
    suite = root.find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) >= 2
    names = {tc.get("name") for tc in suite.iter("testcase") if tc.find("failure") is not None}
    assert {"overall", "exact"} <= names
