"""Requests, traces, SLOs, drift and the overview: ``observability.read``, payload text only with
``payloads.read``.

Without ``payloads.read`` a key still gets every answer, with payload text withheld (see
``withhold``); searching by what customers typed (``/requests?q=``) reads payload text, so it is
refused instead. Each answer that does carry payload text leaves an ``payloads.read`` audit row.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.routing import Route

from ...access import Actor, audit, authorize, check
from ...config import Settings
from ...errors import InvalidRequestError
from ...explain import (
    SearchFilters,
    detect_drift,
    evaluate_slos,
    explain_request,
    load_trace,
    parse_since,
    search,
    sync_index,
)
from ...explain.embed import make_embedder
from ...explain.overview import overview
from ...explain.payload import keyring_decryptor
from ...explain.requests import list_requests
from ...store import Store
from .endpoint import Call, Handler, Target, guarded, int_param
from .withhold import reason, withhold_drift, withhold_story, withhold_trace

__all__ = ["filters_from", "observability_routes"]

_READ = "observability.read"
_PAYLOADS = "payloads.read"


def filters_from(params: Any, now: float) -> SearchFilters:
    """Request filters from query parameters (shared with the dashboard's explorer)."""

    def num(name: str) -> float | None:
        raw = params.get(name)
        if raw in (None, ""):
            return None
        try:
            return float(raw)
        except ValueError:
            raise InvalidRequestError(f"{name} must be a number of milliseconds, got '{raw}'", param=name) from None

    def text(name: str) -> str | None:
        return params.get(name) or None

    return SearchFilters(
        customer=text("customer"),
        key_id=text("key"),
        alias=text("alias"),
        template=text("template"),
        status=text("status"),
        min_latency_ms=num("min_latency"),
        max_latency_ms=num("max_latency"),
        since=parse_since(text("since"), now),
        until=parse_since(text("until"), now),
    )


def _has_tool_steps(steps: list[dict[str, Any]]) -> bool:
    return any(s["kind"] != "call" or _has_tool_steps(s.get("children") or []) for s in steps)


def observability_routes(store: Store, settings: Settings) -> list[Route]:
    decrypt = keyring_decryptor(settings)
    search_cfg = settings.observability.search
    embedder = make_embedder(search_cfg.embedder, search_cfg.sentence_model)

    def payloads_read(call: Call, target: str, **detail: Any) -> None:
        """The audit row for an answer that carries payload text."""
        actor: Actor = call.actor
        who = {"key_id": actor.key_id} if actor.key_id else {}
        audit(store, actor.label, _PAYLOADS, target, True, {**who, **detail}, role=actor.role)

    def requests_(call: Call) -> Any:
        q = call.query
        filters = filters_from(q, time.time())
        limit = int_param(q, "limit", 50, low=1, high=500)
        if not q.get("q"):
            return list_requests(store, filters, limit=limit)
        authorize(store, call.actor, _PAYLOADS, "requests:search", {"via": "GET /api/requests?q="})
        sync_index(store, decrypt=decrypt, embedder=embedder)
        hits = search(
            store, q["q"], filters, limit=limit, embedder=embedder, max_scan=search_cfg.max_scan, decrypt=decrypt
        )
        payloads_read(call, "requests:search", hits=len(hits))
        return [h.to_dict() for h in hits]

    def why(call: Call) -> Any:
        rid = call.path("request_id")
        story = explain_request(store, rid, decrypt=decrypt)
        if not (check(call.actor.role, "models.read") and check(call.actor.role, "data.read_meta")):
            story["lineage"] = {"status": "withheld", "detail": reason("models.read")}
        if not check(call.actor.role, _PAYLOADS):
            return withhold_story(story)
        p = story["payload"]
        if p.get("request") is not None or p.get("response") is not None or _has_tool_steps(story["trace"]["steps"]):
            payloads_read(call, f"request:{rid}")
        return story

    def trace(call: Call) -> Any:
        tid = call.path("trace_id")
        steps = [s.to_dict() for s in load_trace(store, tid, decrypt=decrypt)]
        if not check(call.actor.role, _PAYLOADS):
            note = {"fields": ["tool steps"], "permission": _PAYLOADS, "reason": reason(_PAYLOADS)}
            return [{**s, "withheld": note} for s in withhold_trace(steps)]
        if _has_tool_steps(steps):
            payloads_read(call, f"trace:{tid}")
        return steps

    def slo(call: Call) -> Any:
        return [s.to_dict() for s in evaluate_slos(store, settings)]

    def drift(call: Call) -> Any:
        template = call.query.get("template") or None
        reports = [
            d.to_dict() for d in detect_drift(store, settings.observability.drift, template=template, decrypt=decrypt)
        ]
        if not check(call.actor.role, _PAYLOADS):
            return withhold_drift(reports)
        if any(r["examples"] for r in reports):
            payloads_read(call, f"drift:{template or '*'}")
        return reports

    def overview_(call: Call) -> Any:
        hours = call.query.get("hours") or "24"
        try:
            window = float(hours)
        except ValueError:
            raise InvalidRequestError(f"hours must be a number, got '{hours}'", param="hours") from None
        if not 0 < window <= 24 * 366:
            raise InvalidRequestError(f"hours must be between 0 and 8784, got {hours}", param="hours")
        return overview(store, settings, window_hours=window)

    def on(path: str, target: Target, handler: Handler) -> Route:
        return Route(path, guarded(store, _READ, target, handler))

    return [
        on("/requests", lambda r, b: "requests", requests_),
        on("/requests/{request_id}", lambda r, b: f"request:{r.path_params['request_id']}", why),
        on("/traces/{trace_id}", lambda r, b: f"trace:{r.path_params['trace_id']}", trace),
        on("/slo", lambda r, b: "slo", slo),
        on("/drift", lambda r, b: "drift", drift),
        on("/overview", lambda r, b: "overview", overview_),
    ]
