"""`bench run` against the project's own simulator server (what `seedstack simulate` serves)."""

from __future__ import annotations

import pytest

from seedstack.bench import SLO, Endpoint, LoadShape, run_benchmark, synthetic_prompts
from seedstack.config import SimulatorConfig
from seedstack.http.simulator_app import create_simulator_app
from tests.servers import serve_in_thread

pytestmark = pytest.mark.socket


@pytest.mark.parametrize("kind", ["chat", "completions"])
def test_bench_reads_the_simulators_streams_on_both_endpoints(kind: str) -> None:
    cfg = SimulatorConfig(ttft_ms=30, itl_ms=5, ttft_per_prompt_token_ms=0, ttft_per_running_request_ms=0)
    with serve_in_thread(create_simulator_app(cfg)) as url:
        doc = run_benchmark(
            Endpoint(url + "/v1", "simulator", kind=kind),  # type: ignore[arg-type]
            synthetic_prompts(3, 32, 6),
            LoadShape(concurrency=3, requests=9),
            SLO(),
        )
    s = doc["summary"]
    assert s["completed"] == 9 and s["failed"] == 0
    assert s["total_output_tokens"] == 9 * 6
    assert s["ttft_ms"]["p50"] >= 30  # the simulator never answers before its configured TTFT
    assert s["e2e_ms"]["p50"] >= 30 + 5 * 5
    assert s["itl_ms"]["mean"] is not None and s["tpot_ms"]["mean"] is not None
    assert doc["url"].endswith("/v1/chat/completions" if kind == "chat" else "/v1/completions")
