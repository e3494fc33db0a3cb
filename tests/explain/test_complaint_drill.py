"""The complaint drill: 10,000 mixed requests through the real gateway on a real socket, one of
which is the answer a customer complains about. From the complaint text and the customer id alone,
``seedstack search`` must rank that request in the top 3, and ``seedstack why`` must explain it.

The drill runs with ``telemetry.audit: true`` (every payload kept) so the ranking is tested against
all 10,000 answers; under the default 10% sampling only the sampled ones are text-searchable.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from seedstack.cli.main import app as cli
from seedstack.config import load_settings
from seedstack.explain.demo import TEMPLATES
from seedstack.gateway.keys import create_key
from seedstack.http.app import create_app
from tests.servers import serve_in_thread

pytestmark = [pytest.mark.socket, pytest.mark.slow]

N = 10_000
COMPLAINT = "your bot said my refund was denied but I returned the blender within 14 days"
TARGET_ANSWER = (
    "I'm sorry, but your refund for order A48213 was denied: our records show the blender "
    "was returned after the return window."
)
# close distractors: other customers got the same denial; acme got other refund answers and other denials
DISTRACTORS = [
    ("globex", "Your refund for order {o} was denied because the return window had closed."),
    ("initech", "I'm sorry, your refund for order {o} was denied: the item was returned late."),
    ("acme", "Your refund for order {o} has been approved and will arrive in 5 business days."),
    ("acme", "Access to the billing portal was denied for user {o}; ask your admin to add you."),
    ("acme", "Refunds for order {o} take 5 to 10 business days once the blender is back."),
]


class ScriptedUpstream:
    """An OpenAI-compatible upstream whose answer is chosen by a ticket tag in the last message."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                await send({"type": msg["type"] + ".complete"})
                if msg["type"] == "lifespan.shutdown":
                    return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        data = orjson.loads(body)
        text = data["messages"][-1]["content"]
        answer = self.answers.get(text.rsplit("#", 1)[-1], "Happy to help with that.")
        usage = {
            "prompt_tokens": len(text) // 4,
            "completion_tokens": len(answer) // 4,
            "total_tokens": (len(text) + len(answer)) // 4,
        }
        if data.get("stream"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            chunks = [
                {"choices": [{"index": 0, "delta": {"content": answer}, "finish_reason": None}]},
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            ]
            if (data.get("stream_options") or {}).get("include_usage"):
                chunks.append({"choices": [], "usage": usage})
            payload = b"".join(
                b"data: "
                + orjson.dumps({"id": "c", "object": "chat.completion.chunk", "model": "support-8b", **c})
                + b"\n\n"
                for c in chunks
            )
            await send({"type": "http.response.body", "body": payload + b"data: [DONE]\n\n"})
            return
        out = {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "support-8b",
            "usage": usage,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
        }
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": orjson.dumps(out)})


def _traffic(upstream: ScriptedUpstream, rng: random.Random) -> list[dict[str, Any]]:
    customers = ["acme", "globex", "initech"] + [f"cust-{i:03d}" for i in range(40)]
    reqs = []
    for i in range(N - 1):
        template = rng.choice(list(TEMPLATES))
        _, users, answers = TEMPLATES[template]
        slots = {
            "company": "Acme",
            "order": f"A{rng.randint(10000, 99999)}",
            "amount": str(rng.randint(5, 500)),
            "day": "Monday",
            "plan": "team",
        }
        customer = rng.choice(customers)
        answer = rng.choice(answers).format(**slots)
        if rng.random() < 0.05:
            customer, tpl = rng.choice(DISTRACTORS)
            answer, template = tpl.format(o=slots["order"]), "support-refund"
        upstream.answers[str(i)] = answer
        reqs.append(
            {
                "customer": customer,
                "template": template,
                "stream": rng.random() < 0.1,
                "text": rng.choice(users).format(**slots) + f" #{i}",
            }
        )
    upstream.answers["target"] = TARGET_ANSWER
    target = {
        "customer": "acme",
        "template": "support-refund",
        "stream": False,
        "target": True,
        "text": "I returned the blender for order A48213, can I get my money back? #target",
    }
    reqs.insert(rng.randint(0, len(reqs)), target)
    return reqs


async def _send_all(base: str, key: str, reqs: list[dict[str, Any]]) -> str:
    sem = asyncio.Semaphore(32)
    target_id = ""
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one(r: dict[str, Any]) -> None:
            nonlocal target_id
            body = {
                "model": "chat",
                "messages": [{"role": "user", "content": r["text"]}],
                "stream": r["stream"],
            }
            headers = {
                "authorization": f"Bearer {key}",
                "x-seedstack-customer": r["customer"],
                "x-seedstack-prompt-template": r["template"] + "@3",
            }
            async with sem:
                resp = await client.post("/v1/chat/completions", json=body, headers=headers)
                await resp.aread()
            assert resp.status_code == 200, resp.text
            if r.get("target"):
                target_id = resp.headers["x-request-id"]

        await asyncio.gather(*(one(r) for r in reqs))
    return target_id


def test_complaint_drill_finds_the_answer_in_the_top_3(sqlite_url, monkeypatch):
    upstream = ScriptedUpstream()
    reqs = _traffic(upstream, random.Random(2026))
    with serve_in_thread(upstream) as up_url:
        models = {
            "chat": {
                "backends": [
                    {
                        "provider": "openai",
                        "base_url": up_url + "/v1",
                        "model": "support-8b",
                        "max_in_flight": 256,
                    }
                ]
            }
        }
        settings = load_settings(store=sqlite_url, models=models, telemetry={"audit": True})
        gateway = create_app(settings)
        key, _ = create_key(gateway.ctx.store, role="app", name="drill")
        with serve_in_thread(gateway) as url:
            target_id = asyncio.run(_send_all(url, key, reqs))
            gateway.ctx.gateway.recorder.flush()
    assert target_id
    assert gateway.ctx.store.query_one("SELECT COUNT(*) FROM requests")[0] == N

    monkeypatch.setenv("SEEDSTACK_STORE", sqlite_url)
    res = CliRunner().invoke(cli, ["search", COMPLAINT, "--customer", "acme", "--since", "1d", "--json"])
    assert res.exit_code == 0, res.output
    hits = orjson.loads(res.output)
    ranked = [h["request_id"] for h in hits]
    assert target_id in ranked[:3], (ranked[:3], target_id)
    target = next(h for h in hits if h["request_id"] == target_id)
    assert "keyword" in target["matched"] and "was denied" in target["snippet"]  # hashed words, decrypted snippet
    store = gateway.ctx.store
    (prompt, response, blind) = store.query_one(
        "SELECT prompt, response, blind FROM obs_docs WHERE request_id = ?", (target_id,)
    )
    assert blind == 1 and "blender" not in f"{prompt} {response}"  # the gateway encrypts: no plaintext indexed

    res = CliRunner().invoke(cli, ["why", target_id, "--json"])
    story = orjson.loads(res.output)
    assert story["customer"] == "acme" and story["template"] == {
        "name": "support-refund",
        "version": "3",
        "variables": None,
    }
    assert "was denied" in story["payload"]["response"]["choices"][0]["message"]["content"]
