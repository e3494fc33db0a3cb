"""Streaming: fall back until the first event arrives, then forward each event as it comes.

The first event is pulled inside the router's attempt, so a backend that accepts the connection but
never produces a token (first-token timeout) still falls back. After that the stream is committed:
a failure mid-stream ends it with an OpenAI-shaped error event, and the record says so.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import UpstreamError
from ..providers import ProviderError, ProviderTimeoutError, UpstreamStream
from ..telemetry.record import RequestRecord
from .limits import Reservation
from .responses import StreamResponse
from .router import AliasRoute, Backend, Router
from .sse import StreamTally
from .usage import read_usage

if TYPE_CHECKING:
    from .proxy import Gateway

__all__ = ["OpenedStream", "open_stream", "stream_body"]


@dataclass(slots=True)
class OpenedStream:
    backend: Backend
    stream: UpstreamStream
    events: AsyncIterator[bytes]
    first: bytes | None
    sent_body: dict[str, Any]
    queue_ms: float
    upstream_started: float
    gpu_token: float | None


async def open_stream(
    router: Router,
    route: AliasRoute,
    endpoint: str,
    body: dict[str, Any],
    rec: RequestRecord,
    upstream_body: Callable[..., dict[str, Any]],
) -> OpenedStream:
    async def attempt(
        b: Backend,
    ) -> tuple[UpstreamStream, AsyncIterator[bytes], bytes | None, dict[str, Any], float]:
        sent = upstream_body(b, body, stream=True)
        t0 = time.perf_counter()
        stream = await b.provider.stream(endpoint, sent)
        events = stream.events()
        try:
            first = await anext(events, None)
        except ProviderError:
            await stream.aclose()
            raise
        return stream, events, first, sent, t0

    result = await router.call(route, attempt, rec.route)
    stream, events, first, sent, t0 = result.value
    return OpenedStream(result.backend, stream, events, first, sent, result.queue_ms, t0, result.gpu_token)


def _error_event(message: str, code: str) -> bytes:
    err = {"error": {"message": message, "type": "upstream_error", "param": None, "code": code}}
    return b"data: " + orjson.dumps(err) + b"\n\n"


async def stream_body(
    gw: Gateway,
    rec: RequestRecord,
    route: AliasRoute,
    opened: OpenedStream,
    reservation: Reservation | None,
    started: float,
    client_wants_usage: bool,
    response: StreamResponse,
) -> AsyncIterator[bytes]:
    tally = StreamTally(chat=rec.endpoint == "chat")
    status = 200
    upstream_end: float | None = None
    try:
        event = opened.first
        events = opened.events
        while event is not None:
            data, has_content = tally.parse(event)
            if has_content and tally.first_content_at is None:
                tally.first_content_at = time.perf_counter()
                rec.ttft_ms = (tally.first_content_at - started) * 1000
            usage_only = data is not None and data.get("usage") and not data.get("choices")
            if not (usage_only and not client_wants_usage):
                yield event
            event = await anext(events, None)
        upstream_end = time.perf_counter()
        if tally.error is not None:
            status = 502
            rec.error_class, rec.error_message = (
                "UpstreamStreamError",
                str(tally.error.get("message", ""))[:500],
            )
    except ProviderError as exc:
        upstream_end = time.perf_counter()
        status = 504 if isinstance(exc, ProviderTimeoutError) else 502
        rec.error_class, rec.error_message = (
            type(exc).__name__,
            f"stream from {opened.backend.name} broke: {exc}",
        )
        err = UpstreamError(rec.error_message)
        yield _error_event(err.message, "upstream_timeout" if status == 504 else "upstream_failed")
    finally:
        if upstream_end is None:  # the client went away (or the server is stopping) mid-stream
            upstream_end = time.perf_counter()
            if status == 200:
                status = 499
                rec.error_class, rec.error_message = (
                    "ClientDisconnected",
                    "the client closed the stream early",
                )
        await opened.stream.aclose()
        gpu_usd = gw.router.release(route, opened.backend, opened.gpu_token)
        if tally.model:
            rec.upstream_model = tally.model
        tin, tout, cached, reasoning = read_usage(tally.usage)
        if not tally.usage and tally.text:
            tout = len(tally.text)  # one event ≈ one token when the upstream sent no usage
        cost = opened.backend.cost(tin, tout, cached or 0, gpu_usd)
        gw.account_tokens(rec, tin, tout, cached, reasoning, cost)
        await gw.settle(reservation, tin + tout, cost or 0.0)
        failed_ms = sum(a.ms for a in rec.route if a.outcome != "ok")
        rec.upstream_ms = (upstream_end - opened.upstream_started) * 1000 + failed_ms
        payload = {
            "request": opened.sent_body,
            "response": {"text": tally.full_text, "finish_reason": tally.finish_reason},
        }
        gw.finish(rec, started, status, payload=payload)
