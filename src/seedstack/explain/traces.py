"""Agent traces: the calls that share a trace id, as a tree, with tool calls as steps.

A call whose ``parent_id`` names another call of the trace hangs under it; the rest are roots,
in time order. Inside a sampled call, assistant ``tool_calls`` and the ``tool`` messages that
answer them become child steps, so an agent's loop reads top to bottom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFoundError
from ..store import Store
from .payload import Decryptor, load_payload

__all__ = ["TraceStep", "load_trace", "tool_steps"]

_CALL_COLS = (
    "id, ts, trace_id, parent_id, endpoint, alias, upstream_model, status_code, latency_ms, "
    "tokens_in, tokens_out, cost_usd, template, payload_kept"
)


@dataclass
class TraceStep:
    kind: str  # "call", "tool_call", "tool_result"
    label: str
    request_id: str | None = None
    ts: float | None = None
    status_code: int | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    detail: str | None = None
    children: list[TraceStep] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "request_id": self.request_id,
            "ts": self.ts,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "detail": self.detail,
            "children": [c.to_dict() for c in self.children],
        }


def _short(value: Any, n: int = 120) -> str:
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def tool_steps(payload: dict[str, Any] | None) -> list[TraceStep]:
    """Tool calls requested by the model and the results the client sent back, in message order."""
    if not payload:
        return []
    steps: list[TraceStep] = []
    req = payload.get("request") or {}
    messages = list(req.get("messages") or []) if isinstance(req, dict) else []
    resp = payload.get("response") or {}
    for choice in (resp.get("choices") or []) if isinstance(resp, dict) else []:
        if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
            messages.append(choice["message"])
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        for call in msg.get("tool_calls") or []:
            fn = (call or {}).get("function") or {}
            steps.append(
                TraceStep(
                    "tool_call",
                    f"{fn.get('name', '?')}({_short(fn.get('arguments', ''), 80)})",
                    detail=call.get("id"),
                )
            )
        if msg.get("role") == "tool":
            steps.append(TraceStep("tool_result", _short(msg.get("content", "")), detail=msg.get("tool_call_id")))
    return steps


def load_trace(store: Store, trace_id: str, *, decrypt: Decryptor | None = None) -> list[TraceStep]:
    """The trace's roots (each with its children); raises NotFoundError for an unknown id."""
    rows = store.query_dicts(f"SELECT {_CALL_COLS} FROM requests WHERE trace_id = ? ORDER BY ts", (trace_id,))
    if not rows:
        raise NotFoundError(
            f"no requests with trace id {trace_id}: check the id (from traceparent or x-seedstack-trace-id) "
            "or whether retention (seedstack gc) removed them"
        )
    nodes: dict[str, TraceStep] = {}
    for r in rows:
        label = f"{r['endpoint']} {r['alias'] or ''}".strip()
        if r["upstream_model"]:
            label += f" → {r['upstream_model']}"
        step = TraceStep(
            "call",
            label,
            request_id=r["id"],
            ts=r["ts"],
            status_code=r["status_code"],
            latency_ms=r["latency_ms"],
            cost_usd=r["cost_usd"],
            detail=f"{r['tokens_in'] or 0}→{r['tokens_out'] or 0} tokens",
        )
        if r["payload_kept"]:
            try:
                step.children.extend(tool_steps(load_payload(store, r["id"], decrypt=decrypt)))
            except Exception:  # an unreadable payload must not hide the rest of the trace
                step.detail = (step.detail or "") + " (payload unreadable)"
        nodes[r["id"]] = step
    roots: list[TraceStep] = []
    for r in rows:
        parent = nodes.get(r["parent_id"] or "")
        if parent is not None and parent is not nodes[r["id"]]:
            parent.children.append(nodes[r["id"]])
        else:
            roots.append(nodes[r["id"]])
    return roots
