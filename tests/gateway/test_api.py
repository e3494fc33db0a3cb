"""The OpenAI-compatible surface over a real socket: SDK calls, streaming, errors, metadata."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.gateway.conftest import GatewayFactory, RunningGateway, openai_backend
from tests.servers import MockUpstream

pytestmark = pytest.mark.socket


def _chat(**kw: object) -> dict[str, object]:
    return {"model": "demo", "messages": [{"role": "user", "content": "hello there"}], **kw}


def test_openai_sdk_chat_stream_and_records(demo_gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=demo_gateway.v1, api_key=demo_gateway.key)
    reply = client.chat.completions.create(model="demo", messages=[{"role": "user", "content": "hi"}], max_tokens=6)
    assert reply.usage is not None and reply.usage.completion_tokens == 6
    assert len(reply.choices[0].message.content.split()) == 6

    pieces = []
    for chunk in client.chat.completions.create(
        model="demo", messages=[{"role": "user", "content": "hi"}], max_tokens=5, stream=True
    ):
        assert chunk.usage is None  # the client did not ask for usage: the gateway's usage chunk is hidden
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    assert len("".join(pieces).split()) == 5  # the output guard may hold short text back and release it at once

    recs = demo_gateway.records(2)
    assert [r["stream"] for r in recs] == [0, 1]
    for r in recs:
        assert r["alias"] == "demo" and r["backend"] == "demo/simulator" and r["simulated"] == 1
        assert r["status_code"] == 200 and r["cost_usd"] == 0.0 and r["latency_ms"] > 0
        assert r["overhead_ms"] is not None and r["upstream_ms"] is not None
    assert recs[0]["tokens_out"] == 6 and recs[1]["tokens_out"] == 5
    assert recs[1]["ttft_ms"] is not None and recs[1]["ttft_ms"] <= recs[1]["latency_ms"]


def test_without_the_output_guard_chunks_pass_through_one_by_one(gateway_factory: GatewayFactory) -> None:
    with gateway_factory(guard={"enabled": False}) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key=gw.key)
        stream = client.chat.completions.create(
            model="demo", messages=[{"role": "user", "content": "hi"}], max_tokens=5, stream=True
        )
        pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
        assert len(pieces) == 5
        assert gw.records()[-1]["guard"] is None


def test_stream_usage_is_forwarded_when_the_client_asks(demo_gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=demo_gateway.v1, api_key=demo_gateway.key)
    chunks = list(
        client.chat.completions.create(
            model="demo",
            messages=[{"role": "user", "content": "hi"}],
            max_tokens=3,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3


def test_completions_embeddings_and_models(demo_gateway: RunningGateway) -> None:
    client = openai.OpenAI(base_url=demo_gateway.v1, api_key=demo_gateway.key)
    assert client.completions.create(model="demo", prompt="once upon", max_tokens=4).usage.completion_tokens == 4
    emb = client.embeddings.create(model="demo", input=["a", "b"])
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 64
    assert [m.id for m in client.models.list()] == ["demo"]
    endpoints = sorted(r["endpoint"] for r in demo_gateway.records(2))
    assert endpoints == ["completions", "embeddings"]


@pytest.mark.parametrize(
    ("body", "status", "needle", "param"),
    [
        (b"{not json", 400, "not valid JSON", None),
        (b"[1,2]", 400, "JSON object", None),
        (b'{"messages": [{"role": "user", "content": "x"}]}', 400, "'model' is required", "model"),
        (
            b'{"model": "nope", "messages": [{"role": "user", "content": "x"}]}',
            404,
            "unknown model 'nope'",
            "model",
        ),
        (b'{"model": "demo", "messages": "hi"}', 400, "'messages' must be a non-empty list", "messages"),
        (
            b'{"model": "demo", "messages": [{"role": "user", "content": "x"}], "max_tokens": "9"}',
            400,
            "'max_tokens' must be an integer",
            "max_tokens",
        ),
        (
            b'{"model": "demo", "messages": [{"role": "robot", "content": "x"}]}',
            400,
            "role must be one of",
            None,
        ),
        (
            b'{"model": "demo", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            400,
            "'stream' must be true or false",
            "stream",
        ),
    ],
)
def test_bad_input_gets_a_4xx_in_openai_shape(
    demo_gateway: RunningGateway, body: bytes, status: int, needle: str, param: str | None
) -> None:
    r = httpx.post(demo_gateway.v1 + "/chat/completions", content=body, headers=demo_gateway.headers())
    assert r.status_code == status
    err = r.json()["error"]
    assert needle in err["message"] and set(err) == {"message", "type", "param", "code"}
    if param:
        assert err["param"] == param
    assert r.headers["x-request-id"].startswith("req_")


def test_missing_and_wrong_keys_get_401(demo_gateway: RunningGateway) -> None:
    url = demo_gateway.v1 + "/chat/completions"
    r = httpx.post(url, json=_chat())
    assert r.status_code == 401 and "missing API key" in r.json()["error"]["message"]
    r = httpx.post(url, json=_chat(), headers={"authorization": "Bearer sk-ss-wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert "sk-ss-wrong" not in r.text
    assert httpx.get(demo_gateway.v1 + "/models").status_code == 401


def test_oversized_body_gets_413(gateway_factory: GatewayFactory) -> None:
    with gateway_factory(server={"max_body_bytes": 2048}) as gw:
        big = _chat(messages=[{"role": "user", "content": "x" * 5000}])
        r = httpx.post(gw.v1 + "/chat/completions", json=big, headers=gw.headers())
        assert r.status_code == 413 and "max_body_bytes" in r.json()["error"]["message"]


def test_model_allow_list_is_enforced(demo_gateway: RunningGateway) -> None:
    key = demo_gateway.new_key(role="app", models=["other"])
    r = httpx.post(demo_gateway.v1 + "/chat/completions", json=_chat(), headers=demo_gateway.headers(key))
    assert r.status_code == 403 and "may not use model 'demo'" in r.json()["error"]["message"]
    models = httpx.get(demo_gateway.v1 + "/models", headers=demo_gateway.headers(key)).json()
    assert models["data"] == []


def test_unknown_fields_pass_through_and_metadata_is_recorded(
    gateway_factory: GatewayFactory, upstream: tuple[MockUpstream, str]
) -> None:
    mock, url = upstream
    with gateway_factory({"chat": {"backends": [openai_backend(url)]}}) as gw:
        body = {
            "model": "chat",
            "messages": [{"role": "user", "content": "hi"}],
            "logit_bias": {"42": -1},
            "vendor_knob": {"x": 1},
            "metadata": {"customer": "acme", "template_vars": {"n": 1}},
        }
        headers = {
            **gw.headers(),
            "x-seedstack-tags": "beta, eu",
            "x-seedstack-prompt-template": "support@v3",
            "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01",
        }
        r = httpx.post(gw.v1 + "/chat/completions", json=body, headers=headers)
        assert r.status_code == 200
        assert r.json()["x_vendor_field"] == {"kept": True}  # upstream's unknown fields reach the client
        sent = mock.seen[-1]
        assert sent["model"] == "up-model" and sent["vendor_knob"] == {"x": 1} and sent["logit_bias"] == {"42": -1}
        assert "metadata" not in sent  # consumed by the gateway (kept only when the client sets store=true)
        rec = gw.records()[-1]
        assert rec["customer"] == "acme" and rec["template"] == "support" and rec["template_version"] == "v3"
        assert rec["tags"] == '["beta","eu"]' and rec["trace_id"] == "a" * 32 and rec["parent_id"] == "b" * 16
        assert rec["upstream_model"] == "up-model" and rec["provider"] == "openai"
        assert rec["tokens_in"] == 10 and rec["tokens_out"] == 4


def test_stream_asks_upstream_for_usage(gateway_factory: GatewayFactory, upstream: tuple[MockUpstream, str]) -> None:
    mock, url = upstream
    with gateway_factory({"chat": {"backends": [openai_backend(url)]}}) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key=gw.key)
        text = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(
                model="chat", messages=[{"role": "user", "content": "x"}], stream=True
            )
            if c.choices
        )
        assert text == "hello from upstream"
        assert mock.seen[-1]["stream_options"] == {"include_usage": True}
        rec = gw.records()[-1]
        assert rec["tokens_in"] == 10 and rec["tokens_out"] == 4 and rec["stream"] == 1


def test_health_ready_and_metrics(demo_gateway: RunningGateway) -> None:
    assert httpx.get(demo_gateway.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(demo_gateway.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["store"] == "ok"
    httpx.post(demo_gateway.v1 + "/chat/completions", json=_chat(max_tokens=2), headers=demo_gateway.headers())
    httpx.post(demo_gateway.v1 + "/chat/completions", json=_chat(model="nope"), headers=demo_gateway.headers())
    text = httpx.get(demo_gateway.url + "/metrics").text
    assert 'seedstack_requests_total{alias="demo",endpoint="chat",status="2xx"} 1.0' in text
    assert 'seedstack_requests_total{alias="unknown",endpoint="chat",status="4xx"} 1.0' in text
    assert 'seedstack_tokens_total{alias="demo",direction="output"} 2.0' in text
    assert "seedstack_gateway_overhead_seconds_bucket" in text
    assert "seedstack_request_latency_seconds_bucket" in text


def test_unknown_route_and_wrong_method(demo_gateway: RunningGateway) -> None:
    r = httpx.get(demo_gateway.v1 + "/chat/completions", headers=demo_gateway.headers())
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = httpx.post(demo_gateway.v1 + "/assistants", headers=demo_gateway.headers())
    assert r.status_code == 404 and "under /v1" in r.json()["error"]["message"]


def test_client_disconnect_mid_stream_is_recorded_as_499(gateway_factory: GatewayFactory) -> None:
    import socket
    import time

    slow = {
        "demo": {"backends": [{"provider": "simulator", "name": "slow", "simulator": {"ttft_ms": 1, "itl_ms": 50}}]}
    }
    with gateway_factory(slow) as gw:
        host, port = gw.url.removeprefix("http://").split(":")
        body = b'{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":100,"stream":true}'
        sock = socket.create_connection((host, int(port)))
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            + f"authorization: Bearer {gw.key}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        got = b""
        while b"data: " not in got:
            got += sock.recv(65536)
        sock.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            recs = gw.records()
            if recs:
                break
            time.sleep(0.1)
        assert recs and recs[-1]["status_code"] == 499 and recs[-1]["error_class"] == "ClientDisconnected"
        assert recs[-1]["tokens_out"] < 100


def test_a_reply_the_client_never_receives_is_still_recorded_and_metered(demo_gateway: RunningGateway) -> None:
    """The record is closed after the send; a send that fails (client gone) must not lose it."""
    import asyncio

    import orjson

    body = orjson.dumps(_chat(max_tokens=3))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [(b"authorization", f"Bearer {demo_gateway.key}".encode()), (b"content-type", b"application/json")],
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            raise OSError("connection reset by peer")

    async def call() -> None:
        await demo_gateway.app(scope, receive, send)

    with pytest.raises(OSError):
        asyncio.run(call())
    assert sent[0]["status"] == 200
    rec = demo_gateway.records()[-1]
    assert rec["status_code"] == 200 and rec["tokens_out"] == 3 and rec["latency_ms"] > 0
    metrics = httpx.get(demo_gateway.url + "/metrics").text
    assert 'seedstack_requests_total{alias="demo",endpoint="chat",status="2xx"} 1.0' in metrics
