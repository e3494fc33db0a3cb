"""Realistic synthetic traffic for demos, tests and the 1M-record benchmarks.

Rows go straight into ``requests``/``payloads`` (and the search index) in large batches, the way the
recorder writes them, so a dashboard or a benchmark can be filled in seconds without a gateway.
Every generated record is tagged ``synthetic`` so it can never be mistaken for real traffic.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from ..store import Store
from ..telemetry.record import RECORD_COLUMNS, RequestRecord, RouteAttempt
from .blind import ensure_blind_index
from .index import index_rows

if TYPE_CHECKING:
    from ..crypto import DataKeyring

__all__ = ["TEMPLATES", "generate", "insert_records", "synthetic_records"]

TEMPLATES: dict[str, tuple[str, list[str], list[str]]] = {
    # name: (system prompt, user prompts, answers); {x} slots are filled per request
    "support-refund": (
        "You are a support agent for {company}. Follow the refund policy.",
        [
            "I was charged twice for order {order}, can I get my money back?",
            "My package for order {order} arrived broken, I want a refund",
            "How long does a refund take for order {order}?",
        ],
        [
            "I have issued a refund of ${amount} for order {order}; it will appear in 5 business days.",
            "Refunds take 5 to 10 business days after we receive the item for order {order}.",
            "I can offer store credit of ${amount} for order {order} instead of a refund.",
        ],
    ),
    "support-shipping": (
        "You answer shipping questions for {company}.",
        ["Where is my order {order}? It was due {day}", "Can you ship order {order} to a new address?"],
        [
            "Order {order} is in transit and should arrive {day}.",
            "I updated the delivery address for order {order}; it ships {day}.",
        ],
    ),
    "sales-qa": (
        "You are a sales assistant for {company} plans.",
        ["What does the {plan} plan include?", "Is there a discount on the {plan} plan for startups?"],
        [
            "The {plan} plan includes SSO, audit logs and 24/7 support.",
            "Startups get 30% off the {plan} plan for the first year.",
        ],
    ),
    "agent-research": (
        "You are a research agent. Use the tools to answer.",
        ["Find the latest quarterly revenue of {company}", "Summarize the news about {company} this {day}"],
        [
            "{company} reported revenue of ${amount} million last quarter.",
            "Here is a summary of the news about {company}.",
        ],
    ),
    "summarize-ticket": (
        "Summarize the customer ticket in two sentences.",
        [
            "Ticket: customer from {company} cannot log in since {day}, reset did not help",
            "Ticket: invoice {order} shows the wrong VAT number",
        ],
        [
            "The customer cannot log in since {day}; a password reset failed.",
            "Invoice {order} has a wrong VAT number and needs reissuing.",
        ],
    ),
}
_COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
]
_PLANS = ["starter", "team", "business", "enterprise"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow", "next week"]
_ALIASES = [
    ("chat", "vllm-a/llama-3.1-8b-awq", "openai", "llama-3.1-8b-awq", "v3"),
    ("chat", "fireworks/llama-v3p1-8b", "openai", "llama-v3p1-8b-instruct", "2024-07"),
    ("chat-large", "vllm-b/llama-3.1-70b-awq", "openai", "llama-3.1-70b-awq", "v1"),
]


def _fill(text: str, slots: dict[str, str]) -> str:
    return text.format(**slots)


def synthetic_records(
    n: int,
    *,
    payload_rate: float = 0.1,
    seed: int = 7,
    now: float | None = None,
    days: float = 30.0,
    customers: int = 50,
) -> Iterator[RequestRecord]:
    """``n`` records in time order over the last ``days``; ~``payload_rate`` of them carry a payload."""
    rng = random.Random(seed)
    end = now if now is not None else time.time()
    names = ["acme", "globex", "initech"] + [f"cust-{i:03d}" for i in range(max(0, customers - 3))]
    tmpl_names = list(TEMPLATES)
    trace: tuple[str, str, int] | None = None
    for i in range(n):
        # time order, as the recorder appends: a window's rows sit together on disk
        ts = end - days * 86400 + (i + rng.random()) / n * days * 86400
        tname = rng.choices(tmpl_names, weights=[30, 20, 15, 20, 15])[0]
        system, users, answers = TEMPLATES[tname]
        alias, backend, provider, model, version = rng.choices(_ALIASES, weights=[60, 25, 15])[0]
        slots = {
            "company": rng.choice(_COMPANIES),
            "order": f"A{rng.randint(10000, 99999)}",
            "amount": str(rng.randint(5, 500)),
            "day": rng.choice(_DAYS),
            "plan": rng.choice(_PLANS),
        }
        roll = rng.random()
        status, err = (200, None)
        if roll < 0.01:
            status, err = 502, "UpstreamError"
        elif roll < 0.025:
            status, err = 429, "RateLimitError"
        tokens_in = rng.randint(40, 900)
        tokens_out = 0 if status >= 400 else rng.randint(10, 400)
        queue = rng.expovariate(1 / 4.0)
        ttft = 40 + tokens_in * 0.08 + rng.expovariate(1 / 30.0)
        gen = tokens_out * (18.0 if alias == "chat-large" else 0.6) * rng.uniform(0.8, 1.3)
        latency = queue + ttft + gen + rng.uniform(1, 3)
        route = [RouteAttempt(backend, "ok" if status < 500 else "5xx", status, latency - 2)]
        if rng.random() < 0.03:
            route.insert(0, RouteAttempt("vllm-c/llama-3.1-8b", "timeout", None, 3000.0, "no answer in 3 s"))
        guard = [
            {
                "detector": "injection",
                "direction": "input",
                "action": "allow",
                "types": [],
                "score": round(rng.random() * 0.3, 3),
                "ms": 0.4,
            }
        ]
        if rng.random() < 0.02:
            guard.append(
                {
                    "detector": "pii",
                    "direction": "output",
                    "action": "redact",
                    "types": ["EMAIL"],
                    "score": 1.0,
                    "ms": 0.6,
                }
            )
        trace_id = parent = None
        if tname == "agent-research":
            if trace is None or trace[2] <= 0:
                trace = (uuid.UUID(int=rng.getrandbits(128)).hex, "", rng.randint(2, 5))
            trace_id, parent = trace[0], trace[1] or None
        rid = f"req_{uuid.UUID(int=rng.getrandbits(128)).hex[:24]}"
        if trace is not None and trace_id:
            trace = (trace[0], trace[1] or rid, trace[2] - 1)
        user = _fill(rng.choice(users), slots)
        answer = _fill(rng.choice(answers), slots)
        keep = status >= 400 or rng.random() < payload_rate
        params: dict[str, Any] = {
            "temperature": rng.choice([0.0, 0.2, 0.7]),
            "max_tokens": rng.choice([256, 512, 1024]),
            "seed": rng.choice([None, 42]),
        }
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": _fill(system, slots)},
            {"role": "user", "content": user},
        ]
        if tname == "agent-research":
            params["tools"] = ["web_search", "fetch_page"]
            messages += [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{i}",
                            "type": "function",
                            "function": {
                                "name": "web_search",
                                "arguments": orjson.dumps({"q": slots["company"]}).decode(),
                            },
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": f"call_{i}", "content": f"{slots['company']} results page"},
            ]
        yield RequestRecord(
            id=rid,
            ts=ts,
            endpoint="chat",
            trace_id=trace_id,
            parent_id=parent,
            key_id=f"key_{rng.randint(1, 20):02d}",
            customer=rng.choice(names),
            tags=["synthetic"],
            template=tname,
            template_version=rng.choice(["3", "4"]),
            alias=alias,
            backend=backend,
            provider=provider,
            upstream_model=model,
            model_version=version,
            simulated=True,
            stream=rng.random() < 0.4,
            status_code=status,
            error_class=err,
            error_message="every backend failed" if status == 502 else ("rpm exceeded" if status == 429 else None),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=round((tokens_in + 3 * tokens_out) * 2e-7, 8),
            queue_ms=queue,
            ttft_ms=ttft,
            latency_ms=latency,
            upstream_ms=latency - queue - 2,
            overhead_ms=2.0,
            route=route,
            guard=guard,
            params=params,
            metadata={"template_vars": slots, "app": "support-bot"},
            payload_kept=keep,
            payload_reason=("error" if status >= 400 else "sampled") if keep else None,
            payload={
                "request": {"model": alias, "messages": messages, **{k: v for k, v in params.items() if v}},
                "response": {
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": answer},
                        }
                    ]
                }
                if status < 400
                else {"error": {"message": err, "type": "upstream_error"}},
            }
            if keep
            else None,
        )


_INSERT_REQ = f"INSERT INTO requests ({', '.join(RECORD_COLUMNS)}) VALUES ({', '.join('?' * len(RECORD_COLUMNS))})"
_INSERT_PAYLOAD = "INSERT INTO payloads (request_id, ts, body, key_ref) VALUES (?, ?, ?, ?)"


def insert_records(
    store: Store, records: list[RequestRecord], *, index: bool = True, keyring: DataKeyring | None = None
) -> None:
    """Write records (+payloads) like the recorder does, then index the payloads for search.

    With ``keyring``, payloads are sealed and indexed blind, as the gateway does."""
    store.executemany(_INSERT_REQ, [r.row() for r in records])
    kept = [r for r in records if r.payload_kept and r.payload is not None]
    if kept:
        bodies = [orjson.dumps(r.payload) for r in kept]
        key_ref = None
        if keyring is not None:
            bodies, key_ref = [keyring.encrypt(b) for b in bodies], keyring.active_id
        store.executemany(_INSERT_PAYLOAD, [(r.id, r.ts, b, key_ref) for r, b in zip(kept, bodies, strict=True)])
        if index:
            index_rows(
                store,
                [
                    {
                        "request_id": r.id,
                        "ts": r.ts,
                        "customer": r.customer,
                        "key_id": r.key_id,
                        "alias": r.alias,
                        "template": r.template,
                        "status_code": r.status_code,
                        "latency_ms": r.latency_ms,
                        "payload": r.payload,
                    }
                    for r in kept
                ],
                blind=ensure_blind_index(store, keyring) if keyring is not None else None,
            )


def generate(store: Store, n: int, *, batch: int = 20_000, keyring: DataKeyring | None = None, **kwargs: Any) -> int:
    """Fill the store with ``n`` synthetic records; returns how many payloads were kept."""
    buf: list[RequestRecord] = []
    kept = 0
    for rec in synthetic_records(n, **kwargs):
        buf.append(rec)
        kept += rec.payload_kept
        if len(buf) >= batch:
            insert_records(store, buf, keyring=keyring)
            buf = []
    if buf:
        insert_records(store, buf, keyring=keyring)
    return kept
