"""The request path: auth → limits → input guard → route (with fallback) → provider → output guard
→ client, building the request record along the way and handing it to the recorder.

Nothing here waits on the database: keys come from a cache, limits from memory/Redis (or the store
when configured for replicas), and the record is queued for the background writer.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from ..config import Settings
from ..config.guard import GuardPolicy
from ..errors import (
    AuthenticationError,
    GuardrailBlockedError,
    InvalidRequestError,
    ModelNotFoundError,
    PermissionDeniedError,
    SeedstackError,
)
from ..evals.online import OnlineEvaluator
from ..providers import ProviderHTTPError, UpstreamResponse
from ..registry.lineage import version_for_backend
from ..store import Store
from ..telemetry.metrics import GatewayMetrics
from ..telemetry.record import RequestRecord
from ..telemetry.recorder import Recorder, RecordWriter
from ..telemetry.sampler import PayloadSampler
from .context import extract_meta
from .guarding import GatewayGuard, system_prompt_of
from .keys import ApiKey, KeyCache
from .limits import Limiter, Reservation, build_limiter
from .responses import BodyResponse, StreamResponse, error_response, json_response
from .router import AliasRoute, Backend, Router
from .streaming import open_stream, stream_body
from .usage import estimate_prompt_tokens, read_usage
from .validate import parse_body, validate

__all__ = ["Call", "Gateway", "new_request_id"]

_PARAM_KEYS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "n",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "tool_choice",
)


log = logging.getLogger("seedstack.gateway")

_GuardContext = tuple[GuardPolicy, str | None, dict[str, str]]  # policy, system prompt, restore map


@dataclass(slots=True)
class Call:
    """One request on its way through the gateway, once it is authenticated, valid and reserved."""

    rec: RequestRecord
    route: AliasRoute
    endpoint: str
    body: dict[str, Any]
    reservation: Reservation | None
    started: float
    rid: list[tuple[bytes, bytes]]
    guard: _GuardContext | None

    @property
    def client_wants_usage(self) -> bool:
        return bool((self.body.get("stream_options") or {}).get("include_usage"))


_YIELD_S = 0.0005
_STATUS_CLASS = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


def new_request_id() -> str:
    """Time-ordered (12 hex digits of µs since the epoch, then 12 random): the store's primary-key index
    grows at its end instead of at random places, and ids sort by arrival."""
    return f"req_{time.time_ns() // 1000 & 0xFFFFFFFFFFFF:012x}{secrets.token_hex(6)}"


class Gateway:
    """All gateway state, built once per app and passed down (no module globals)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        recorder: RecordWriter | None = None,
    ) -> None:
        """``recorder`` is built by ``create_app`` (sinks, sealed payloads, maybe a child process);
        without one, records go to a plain thread recorder (tests, embedding)."""
        self.settings = settings
        self.store = store
        self.metrics = GatewayMetrics()
        self.keys = KeyCache(store)
        self.limiter: Limiter = build_limiter(settings, store)
        self.router = Router(settings.models, settings.routing, self.metrics)
        self.sampler = PayloadSampler(settings.telemetry, settings.slo)
        self.online = OnlineEvaluator.from_settings(settings, store)
        self._tasks: list[asyncio.Task[None]] = []
        self._high_water = settings.telemetry.backlog_high_water
        self.guard = GatewayGuard(settings.guard, self.metrics) if settings.guard.enabled else None
        self.recorder: RecordWriter = recorder or Recorder(
            store,
            spool_dir=settings.spool_dir,
            flush_interval_s=settings.telemetry.flush_interval_ms / 1000,
            batch_size=settings.telemetry.batch_size,
        )

    async def start(self) -> None:
        self.recorder.start()
        await self.router.start()
        await asyncio.to_thread(self._refresh_model_versions)
        self._tasks.append(asyncio.create_task(self._refresh_forever()))
        if self.online is not None:
            await self.online.start()

    def _refresh_model_versions(self) -> None:
        try:
            self.router.refresh_model_versions(lambda name: version_for_backend(self.store, name))
        except SeedstackError as exc:  # the registry is optional context: never fail requests over it
            log.warning("could not read model versions from the registry: %s", exc)

    async def _refresh_forever(self, every_s: float = 30.0) -> None:
        while True:
            await asyncio.sleep(every_s)
            await asyncio.to_thread(self._refresh_model_versions)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.router.close()
        await self.limiter.close()
        if self.online is not None:
            await self.online.aclose()
        self.recorder.close()

    # --- auth ---------------------------------------------------------------------------------
    async def authenticate(self, headers: dict[str, str]) -> ApiKey:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get("x-api-key", "").strip()
        if not token:
            raise AuthenticationError(
                "missing API key: send 'Authorization: Bearer <key>' (create one with `seedstack keys create`)"
            )
        key = await self.keys.lookup(token)
        if key is None:
            raise AuthenticationError(
                "invalid or revoked API key: check the key, or create one with `seedstack keys create`"
            )
        return key

    # --- endpoints ----------------------------------------------------------------------------
    async def list_models(self, headers: dict[str, str]) -> BodyResponse:
        key = await self.authenticate(headers)
        data = [
            {
                "id": alias,
                "object": "model",
                "created": 0,
                "owned_by": "seedstack",
                "description": route.config.description,
            }
            for alias, route in self.router.aliases.items()
            if key.allows(alias)
        ]
        return json_response(200, {"object": "list", "data": data})

    async def handle(
        self, endpoint: str, headers: dict[str, str], raw: bytes, request_id: str, started: float
    ) -> BodyResponse | StreamResponse:
        """The reply to one API call. A ``BodyResponse`` may carry ``then`` (it closes the request's
        record): the caller runs it once the body is sent, or failed to send. A stream closes its
        record when it ends."""
        rec = RequestRecord(id=request_id, ts=time.time(), endpoint=endpoint)
        rid = [(b"x-request-id", request_id.encode())]
        reservation: Reservation | None = None
        body: dict[str, Any] | None = None
        try:
            key = await self.authenticate(headers)
            rec.key_id = key.id
            body = parse_body(raw)
            alias = validate(endpoint, body)
            rec.alias = alias
            rec.stream = bool(body.get("stream")) and endpoint != "embeddings"
            meta = extract_meta(headers, body)
            rec.customer = meta.customer or key.customer
            rec.tags, rec.template, rec.template_version = meta.tags, meta.template, meta.template_version
            rec.trace_id, rec.parent_id = meta.trace_id, meta.parent_id
            rec.metadata = meta.extra or None
            rec.params = _params(body)
            route = self.router.aliases.get(alias)
            if route is None:
                raise ModelNotFoundError(
                    f"unknown model '{alias}'; this gateway serves: {', '.join(self.router.aliases)}",
                    param="model",
                )
            if not key.allows(alias):
                raise _denied_model(key, alias)
            guard = None
            if self.guard is not None:
                policy = self.guard.policy(alias, key.name)
                system_prompt = system_prompt_of(body) if endpoint == "chat" else None
                restore = self.guard.check_input(endpoint, body, policy, rec)
                guard = (policy, system_prompt, restore)
            if key.budget_usd_day is not None and not (body.get("max_tokens") or body.get("max_completion_tokens")):
                body["max_tokens"] = self.settings.limits.budget_max_tokens
            reservation = await self._reserve(key, route, endpoint, body)
            call = Call(rec, route, endpoint, body, reservation, started, rid, guard)
            return await (self._stream(call) if rec.stream else self._complete(call))
        except SeedstackError as exc:
            await self.settle(reservation, 0, 0.0)
            return self._fail(rec, exc, body, started, rid)
        except ProviderHTTPError as exc:
            await self.settle(reservation, 0, 0.0)
            return self._upstream_4xx(rec, exc, body, started, rid)

    # --- non-streaming ------------------------------------------------------------------------
    async def _complete(self, call: Call) -> BodyResponse:
        rec, route, endpoint, body, guard = call.rec, call.route, call.endpoint, call.body, call.guard
        sent: dict[str, Any] = {}

        async def attempt(b: Backend) -> UpstreamResponse:
            sent["body"] = upstream = _upstream_body(b, body, stream=False)
            return await b.provider.send(endpoint, upstream)

        result = await self.router.call(route, attempt, rec.route)
        gpu_usd = self.router.release(route, result.backend, result.gpu_token)
        resp: UpstreamResponse = result.value
        self._attribute(rec, result.backend, resp.data.get("model"))
        tin, tout, cached, reasoning = read_usage(resp.data.get("usage"))
        cost = result.backend.cost(tin, tout, cached or 0, gpu_usd)
        self.account_tokens(rec, tin, tout, cached, reasoning, cost)
        await self.settle(call.reservation, tin + tout, cost or 0.0)
        rec.queue_ms, rec.upstream_ms = result.queue_ms, result.upstream_ms
        out = resp.body
        if guard is not None and self.guard is not None:
            policy, system_prompt, restore = guard
            try:
                if self.guard.check_output(endpoint, resp.data, policy, system_prompt, restore, rec):
                    out = orjson.dumps(resp.data)
            except GuardrailBlockedError as exc:  # the call was made and is paid for: record, then refuse
                return self._fail(rec, exc, sent.get("body"), call.started, call.rid)
        # The record is closed once the client has its answer (the HTTP layer runs ``then`` after the
        # send): its latency includes the send, and the bookkeeping is off the client's critical path.
        payload = {"request": sent.get("body"), "response": resp.data}
        return BodyResponse(
            200,
            out,
            [(b"content-type", b"application/json"), *call.rid],
            then=partial(self.finish, rec, call.started, 200, payload=payload),
        )

    # --- streaming ----------------------------------------------------------------------------
    async def _stream(self, call: Call) -> StreamResponse:
        rec, guard = call.rec, call.guard
        opened = await open_stream(self.router, call.route, call.endpoint, call.body, rec, _upstream_body)
        self._attribute(rec, opened.backend, None)
        rec.queue_ms = opened.queue_ms
        scanner = self.guard.stream_scanner(*guard) if guard is not None and self.guard is not None else None
        body_iter = stream_body(self, call, opened, scanner)
        headers = [
            (b"content-type", b"text/event-stream"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
            *call.rid,
        ]
        return StreamResponse(body_iter, headers)

    # --- shared bookkeeping -------------------------------------------------------------------
    async def _reserve(self, key: ApiKey, route: AliasRoute, endpoint: str, body: dict[str, Any]) -> Reservation | None:
        if key.rpm is None and key.tpm is None and key.budget_usd_day is None:
            return None
        prompt = estimate_prompt_tokens(endpoint, body)
        out = (
            0
            if endpoint == "embeddings"
            else int(
                body.get("max_tokens") or body.get("max_completion_tokens") or self.settings.limits.budget_max_tokens
            )
        )
        usd = max(b.worst_case_usd(prompt, out, b.config.timeouts.total) for b in route.backends)
        return await self.limiter.reserve(key, prompt + out, usd)

    async def settle(self, reservation: Reservation | None, tokens: int, usd: float) -> None:
        if reservation is not None:
            await self.limiter.settle(reservation, tokens, usd)

    def _attribute(self, rec: RequestRecord, backend: Backend, reported_model: str | None) -> None:
        rec.backend = backend.name
        rec.provider = backend.provider.kind
        rec.simulated = backend.simulated
        rec.upstream_model = reported_model or backend.provider.upstream_model
        rec.model_version = backend.model_version

    def account_tokens(
        self,
        rec: RequestRecord,
        tin: int,
        tout: int,
        cached: int | None,
        reasoning: int | None,
        cost: float | None,
    ) -> None:
        rec.tokens_in, rec.tokens_out, rec.tokens_cached, rec.tokens_reasoning = tin, tout, cached, reasoning
        rec.cost_usd = cost
        alias = self._alias_label(rec.alias)
        m = self.metrics
        m.tokens_by(alias, "input").inc(tin)
        m.tokens_by(alias, "output").inc(tout)
        if cost:
            m.cost_by(alias).inc(cost)

    def _alias_label(self, alias: str | None) -> str:
        """Metric label for an alias: unknown names share one label, so clients cannot grow /metrics."""
        return alias if alias in self.router.aliases else "unknown"

    def finish(self, rec: RequestRecord, started: float, status: int, *, payload: dict[str, Any] | None) -> None:
        """Close the record: timings, payload sampling, metrics; queue it for the writer."""
        rec.status_code = status
        rec.latency_ms = (time.perf_counter() - started) * 1000
        if rec.upstream_ms is not None:
            rec.overhead_ms = max(0.0, rec.latency_ms - rec.upstream_ms)
            self.metrics.overhead.observe(rec.overhead_ms / 1000)
        reason = self.sampler.should_keep(rec)
        if reason is not None:
            rec.payload_kept, rec.payload_reason, rec.payload = True, reason, payload
            if self.online is not None and status == 200 and payload is not None:
                self.online.maybe_schedule(rec, _last_user_text(payload), _reply_text(payload))
        alias = self._alias_label(rec.alias)
        m = self.metrics
        m.requests_by(alias, rec.endpoint, _STATUS_CLASS.get(status // 100, "5xx")).inc()
        m.latency_by(alias, rec.endpoint).observe(rec.latency_ms / 1000)
        if rec.ttft_ms is not None:
            m.ttft_by(alias).observe(rec.ttft_ms / 1000)
        self.recorder.submit(rec)
        if self.recorder.pending > self._high_water:
            # The writer thread has fallen behind (the process is CPU-bound): cede the GIL to it so
            # memory stays bounded and every record lands; at saturation this trades throughput.
            time.sleep(_YIELD_S)

    def _fail(
        self,
        rec: RequestRecord,
        exc: SeedstackError,
        body: dict[str, Any] | None,
        started: float,
        rid: list[tuple[bytes, bytes]],
    ) -> BodyResponse:
        rec.error_class = type(exc).__name__
        rec.error_message = exc.message[:500]
        resp = error_response(exc, rid)
        self.finish(rec, started, exc.status, payload={"request": body, "response": exc.to_openai()})
        return resp

    def _upstream_4xx(
        self,
        rec: RequestRecord,
        exc: ProviderHTTPError,
        body: dict[str, Any] | None,
        started: float,
        rid: list[tuple[bytes, bytes]],
    ) -> BodyResponse:
        """A backend refused the request (its 4xx): pass its OpenAI-shaped error through."""
        try:
            data = orjson.loads(exc.body)
        except orjson.JSONDecodeError:
            data = None
        if not (isinstance(data, dict) and isinstance(data.get("error"), dict)):
            err = InvalidRequestError(f"the upstream model server rejected the request (HTTP {exc.status})")
            data = err.to_openai()
        rec.error_class = "UpstreamRejected"
        rec.error_message = str(data["error"].get("message", ""))[:500]
        self.finish(rec, started, exc.status, payload={"request": body, "response": data})
        return json_response(exc.status, data, rid)


def _last_user_text(payload: dict[str, Any]) -> str:
    request = payload.get("request") or {}
    for m in reversed(request.get("messages") or ()):
        if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
            return str(m["content"])
    prompt = request.get("prompt")
    return prompt if isinstance(prompt, str) else ""


def _reply_text(payload: dict[str, Any]) -> str:
    response = payload.get("response") or {}
    if "text" in response and "choices" not in response:
        return str(response.get("text") or "")
    for choice in response.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return str(message["content"])
        if isinstance(choice, dict) and isinstance(choice.get("text"), str):
            return str(choice["text"])
    return ""


def _denied_model(key: ApiKey, alias: str) -> SeedstackError:
    allowed = ", ".join(key.models or ())
    return PermissionDeniedError(
        f"key '{key.name}' may not use model '{alias}' (allowed: {allowed}); ask an admin to add it to --models",
        param="model",
    )


def _params(body: dict[str, Any]) -> dict[str, Any] | None:
    params = {k: body[k] for k in _PARAM_KEYS if k in body}
    if "tools" in body and isinstance(body["tools"], list):
        params["tools"] = [
            (t.get("function") or {}).get("name") if isinstance(t, dict) else None for t in body["tools"]
        ]
    return params or None


def _upstream_body(backend: Backend, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
    """The body as the backend should see it: its model name, usage on streams, our metadata removed."""
    upstream = dict(body)
    upstream["model"] = backend.provider.upstream_model
    if "metadata" in upstream and not upstream.get("store"):
        del upstream["metadata"]
    if stream:
        opts = dict(upstream.get("stream_options") or {})
        opts["include_usage"] = True
        upstream["stream_options"] = opts
    return upstream
