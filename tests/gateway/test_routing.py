"""Routing: fallback on connect/timeout/5xx, never on 4xx; retries; breaker; saturation; the route record."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.gateway.conftest import GatewayFactory, openai_backend
from tests.servers import MockUpstream, free_port, serve_in_thread

pytestmark = pytest.mark.socket

CHAT = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
FAST = {"connect": 0.5, "first_token": 0.5, "total": 2}


def _route(rec: dict) -> list[dict]:
    return json.loads(rec["route"])


@pytest.mark.parametrize("failure", ["500", "connect", "hang", "hang_stream"])
def test_falls_back_to_the_next_backend_and_records_why(gateway_factory: GatewayFactory, failure: str) -> None:
    bad = MockUpstream(failure if failure != "connect" else "ok")
    good = MockUpstream(text="from the second")
    with serve_in_thread(bad) as bad_url, serve_in_thread(good) as good_url:
        first_url = f"http://127.0.0.1:{free_port()}/v1" if failure == "connect" else bad_url + "/v1"
        models = {
            "chat": {
                "backends": [
                    openai_backend(first_url, name="a", retries=0, timeouts=FAST),
                    openai_backend(good_url + "/v1", name="b"),
                ]
            }
        }
        with gateway_factory(models) as gw:
            stream = failure == "hang_stream"
            r = httpx.post(
                gw.v1 + "/chat/completions", json={**CHAT, "stream": stream}, headers=gw.headers(), timeout=10
            )
            assert r.status_code == 200
            assert "second" in r.text
            rec = gw.records()[-1]
            route = _route(rec)
            expected = {"500": "5xx", "connect": "connect", "hang": "timeout", "hang_stream": "timeout"}[failure]
            assert [(a["backend"], a["outcome"]) for a in route] == [("a", expected), ("b", "ok")]
            assert rec["backend"] == "b" and rec["status_code"] == 200


def test_4xx_is_returned_as_is_without_fallback(gateway_factory: GatewayFactory) -> None:
    bad, good = MockUpstream("400"), MockUpstream()
    with serve_in_thread(bad) as a, serve_in_thread(good) as b:
        models = {"chat": {"backends": [openai_backend(a + "/v1", name="a"), openai_backend(b + "/v1", name="b")]}}
        with gateway_factory(models) as gw:
            r = httpx.post(gw.v1 + "/chat/completions", json=CHAT, headers=gw.headers())
            assert r.status_code == 400 and r.json()["error"]["code"] == "upstream_400"
            assert good.calls == 0 and bad.calls == 1
            rec = gw.records()[-1]
            assert [a["outcome"] for a in _route(rec)] == ["4xx"] and rec["status_code"] == 400


def test_retries_then_gives_up_with_502_in_openai_shape(gateway_factory: GatewayFactory) -> None:
    bad = MockUpstream("500")
    with serve_in_thread(bad) as a:
        models = {"chat": {"backends": [openai_backend(a + "/v1", name="a", retries=2)]}}
        with gateway_factory(models, routing={"retry_backoff_ms": 1}) as gw:
            r = httpx.post(gw.v1 + "/chat/completions", json=CHAT, headers=gw.headers())
            assert r.status_code == 502
            err = r.json()["error"]
            assert err["code"] == "upstream_failed" and "a (5xx)" in err["message"]
            assert bad.calls == 3  # one try + two retries
            assert [a["outcome"] for a in _route(gw.records()[-1])] == ["5xx", "5xx", "5xx"]


def test_timeout_after_all_fallbacks_is_a_504(gateway_factory: GatewayFactory) -> None:
    with serve_in_thread(MockUpstream("hang")) as a:
        models = {"chat": {"backends": [openai_backend(a + "/v1", retries=0, timeouts=FAST)]}}
        with gateway_factory(models) as gw:
            r = httpx.post(gw.v1 + "/chat/completions", json=CHAT, headers=gw.headers(), timeout=10)
            assert r.status_code == 504 and r.json()["error"]["code"] == "upstream_timeout"


def test_circuit_opens_after_consecutive_failures(gateway_factory: GatewayFactory) -> None:
    bad, good = MockUpstream("500"), MockUpstream()
    with serve_in_thread(bad) as a, serve_in_thread(good) as b:
        models = {
            "chat": {
                "backends": [
                    openai_backend(a + "/v1", name="a", retries=0),
                    openai_backend(b + "/v1", name="b"),
                ]
            }
        }
        with gateway_factory(models, routing={"breaker_failures": 3, "breaker_cooldown_s": 60}) as gw:
            for _ in range(5):
                assert httpx.post(gw.v1 + "/chat/completions", json=CHAT, headers=gw.headers()).status_code == 200
            assert bad.calls == 3  # after 3 failures the circuit is open and 'a' is skipped
            outcomes = [_route(r)[0]["outcome"] for r in gw.records()]
            assert outcomes == ["5xx", "5xx", "5xx", "circuit_open", "circuit_open"]
            assert 'seedstack_backend_circuit_open{backend="a"} 1.0' in httpx.get(gw.url + "/metrics").text


def test_weights_spread_traffic(gateway_factory: GatewayFactory) -> None:
    a, b = MockUpstream(), MockUpstream()
    with serve_in_thread(a) as ua, serve_in_thread(b) as ub:
        models = {"chat": {"backends": [openai_backend(ua + "/v1", weight=1), openai_backend(ub + "/v1", weight=3)]}}
        with gateway_factory(models) as gw, httpx.Client() as client:
            for _ in range(80):
                client.post(gw.v1 + "/chat/completions", json=CHAT, headers=gw.headers())
            assert a.calls + b.calls == 80
            assert b.calls > a.calls > 0


def test_saturated_backend_queues_then_refuses_with_503(gateway_factory: GatewayFactory) -> None:
    models = {
        "chat": {
            "backends": [
                {
                    "provider": "simulator",
                    "name": "sim",
                    "max_in_flight": 1,
                    "simulator": {"ttft_ms": 400, "itl_ms": 0},
                }
            ]
        }
    }
    with gateway_factory(models, routing={"queue_timeout_s": 0.1}) as gw:

        def call(_: int) -> int:
            return httpx.post(
                gw.v1 + "/chat/completions", json={**CHAT, "max_tokens": 1}, headers=gw.headers(), timeout=10
            ).status_code

        with ThreadPoolExecutor(3) as pool:
            codes = sorted(pool.map(call, range(3)))
        assert codes[0] == 200 and 503 in codes
        refused = [r for r in gw.records() if r["status_code"] == 503]
        assert refused and refused[0]["error_class"] == "NoBackendAvailableError"
        assert refused[0]["queue_ms"] is None or refused[0]["queue_ms"] >= 0
