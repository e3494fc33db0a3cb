"""Keys' rate limits and budgets: exact under concurrency, on every limiter backend."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.gateway.conftest import GatewayFactory, RunningGateway

pytestmark = pytest.mark.socket

PRICED = {
    "demo": {
        "backends": [
            {
                "provider": "simulator",
                "name": "priced-sim",
                "max_in_flight": 512,
                "price": {"input_per_1m": 1000.0, "output_per_1m": 1000.0},  # $0.001 per token
                "simulator": {"ttft_ms": 30, "itl_ms": 2, "max_concurrency": 512},
            }
        ]
    }
}


async def _storm(gw: RunningGateway, key: str, n: int, *, stream: bool) -> list[httpx.Response]:
    body = {
        "model": "demo",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 10,
        "stream": stream,
    }
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one() -> httpx.Response:
            r = await client.post(gw.v1 + "/chat/completions", json=body, headers=gw.headers(key))
            await r.aread()
            return r

        return list(await asyncio.gather(*(one() for _ in range(n))))


def _assert_budget_holds(gw: RunningGateway, budget: float, n: int) -> None:
    key = gw.new_key(role="app", budget_usd_day=budget, name="budgeted")
    responses = asyncio.run(_storm(gw, key, n, stream=True))
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(ok) + len(refused) == n
    assert ok and refused, "the budget should admit some streams and refuse the rest"
    assert all(r.json()["error"]["code"] == "budget_exceeded" for r in refused)
    assert all("retry-after" in r.headers for r in refused)
    records = [r for r in gw.records(n) if r["key_id"] and r["status_code"] == 200]
    spent = sum(r["cost_usd"] for r in records)
    assert len(records) == len(ok)
    assert spent <= budget + 1e-9
    assert spent == pytest.approx(0.011 * len(ok))  # 1 prompt token + 10 output tokens each


@pytest.mark.parametrize("backend", ["memory", "store"])
def test_200_concurrent_streams_never_overspend(gateway_factory: GatewayFactory, backend: str) -> None:
    with gateway_factory(PRICED, limits={"backend": backend}) as gw:
        _assert_budget_holds(gw, budget=1.0, n=200)


@pytest.mark.redis
def test_200_concurrent_streams_never_overspend_redis(gateway_factory: GatewayFactory, redis_url: str) -> None:
    with gateway_factory(PRICED, limits={"backend": "redis", "redis_url": redis_url}) as gw:
        _assert_budget_holds(gw, budget=1.0, n=200)


@pytest.mark.postgres
def test_200_concurrent_streams_never_overspend_postgres(gateway_factory: GatewayFactory, pg_url: str) -> None:
    with gateway_factory(PRICED, store=pg_url, limits={"backend": "store"}) as gw:
        _assert_budget_holds(gw, budget=1.0, n=200)


def test_spent_budget_survives_a_restart(gateway_factory: GatewayFactory, sqlite_url: str) -> None:
    with gateway_factory(PRICED) as gw:
        key = gw.new_key(role="app", budget_usd_day=0.05)
        body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
        codes = [
            httpx.post(gw.v1 + "/chat/completions", json=body, headers=gw.headers(key)).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 200]  # 3 × $0.011 spent, $0.017 left: the next reservation ($0.024) fails
        gw.records()
    with gateway_factory(PRICED) as gw2:  # same SQLite file: a new process would see the same spend
        r = httpx.post(gw2.v1 + "/chat/completions", json=body, headers=gw2.headers(key))
        assert r.status_code == 429 and r.json()["error"]["code"] == "budget_exceeded"


def test_rpm_and_tpm_limits(demo_gateway: RunningGateway) -> None:
    body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    key = demo_gateway.new_key(role="app", rpm=3)
    codes = [
        httpx.post(demo_gateway.v1 + "/chat/completions", json=body, headers=demo_gateway.headers(key))
        for _ in range(4)
    ]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert "3 requests per minute" in codes[-1].json()["error"]["message"]
    assert int(codes[-1].headers["retry-after"]) >= 1

    tkey = demo_gateway.new_key(role="app", tpm=50)
    big = {**body, "max_tokens": 100}
    r = httpx.post(demo_gateway.v1 + "/chat/completions", json=big, headers=demo_gateway.headers(tkey))
    assert r.status_code == 429 and "tokens per minute" in r.json()["error"]["message"]
    assert (
        httpx.post(demo_gateway.v1 + "/chat/completions", json=body, headers=demo_gateway.headers(tkey)).status_code
        == 200
    )


def test_budgeted_requests_without_max_tokens_are_capped(gateway_factory: GatewayFactory) -> None:
    with gateway_factory(PRICED, limits={"budget_max_tokens": 7}) as gw:
        key = gw.new_key(role="app", budget_usd_day=5.0)
        body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}]}
        r = httpx.post(gw.v1 + "/chat/completions", json=body, headers=gw.headers(key))
        assert r.json()["usage"]["completion_tokens"] == 7
