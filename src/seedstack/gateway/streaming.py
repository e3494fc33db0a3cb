"""Streaming: fall back until the first event arrives, then forward each event as it comes.

The first event is pulled inside the router's attempt, so a backend that accepts the connection but
never produces a token (first-token timeout) still falls back. After that the stream is committed:
a failure mid-stream ends it with an OpenAI-shaped error event, and the record says so. With an
output guard, text passes through its hold-back window: events are rewritten to carry only the
released text, and what is still held is sent before the finishing event.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import GuardrailBlockedError, UpstreamError
from ..guard import OutputScanner
from ..providers import ProviderError, ProviderTimeoutError, UpstreamStream
from ..telemetry.record import RequestRecord
from .guarding import rewrite_event, text_event
from .router import AliasRoute, Backend, Router
from .sse import StreamTally
from .usage import read_usage

if TYPE_CHECKING:
    from .proxy import Call, Gateway

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
    async def attempt(b: Backend) -> tuple[UpstreamStream, AsyncIterator[bytes], bytes | None, dict[str, Any], float]:
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


def _error_event(message: str, type_: str, code: str, param: str | None = None) -> bytes:
    err = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return b"data: " + orjson.dumps(err) + b"\n\n"


async def stream_body(
    gw: Gateway, call: Call, opened: OpenedStream, scanner: OutputScanner | None = None
) -> AsyncIterator[bytes]:
    rec, started, client_wants_usage = call.rec, call.started, call.client_wants_usage
    chat = rec.endpoint == "chat"
    tally = StreamTally(chat=chat)
    visible: list[str] = []
    status = 200
    upstream_end: float | None = None
    template: dict[str, Any] | None = None
    scanner_done = False
    try:
        event = opened.first
        events = opened.events
        while event is not None:
            data = tally.parse(event)
            out: bytes | None = event
            released = tally.last_piece
            if data is not None and data.get("choices") is not None:
                template = template or data
            finishing = (
                data is None
                or not data.get("choices")
                or any(isinstance(c, dict) and c.get("finish_reason") for c in data.get("choices") or ())
            )
            if scanner is not None and not scanner_done:
                if tally.last_piece and not finishing:
                    released = scanner.feed(tally.last_piece)
                    out = rewrite_event(data, chat, released) if released else None  # type: ignore[arg-type]
                elif finishing:
                    held = scanner.feed(tally.last_piece) if tally.last_piece else ""
                    held += scanner.finish()
                    scanner_done = True
                    if tally.last_piece:
                        out = rewrite_event(data, chat, "")  # type: ignore[arg-type]
                    if held:
                        visible.append(held)
                        _first_token(rec, started)
                        yield text_event(template, chat, held)
                    released = None
            usage_only = data is not None and data.get("usage") and not data.get("choices")
            if released:
                visible.append(released)
                _first_token(rec, started)
            if out is not None and not (usage_only and not client_wants_usage):
                yield out
            event = await anext(events, None)
        if scanner is not None and not scanner_done:  # the upstream ended without a finishing event
            scanner_done = True
            held = scanner.finish()
            if held:
                visible.append(held)
                _first_token(rec, started)
                yield text_event(template, chat, held)
        upstream_end = time.perf_counter()
        if tally.error is not None:
            status = 502
            rec.error_class, rec.error_message = "UpstreamStreamError", str(tally.error.get("message", ""))[:500]
    except GuardrailBlockedError as exc:
        upstream_end = time.perf_counter()
        status = 400
        rec.error_class, rec.error_message = type(exc).__name__, exc.message
        yield _error_event(exc.message, exc.type, "guardrail_blocked", exc.param)
    except ProviderError as exc:
        upstream_end = time.perf_counter()
        status = 504 if isinstance(exc, ProviderTimeoutError) else 502
        rec.error_class, rec.error_message = type(exc).__name__, f"stream from {opened.backend.name} broke: {exc}"
        err = UpstreamError(rec.error_message)
        yield _error_event(err.message, err.type, "upstream_timeout" if status == 504 else "upstream_failed")
    finally:
        if upstream_end is None:  # the client went away (or the server is stopping) mid-stream
            upstream_end = time.perf_counter()
            if status == 200:
                status = 499
                rec.error_class, rec.error_message = "ClientDisconnected", "the client closed the stream early"
        await opened.stream.aclose()
        gpu_usd = gw.router.release(call.route, opened.backend, opened.gpu_token)
        if gw.guard is not None and scanner is not None:
            gw.guard.finish_stream(scanner, rec)
        if tally.model:
            rec.upstream_model = tally.model
        tin, tout, cached, reasoning = read_usage(tally.usage)
        if not tally.usage and tally.text:
            tout = len(tally.text)  # one event ≈ one token when the upstream sent no usage
        cost = opened.backend.cost(tin, tout, cached or 0, gpu_usd)
        gw.account_tokens(rec, tin, tout, cached, reasoning, cost)
        await gw.settle(call.reservation, tin + tout, cost or 0.0)
        failed_ms = sum(a.ms for a in rec.route if a.outcome != "ok")
        rec.upstream_ms = (upstream_end - opened.upstream_started) * 1000 + failed_ms
        payload = {
            "request": opened.sent_body,
            "response": {"text": "".join(visible), "finish_reason": tally.finish_reason},
        }
        gw.finish(rec, started, status, payload=payload)


def _first_token(rec: RequestRecord, started: float) -> None:
    if rec.ttft_ms is None:
        rec.ttft_ms = (time.perf_counter() - started) * 1000
