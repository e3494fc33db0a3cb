"""Records shaped like the recorder's, plus the planted complaint the search tests look for."""

from __future__ import annotations

import time
from typing import Any

from seedstack.telemetry.record import RequestRecord, RouteAttempt

NOW = time.time()


def make_record(rid: str, **kw: Any) -> RequestRecord:
    base: dict[str, Any] = dict(
        id=rid,
        ts=NOW - 3600,
        endpoint="chat",
        customer="acme",
        key_id="key_01",
        alias="chat",
        backend="vllm-a",
        provider="openai",
        upstream_model="llama-3.1-8b-awq",
        model_version="v3",
        template="support-refund",
        template_version="4",
        status_code=200,
        tokens_in=120,
        tokens_out=40,
        cost_usd=0.00012,
        queue_ms=5.0,
        ttft_ms=80.0,
        latency_ms=150.0,
        upstream_ms=140.0,
        overhead_ms=2.0,
        params={"temperature": 0.2, "max_tokens": 256, "seed": 42},
        metadata={"template_vars": {"order": "A12345"}, "app": "support-bot"},
    )
    base.update(kw)
    return RequestRecord(**base)


def chat_payload(user: str, answer: str, **extra: Any) -> dict[str, Any]:
    return {
        "request": {
            "model": "chat",
            "messages": [
                {"role": "system", "content": "You are a support agent."},
                {"role": "user", "content": user},
            ],
            **extra,
        },
        "response": {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}]},
    }


COMPLAINT_ID = "req_complaint"


def complaint_record() -> RequestRecord:
    return make_record(
        COMPLAINT_ID,
        customer="acme",
        payload_kept=True,
        payload_reason="sampled",
        route=[
            RouteAttempt("vllm-c", "timeout", None, 3000.0, "no answer in 3 s"),
            RouteAttempt("vllm-a", "ok", 200, 140.0),
        ],
        guard=[
            {
                "detector": "injection",
                "direction": "input",
                "action": "allow",
                "types": [],
                "score": 0.02,
                "ms": 0.3,
            },
            {
                "detector": "pii",
                "direction": "output",
                "action": "redact",
                "types": ["EMAIL"],
                "score": 1.0,
                "ms": 0.5,
            },
        ],
        payload=chat_payload(
            "I returned the blender for order A12345, where is my money?",
            "Your refund request for order A12345 has been denied because the return window closed.",
        ),
    )
