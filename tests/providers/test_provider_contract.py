"""One contract, every provider: the simulator in-process and the openai provider over a real socket
(talking to the simulator's HTTP server, and to a closed port for connect errors)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import orjson
import pytest
from tests.servers import free_port, serve_in_thread

from seedstack.config import BackendConfig, SimulatorConfig
from seedstack.http.simulator_app import create_simulator_app
from seedstack.providers import Provider, ProviderConnectError, ProviderHTTPError, build_provider
from seedstack.providers.simulator import SimulatorEngine

SIM = SimulatorConfig(ttft_ms=1, itl_ms=0, default_max_tokens=8)


@pytest.fixture(params=["simulator", "openai"])
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    if request.param == "simulator":
        yield build_provider(BackendConfig(provider="simulator", simulator=SIM), name="sim", alias="m")
        return
    with serve_in_thread(create_simulator_app(SIM, model="m")) as url:
        yield build_provider(BackendConfig(provider="openai", base_url=url + "/v1", model="m"), name="oa", alias="m")


def _run(provider: Provider, coro_fn):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        await provider.start()
        try:
            return await coro_fn()
        finally:
            await provider.close()

    return asyncio.run(main())


CHAT = {"model": "m", "messages": [{"role": "user", "content": "tell me"}], "max_tokens": 5}


def test_send_returns_body_and_usage(provider: Provider) -> None:
    resp = _run(provider, lambda: provider.send("chat", CHAT))
    assert resp.status == 200
    assert orjson.loads(resp.body) == resp.data
    assert resp.data["usage"]["completion_tokens"] == 5
    assert len(resp.data["choices"][0]["message"]["content"].split()) == 5


def test_stream_yields_sse_events_with_usage_and_done(provider: Provider) -> None:
    async def collect() -> list[bytes]:
        s = await provider.stream("chat", {**CHAT, "stream": True, "stream_options": {"include_usage": True}})
        out = [e async for e in s.events()]
        await s.aclose()
        return out

    events = _run(provider, collect)
    assert all(e.startswith(b"data: ") and e.endswith(b"\n\n") for e in events)
    assert events[-1] == b"data: [DONE]\n\n"
    usage = orjson.loads(events[-2][6:])
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 5
    content = [orjson.loads(e[6:])["choices"][0]["delta"].get("content") for e in events[:-2]]
    assert sum(1 for c in content if c) == 5


def test_completions_and_embeddings(provider: Provider) -> None:
    comp = _run(provider, lambda: provider.send("completions", {"model": "m", "prompt": "a", "max_tokens": 3}))
    assert comp.data["object"] == "text_completion" and comp.data["usage"]["completion_tokens"] == 3
    emb = _run(provider, lambda: provider.send("embeddings", {"model": "m", "input": ["x", "y"]}))
    assert [d["index"] for d in emb.data["data"]] == [0, 1]


def test_invalid_request_is_a_4xx_provider_error(provider: Provider) -> None:
    with pytest.raises(ProviderHTTPError) as err:
        _run(provider, lambda: provider.send("chat", {**CHAT, "max_tokens": 100000}))
    assert err.value.status == 400 and err.value.outcome == "4xx"
    assert "max_tokens" in orjson.loads(err.value.body)["error"]["message"]


def test_openai_provider_maps_a_closed_port_to_connect_error() -> None:
    p = build_provider(
        BackendConfig(provider="openai", base_url=f"http://127.0.0.1:{free_port()}/v1"), name="x", alias="m"
    )
    with pytest.raises(ProviderConnectError):
        _run(p, lambda: p.send("chat", CHAT))


def test_simulator_text_is_deterministic_and_scripted_replies_win() -> None:
    async def text(engine: SimulatorEngine, body: dict) -> str:  # type: ignore[type-arg]
        return (await engine.complete("chat", body))["choices"][0]["message"]["content"]

    cfg = SimulatorConfig(ttft_ms=0, itl_ms=0, replies={"what is 2+2?": "4"})
    a, b = SimulatorEngine(cfg), SimulatorEngine(cfg)
    assert asyncio.run(text(a, CHAT)) == asyncio.run(text(b, CHAT))
    other = {**CHAT, "messages": [{"role": "user", "content": "something else"}]}
    assert asyncio.run(text(a, CHAT)) != asyncio.run(text(a, other))
    scripted = {**CHAT, "messages": [{"role": "user", "content": "what is 2+2?"}]}
    assert asyncio.run(text(a, scripted)) == "4"


def test_simulator_never_runs_more_than_max_concurrency() -> None:
    engine = SimulatorEngine(SimulatorConfig(ttft_ms=5, itl_ms=1, max_concurrency=3))
    peak = 0

    async def one() -> None:
        nonlocal peak
        async for _ in engine.generate("chat", CHAT):
            peak = max(peak, engine.running)

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(12)))

    asyncio.run(main())
    assert peak == 3 and engine.running == 0


def test_simulator_ttft_model_grows_with_prompt_and_load() -> None:
    engine = SimulatorEngine(SimulatorConfig(ttft_ms=10, ttft_per_prompt_token_ms=0.5, ttft_per_running_request_ms=2))
    assert engine._ttft_s(0) == pytest.approx(0.010)
    assert engine._ttft_s(100) == pytest.approx(0.060)
    engine.running = 4
    assert engine._ttft_s(100) == pytest.approx(0.068)
