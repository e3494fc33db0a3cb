"""Metric definitions match `vllm bench serve`: users compare our numbers with vLLM's."""

from __future__ import annotations

import pytest

from seedstack.bench import SLO, LoadShape, RequestResult, arrival_times, summarize
from seedstack.errors import ConfigError


def _req(i: int, ttft: float, gaps: list[float], tokens: int | None = None) -> RequestResult:
    r = RequestResult(i, 0.0, sent_s=0.001, ok=True, ttft_s=ttft, itl_s=gaps)
    r.latency_s = ttft + sum(gaps)
    r.output_tokens = tokens if tokens is not None else len(gaps) + 1
    return r


def test_tpot_excludes_the_first_token_and_itl_pools_every_gap() -> None:
    a = _req(0, 0.100, [0.020] * 9)  # 10 tokens, TPOT 20 ms
    b = _req(1, 0.300, [0.040] * 4)  # 5 tokens, TPOT 40 ms
    s = summarize([a, b], duration_s=1.0, slo=SLO())
    assert s["tpot_ms"]["mean"] == pytest.approx(30.0)
    # ITL pools 13 gaps: 9 of 20 ms, 4 of 40 ms
    assert s["itl_ms"]["mean"] == pytest.approx((9 * 20 + 4 * 40) / 13)
    assert s["ttft_ms"]["p50"] == pytest.approx(200.0)
    assert s["e2e_ms"]["mean"] == pytest.approx((280 + 460) / 2)
    assert s["output_throughput"] == pytest.approx(15.0)


def test_single_token_requests_have_no_tpot() -> None:
    s = summarize([_req(0, 0.05, [], tokens=1)], 1.0, SLO())
    assert s["tpot_ms"]["mean"] is None
    assert s["completed"] == 1


def test_goodput_counts_only_requests_meeting_every_slo() -> None:
    fast = _req(0, 0.05, [0.01] * 4)
    slow_first = _req(1, 0.5, [0.01] * 4)
    slow_tokens = _req(2, 0.05, [0.1] * 4)
    failed = RequestResult(3, 0.0, sent_s=0.0, ok=False, error="http 500: boom")
    s = summarize([fast, slow_first, slow_tokens, failed], 2.0, SLO(ttft_ms=100, tpot_ms=50))
    assert s["goodput"] == pytest.approx(0.5)
    assert s["good_fraction"] == pytest.approx(0.25)
    assert s["failed"] == 1 and s["errors"] == {"http 500": 1}


def test_constant_arrivals_are_evenly_spaced_and_poisson_mean_matches_rate() -> None:
    const = arrival_times(LoadShape(rate=10, arrival="constant", requests=5))
    assert const == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    poisson = arrival_times(LoadShape(rate=50, requests=5001, seed=3))
    assert poisson[-1] / 5000 == pytest.approx(1 / 50, rel=0.05)
    by_time = arrival_times(LoadShape(rate=10, arrival="constant", duration_s=1.0))
    assert len(by_time) == 10


def test_a_shape_without_rate_or_concurrency_is_refused_with_a_hint() -> None:
    with pytest.raises(ConfigError, match="--rate"):
        LoadShape(requests=10)
    with pytest.raises(ConfigError, match="--requests"):
        LoadShape(rate=1)
