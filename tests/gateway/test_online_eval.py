"""Online evaluation is wired into the gateway: kept, successful requests get judged in the background."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.gateway.conftest import GatewayFactory
from tests.servers import MockUpstream, serve_in_thread

pytestmark = pytest.mark.socket


def test_sampled_requests_are_judged_and_scored(gateway_factory: GatewayFactory) -> None:
    judge = MockUpstream(text="The answer is on topic. VERDICT: PASS")
    with serve_in_thread(judge) as judge_url:
        evals = {
            "judge": {"base_url": judge_url + "/v1", "model": "judge"},
            "online": {"enabled": True, "sample_rate": 1.0},
        }
        with gateway_factory(evals=evals, telemetry={"payload_sample_rate": 1.0}) as gw:
            body = {"model": "demo", "messages": [{"role": "user", "content": "what is seedstack?"}], "max_tokens": 4}
            r = httpx.post(gw.v1 + "/chat/completions", json=body, headers=gw.headers())
            rid = r.headers["x-request-id"]
            store = gw.app.ctx.store
            deadline = time.time() + 10
            rows: list[tuple] = []  # type: ignore[type-arg]
            while time.time() < deadline and not rows:
                rows = store.query("SELECT request_id, score FROM eval_scores")
                time.sleep(0.1)
            assert rows == [(rid, 1.0)]
            asked = judge.seen[-1]["messages"][-1]["content"]
            assert "what is seedstack?" in asked
