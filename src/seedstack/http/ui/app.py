"""``create_ui_app(ctx)``: the dashboard, server-rendered with Jinja2; no JavaScript build step.

Every page needs an admin key: from the login form (kept in an HttpOnly cookie scoped to ``/ui``)
or an ``Authorization: Bearer`` header (for scripts and tests). Pages call the same explain
services as the CLI, so what the dashboard shows is what ``seedstack why`` prints.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ...errors import NotFoundError, SeedstackError
from ...explain import detect_drift, evaluate_slos, explain_request, load_trace, search, sync_index
from ...explain.embed import make_embedder
from ...explain.overview import overview
from ...explain.payload import keyring_decryptor
from ...explain.requests import list_requests
from ..admin.app import AppContext, filters_from
from ..admin.auth import COOKIE, bearer_key, is_admin_key
from ..admin.prefix import StripPrefix
from .chart import latency_chart

__all__ = ["create_ui_app"]

_TEMPLATES = Path(__file__).parent / "templates"


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _safe_next(target: str | None) -> str:
    # only local dashboard paths: never an open redirect
    return target if target and target.startswith("/ui/") and not target.startswith("//") else "/ui/"


def create_ui_app(ctx: AppContext) -> StripPrefix:
    store, settings = ctx.store, ctx.settings
    decrypt = keyring_decryptor(settings)
    search_cfg = settings.observability.search
    embedder = make_embedder(search_cfg.embedder, search_cfg.sentence_model)
    env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["when"] = _when

    def page(name: str, status: int = 200, **data: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**data), status_code=status)

    def authed(request: Request) -> bool:
        return is_admin_key(store, request.cookies.get(COOKIE)) or is_admin_key(store, bearer_key(request.headers))

    def guarded(fn: Any) -> Any:
        def endpoint(request: Request) -> Response:
            if not authed(request):
                target = "/ui" + request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)
            try:
                return fn(request)
            except NotFoundError as exc:
                return page("notfound.html", 404, page="", message=str(exc))

        return endpoint

    def login_form(request: Request) -> Response:
        return page("login.html", page="login", next=_safe_next(request.query_params.get("next")), error=None)

    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0].strip()
        target = _safe_next((form.get("next") or [""])[0])
        if not is_admin_key(store, key):
            return page(
                "login.html",
                401,
                page="login",
                next=target,
                error="That key is not an active admin key: check it, or create one with "
                "`seedstack keys create --role admin`.",
            )
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(
            COOKIE,
            key,
            httponly=True,
            samesite="strict",
            path="/ui",
            secure=request.url.scheme == "https",
            max_age=12 * 3600,
        )
        return resp

    def logout(request: Request) -> Response:
        resp = RedirectResponse("/ui/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/ui")
        return resp

    def overview_page(request: Request) -> Response:
        try:
            hours = float(request.query_params.get("hours") or 24)
        except ValueError:
            hours = 24.0
        o = overview(store, settings, window_hours=hours)
        chart = latency_chart(o["latency_series"], o["chat_latency"]["slo_ms"])
        return page("overview.html", page="overview", o=o, chart=chart)

    def requests_page(request: Request) -> Response:
        q = request.query_params
        f = {
            k: q.get(k) or None for k in ("q", "customer", "template", "alias", "key", "status", "min_latency", "since")
        }
        rows: list[Any] = []
        error = None
        try:
            filters = filters_from(q, time.time())
            if f["q"]:
                sync_index(store, decrypt=decrypt, embedder=embedder)
                rows = [
                    h.to_dict()
                    for h in search(
                        store,
                        f["q"],
                        filters,
                        limit=50,
                        embedder=embedder,
                        max_scan=search_cfg.max_scan,
                        decrypt=decrypt,
                    )
                ]
            else:
                rows = list_requests(store, filters, limit=100)
        except SeedstackError as exc:
            error = str(exc)
        return page("requests.html", page="requests", f=f, rows=rows, error=error)

    def why_page(request: Request) -> Response:
        return page(
            "why.html",
            page="requests",
            s=explain_request(store, request.path_params["request_id"], decrypt=decrypt),
        )

    def trace_page(request: Request) -> Response:
        tid = request.path_params["trace_id"]
        return page(
            "trace.html",
            page="requests",
            trace_id=tid,
            steps=[s.to_dict() for s in load_trace(store, tid, decrypt=decrypt)],
        )

    def slo_page(request: Request) -> Response:
        return page("slo.html", page="slo", slos=[s.to_dict() for s in evaluate_slos(store, settings)])

    def drift_page(request: Request) -> Response:
        cfg = settings.observability.drift
        return page(
            "drift.html", page="drift", cfg=cfg, rows=[d.to_dict() for d in detect_drift(store, cfg, decrypt=decrypt)]
        )

    app = Starlette(
        routes=[
            Route("/login", login_form, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST", "GET"]),
            Route("/", guarded(overview_page)),
            Route("/requests", guarded(requests_page)),
            Route("/requests/{request_id}", guarded(why_page)),
            Route("/traces/{trace_id}", guarded(trace_page)),
            Route("/slo", guarded(slo_page)),
            Route("/drift", guarded(drift_page)),
        ]
    )
    return StripPrefix(app, "/ui")
