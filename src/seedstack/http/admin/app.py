"""``create_admin_app(ctx)``: JSON endpoints over the observability services, admin-key protected.

Mounted by the gateway at ``/api/``; it also works stand-alone (paths are matched with or without
the prefix). Errors use the same ``{"error": {...}}`` shape as ``/v1/*``.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...config import Settings
from ...errors import AuthenticationError, InvalidRequestError, SeedstackError, openai_error_body
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
from .auth import bearer_key, is_admin_key
from .prefix import StripPrefix

__all__ = ["AppContext", "create_admin_app"]


class AppContext(Protocol):
    settings: Settings
    store: Store


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, default=str), status_code=status, media_type="application/json")


def _error(exc: SeedstackError) -> Response:
    return _json(exc.to_openai(), exc.status)


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


def create_admin_app(ctx: AppContext) -> StripPrefix:
    store, settings = ctx.store, ctx.settings
    decrypt = keyring_decryptor(settings)
    search_cfg = settings.observability.search
    embedder = make_embedder(search_cfg.embedder, search_cfg.sentence_model)

    def guarded(fn: Any) -> Any:
        def endpoint(request: Request) -> Response:
            try:
                if not is_admin_key(store, bearer_key(request.headers)):
                    raise AuthenticationError(
                        "send an admin API key as 'Authorization: Bearer <key>' "
                        "(create one with `seedstack keys create --role admin`)"
                    )
                return _json(fn(request))
            except SeedstackError as exc:
                return _error(exc)

        return endpoint

    def requests_(request: Request) -> Any:
        q = request.query_params
        now = time.time()
        filters = filters_from(q, now)
        limit = min(int(q.get("limit") or 50), 500)
        if q.get("q"):
            sync_index(store, decrypt=decrypt, embedder=embedder)
            return [
                h.to_dict()
                for h in search(store, q["q"], filters, limit=limit, embedder=embedder, max_scan=search_cfg.max_scan)
            ]
        return list_requests(store, filters, limit=limit)

    def why(request: Request) -> Any:
        return explain_request(store, request.path_params["request_id"], decrypt=decrypt)

    def trace(request: Request) -> Any:
        return [s.to_dict() for s in load_trace(store, request.path_params["trace_id"], decrypt=decrypt)]

    def slo(request: Request) -> Any:
        return [s.to_dict() for s in evaluate_slos(store, settings)]

    def drift(request: Request) -> Any:
        return [
            d.to_dict()
            for d in detect_drift(
                store, settings.observability.drift, template=request.query_params.get("template") or None
            )
        ]

    def overview_(request: Request) -> Any:
        hours = request.query_params.get("hours") or "24"
        try:
            window = float(hours)
        except ValueError:
            raise InvalidRequestError(f"hours must be a number, got '{hours}'", param="hours") from None
        return overview(store, settings, window_hours=window)

    def not_found(request: Request, exc: Exception) -> Response:
        return _json(
            openai_error_body(f"no admin endpoint {request.url.path}: see docs/observability.md", "not_found_error"),
            404,
        )

    app = Starlette(
        routes=[
            Route("/requests", guarded(requests_)),
            Route("/requests/{request_id}", guarded(why)),
            Route("/traces/{trace_id}", guarded(trace)),
            Route("/slo", guarded(slo)),
            Route("/drift", guarded(drift)),
            Route("/overview", guarded(overview_)),
        ],
        exception_handlers={404: not_found},
    )
    return StripPrefix(app, "/api")
