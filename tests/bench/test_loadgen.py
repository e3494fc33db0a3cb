"""The load generator over a real socket: it measures what the server did, and reports failures."""

from __future__ import annotations

import pytest

from seedstack.bench import SLO, Endpoint, LoadShape, run_benchmark, run_load_sync, synthetic_prompts

from .sse_server import serve

pytestmark = pytest.mark.socket


def test_open_loop_timings_follow_the_servers_schedule_and_the_vllm_identities() -> None:
    """Lower bounds the server guarantees, and identities that hold by definition (no timing race)."""
    with serve(ttft_ms=60, itl_ms=15) as url:
        load = run_load_sync(
            Endpoint(url, "m"), synthetic_prompts(4, 16, 8), LoadShape(rate=40, arrival="constant", requests=20)
        )
    assert len(load.results) == 20 and all(r.ok for r in load.results)
    for r in load.results:
        assert r.ttft_s >= 0.060  # the server never sends its first token earlier
        assert r.latency_s >= 0.060 + 7 * 0.015
        assert len(r.itl_s) == 7  # 8 text chunks -> 7 gaps; role and usage chunks are not tokens
        # E2E ends at the last data chunk (the usage chunk here), as in vLLM, so the gaps fit inside it
        assert sum(r.itl_s) <= r.latency_s - r.ttft_s + 1e-9
        assert r.tpot_s == pytest.approx((r.latency_s - r.ttft_s) / 7)
        assert r.output_tokens == 8 and r.prompt_tokens > 0  # from the server's usage chunk
        assert r.sent_s >= r.scheduled_s
    assert [round(r.scheduled_s, 3) for r in load.results[:3]] == [0.0, 0.025, 0.05]


def test_run_document_carries_summary_rows_and_client_health() -> None:
    with serve(ttft_ms=5, itl_ms=1) as url:
        doc = run_benchmark(
            Endpoint(url, "m"), synthetic_prompts(2, 8, 4), LoadShape(rate=50, requests=10), SLO(e2e_ms=10_000)
        )
    s = doc["summary"]
    assert s["completed"] == 10 and s["total_output_tokens"] == 40
    assert s["goodput"] > 0 and s["good_fraction"] == 1.0
    assert len(doc["requests"]) == 10 and doc["shape"]["mode"] == "open"
    assert set(doc["client"]) == {"lag_p99_ms", "max_lag_ms", "behind", "warning"}


def test_closed_loop_keeps_concurrency_and_counts_http_errors() -> None:
    with serve(ttft_ms=5, itl_ms=1, fail_every=5) as url:
        doc = run_benchmark(
            Endpoint(url, "m"), synthetic_prompts(2, 8, 4), LoadShape(concurrency=4, requests=20), SLO()
        )
    s = doc["summary"]
    assert s["completed"] + s["failed"] == 20
    assert s["failed"] == 4
    assert s["errors"] == {"http 500": 4}


def test_non_streaming_requests_report_ttft_equal_to_e2e() -> None:
    with serve(ttft_ms=20, itl_ms=2) as url:
        doc = run_benchmark(
            Endpoint(url, "m", stream=False),
            synthetic_prompts(1, 8, 5),
            LoadShape(concurrency=1, requests=3),
            SLO(),
        )
    s = doc["summary"]
    assert s["completed"] == 3
    assert s["ttft_ms"]["p50"] == s["e2e_ms"]["p50"]
    assert s["total_output_tokens"] == 15


def test_an_unreachable_endpoint_fails_requests_not_the_run() -> None:
    doc = run_benchmark(
        Endpoint("http://127.0.0.1:9/v1", "m"),
        synthetic_prompts(1, 4, 4),
        LoadShape(concurrency=1, requests=2),
        SLO(),
    )
    assert doc["summary"]["failed"] == 2
    assert "ClientConnectorError" in doc["requests"][0]["error"]
