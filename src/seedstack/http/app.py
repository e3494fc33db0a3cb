"""The ASGI application: OpenAI-compatible ``/v1/*``, health, metrics, and the mounted admin API and
dashboard. ``create_app(settings)`` builds every piece of state and keeps it on one context."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import Settings, load_settings
from ..errors import SeedstackError, openai_error_body
from ..explain.wiring import register_slo_metrics
from ..gateway.proxy import Gateway, new_request_id
from ..gateway.responses import BodyResponse, StreamResponse, error_response, json_response
from ..store import Store, open_store
from ..telemetry.process import ProcessRecorder
from ..telemetry.recorder import RecordSink, RecordWriter
from .admin import create_admin_app
from .asgi import ASGIApp, Receive, Scope, Send, header_dict, read_body, send_body, send_stream
from .record_writer import build_recorder, settings_spec
from .ui import create_ui_app

__all__ = ["AppContext", "SeedstackApp", "app_from_env", "create_app"]

log = logging.getLogger("seedstack.http")

# Fewer, cheaper young-generation passes: per-request garbage is short-lived and mostly acyclic.
_GC_THRESHOLDS = (10_000, 10, 10)

_V1 = {
    "/v1/chat/completions": "chat",
    "/v1/completions": "completions",
    "/v1/embeddings": "embeddings",
    # Clients configured without the /v1 suffix still work.
    "/chat/completions": "chat",
    "/completions": "completions",
    "/embeddings": "embeddings",
}


@dataclass
class AppContext:
    """Everything the app's parts share; handed to mounted sub-apps."""

    settings: Settings
    store: Store
    gateway: Gateway
    mounts: dict[str, ASGIApp] = field(default_factory=dict)
    ready: bool = False


class SeedstackApp:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.gateway = ctx.gateway
        self.max_body = ctx.settings.server.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                # The recorder and SQLite writer threads run Python in bursts; a short GIL switch
                # interval keeps them from holding the event loop for the default 5 ms.
                sys.setswitchinterval(0.001)
                try:
                    await self.gateway.start()
                    # Everything loaded so far (guard model, libraries, config) lives as long as the
                    # process: keep it out of the cyclic GC, whose full passes over it were the
                    # gateway's p99 (tens of ms every few seconds).
                    gc.collect()
                    gc.freeze()
                    gc.set_threshold(*_GC_THRESHOLDS)
                    self.ctx.ready = True
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                self.ctx.ready = False
                await self.gateway.close()  # drains the recorder
                self.ctx.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        endpoint = _V1.get(path)
        if endpoint is not None:
            started = time.perf_counter()
            request_id = new_request_id()
            if method != "POST":
                await send_body(send, _method_not_allowed(path, "POST", request_id))
                return
            headers = header_dict(scope)
            try:
                raw = await read_body(receive, self.max_body, headers.get("content-length"))
                resp = await self.gateway.handle(endpoint, headers, raw, request_id, started)
            except SeedstackError as exc:
                resp = error_response(exc, [(b"x-request-id", request_id.encode())])
            except Exception:
                log.exception("unhandled error in %s (request %s)", path, request_id)
                resp = _internal_error(request_id)
            if isinstance(resp, StreamResponse):
                await send_stream(send, resp, receive)
                return
            try:
                await send_body(send, resp)
            finally:
                if resp.then is not None:
                    _run_then(resp.then, request_id)
            return
        if path in ("/v1/models", "/models"):
            await send_body(send, await self._models(scope))
            return
        if path == "/healthz":
            await send_body(send, json_response(200, {"status": "ok"}))
            return
        if path == "/readyz":
            await send_body(send, await self._ready())
            return
        if path == "/metrics":
            # Collectors may query the store (SLOs): render off the event loop.
            await send_body(send, await asyncio.to_thread(self._metrics))
            return
        for prefix, sub in self.ctx.mounts.items():
            if path == prefix.rstrip("/") or path.startswith(prefix):
                await sub(scope, receive, send)
                return
        await send_body(send, _not_found(path))

    async def _models(self, scope: Scope) -> BodyResponse:
        rid = new_request_id()
        try:
            resp = await self.gateway.list_models(header_dict(scope))
        except SeedstackError as exc:
            resp = error_response(exc)
        resp.headers.append((b"x-request-id", rid.encode()))
        return resp

    async def _ready(self) -> BodyResponse:
        checks: dict[str, Any] = {"started": self.ctx.ready}
        try:
            await asyncio.to_thread(self.ctx.store.ping)
            checks["store"] = "ok"
        except SeedstackError as exc:
            checks["store"] = f"unavailable: {exc}"
        rec = self.gateway.recorder
        checks["recorder"] = {
            "pending": rec.pending,
            "spooled": rec.stats.spooled,
            "store_healthy": rec.stats.store_healthy,
        }
        ok = checks["started"] and checks["store"] == "ok"
        return json_response(200 if ok else 503, {"status": "ready" if ok else "not ready", "checks": checks})

    def _metrics(self) -> BodyResponse:
        m = self.gateway.metrics
        m.recorder_pending.set(self.gateway.recorder.pending)
        m.recorder_spooled.set(self.gateway.recorder.stats.spooled)
        for route in self.gateway.router.aliases.values():
            for b in route.backends:
                m.in_flight.labels(b.name).set(b.in_flight)
                m.circuit_open.labels(b.name).set(1 if b.breaker.is_open else 0)
        return BodyResponse(200, m.render(), [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")])


def _run_then(then: Callable[[], None], request_id: str) -> None:
    try:
        then()
    except Exception:  # the client has its answer; never turn bookkeeping into a second response
        log.exception("recording request %s failed", request_id)


def _method_not_allowed(path: str, allowed: str, request_id: str) -> BodyResponse:
    body = openai_error_body(f"{path} only accepts {allowed}", "invalid_request_error", None, "method_not_allowed")
    return json_response(405, body, [(b"allow", allowed.encode()), (b"x-request-id", request_id.encode())])


def _not_found(path: str) -> BodyResponse:
    return json_response(
        404,
        openai_error_body(
            f"no route {path}; the OpenAI-compatible API is under /v1 "
            "(chat/completions, completions, embeddings, models)",
            "invalid_request_error",
            None,
            "not_found",
        ),
    )


def _internal_error(request_id: str) -> BodyResponse:
    return json_response(
        500,
        openai_error_body("Internal Server Error", "server_error", None, None),
        [(b"x-request-id", request_id.encode())],
    )


def app_from_env() -> SeedstackApp:
    """The app for one of several worker processes: settings come from the environment
    (``SEEDSTACK_CONFIG`` and ``SEEDSTACK_*``), exactly as the parent ``seedstack up`` saw them."""
    return create_app(load_settings())


def create_app(
    settings: Settings, *, store: Store | None = None, sinks: list[RecordSink] | None = None
) -> SeedstackApp:
    """Build the app and all its state. The store is opened (and migrated) here unless given.

    Records are written by a child process (``telemetry.writer: process``) whose recorder has the
    sinks ``observability`` configures (search indexing, OTLP export) and seals payloads with the data
    keyring (AES-GCM). Passing ``sinks`` (tests, embedding) keeps the writer a thread in this process.
    """
    store = store or open_store(settings.store_url)
    recorder: RecordWriter
    if sinks is None and settings.telemetry.writer == "process":
        recorder = ProcessRecorder(
            settings_spec(settings),
            child_module="seedstack.http.record_writer",
            pipe_interval_s=min(0.02, settings.telemetry.flush_interval_ms / 4000),
        )
    else:
        recorder = build_recorder(settings, store, sinks=sinks)
    gateway = Gateway(settings, store, recorder=recorder)
    register_slo_metrics(gateway.metrics.registry, settings, store)
    ctx = AppContext(settings, store, gateway)
    ctx.mounts["/ui/"] = create_ui_app(ctx)
    ctx.mounts["/api/"] = create_admin_app(ctx)
    return SeedstackApp(ctx)
