"""The load generator over a real socket: it measures what the server did, and reports failures."""

from __future__ import annotations

import pytest

from seedstack.bench import SLO, Endpoint, LoadShape, run_benchmark, synthetic_prompts

from .sse_server import serve

pytestmark = pytest.mark.socket


def test_open_loop_measures_the_servers_ttft_and_itl() -> None:
    with serve(ttft_ms=60, itl_ms=15) as url:
        doc = run_benchmark(
            Endpoint(url, "m"),
            synthetic_prompts(4, 16, 8),
            LoadShape(rate=40, arrival="constant", requests=20),
            SLO(e2e_ms=1000),
        )
    s = doc["summary"]
    assert s["completed"] == 20 and s["failed"] == 0
    assert s["ttft_ms"]["p50"] == pytest.approx(60, rel=0.25)
    assert s["itl_ms"]["p50"] == pytest.approx(15, rel=0.25)
    assert s["tpot_ms"]["p50"] == pytest.approx(15, rel=0.25)
    assert s["total_output_tokens"] == 20 * 8  # from the server's usage chunk
    assert s["total_input_tokens"] > 0
    assert len(doc["requests"]) == 20
    assert doc["client"]["behind"] is False


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
    assert s["ttft_ms"]["p50"] == pytest.approx(s["e2e_ms"]["p50"])


def test_an_unreachable_endpoint_fails_requests_not_the_run() -> None:
    doc = run_benchmark(
        Endpoint("http://127.0.0.1:9/v1", "m"),
        synthetic_prompts(1, 4, 4),
        LoadShape(concurrency=1, requests=2),
        SLO(),
    )
    assert doc["summary"]["failed"] == 2
    assert "ClientConnectorError" in doc["requests"][0]["error"]
