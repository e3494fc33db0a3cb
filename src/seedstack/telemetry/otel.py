"""OTLP export of request records as OpenTelemetry GenAI spans (the ``[otel]`` extra).

The recorder hands each finished record to ``OTLPSink.submit`` on its writer thread, after the
request has been answered. The sink batches records to a separate exporter process, where each
becomes a span (start = request start, end = start + latency) queued to the SDK's
``BatchSpanProcessor``. Nothing here runs on the request path or holds the gateway's GIL for long,
and a dead or slow collector only drops spans, never requests.

Attributes follow the GenAI semantic conventions (``gen_ai.*``); what the conventions have no name
for (cost, guard verdicts, route, template) goes in ``seedstack.*``. Prompt and completion text is
attached only to sampled requests (``gen_ai.input.messages`` / ``gen_ai.output.messages``).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import re
import threading
from typing import Any

import orjson

from ..config.observability import OTLPConfig
from ..errors import MissingExtraError
from .record import RequestRecord

__all__ = ["OTLPSink", "SpanBuilder", "span_attributes"]

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_OPERATION = {"chat": "chat", "completions": "text_completion", "embeddings": "embeddings"}


def _id(value: str, bits: int) -> int:
    """A stable non-zero id for ids that are not already W3C hex (our own request ids)."""
    pattern = _HEX32 if bits == 128 else _HEX16
    if pattern.match(value) and int(value, 16):
        return int(value, 16)
    digest = hashlib.blake2b(value.encode(), digest_size=bits // 8).digest()
    return int.from_bytes(digest, "big") or 1


def _finish_reasons(payload: dict[str, Any] | None) -> list[str]:
    resp = (payload or {}).get("response") or {}
    if not isinstance(resp, dict):
        return []
    if resp.get("finish_reason"):
        return [str(resp["finish_reason"])]
    return [
        str(c["finish_reason"]) for c in resp.get("choices") or [] if isinstance(c, dict) and c.get("finish_reason")
    ]


def _parts(msg: dict[str, Any]) -> list[dict[str, Any]]:
    """One OpenAI message as GenAI semconv ``parts`` (text, tool calls, tool results)."""
    parts: list[dict[str, Any]] = []
    content = msg.get("content")
    if msg.get("role") == "tool":
        return [{"type": "tool_call_response", "id": msg.get("tool_call_id"), "response": content}]
    if isinstance(content, str) and content:
        parts.append({"type": "text", "content": content})
    elif isinstance(content, list):
        parts += [{"type": "text", "content": c.get("text")} for c in content if isinstance(c, dict) and c.get("text")]
    for call in msg.get("tool_calls") or []:
        fn = (call or {}).get("function") or {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": fn.get("name"),
                "arguments": fn.get("arguments"),
            }
        )
    return parts


def _input_messages(req: Any) -> list[dict[str, Any]]:
    if not isinstance(req, dict):
        return []
    if isinstance(req.get("messages"), list):
        return [{"role": m.get("role"), "parts": _parts(m)} for m in req["messages"] if isinstance(m, dict)]
    prompt = req.get("prompt") or req.get("input")
    return [
        {
            "role": "user",
            "parts": [{"type": "text", "content": prompt if isinstance(prompt, str) else str(prompt)}],
        }
    ]


def _output_messages(resp: Any) -> list[dict[str, Any]]:
    if not isinstance(resp, dict):
        return []
    if isinstance(resp.get("text"), str):  # a stream, recorded as its text
        return [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": resp["text"]}],
                "finish_reason": resp.get("finish_reason"),
            }
        ]
    out = []
    for choice in resp.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        msg = choice.get("message") or {"role": "assistant", "content": choice.get("text")}
        out.append(
            {
                "role": msg.get("role", "assistant"),
                "parts": _parts(msg),
                "finish_reason": choice.get("finish_reason"),
            }
        )
    if not out and isinstance(resp.get("error"), dict):
        out.append(
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": str(resp["error"].get("message"))}],
                "finish_reason": "error",
            }
        )
    return out


def span_attributes(record: RequestRecord, *, include_payloads: bool = True) -> dict[str, Any]:
    """The span's attributes: GenAI conventions first, seedstack extras under ``seedstack.*``."""
    params = record.params or {}
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": _OPERATION.get(record.endpoint, record.endpoint),
        "gen_ai.provider.name": record.provider or "unknown",
        "gen_ai.request.model": record.alias or "",
        "gen_ai.response.model": record.upstream_model or "",
        "gen_ai.response.id": record.id,
        "seedstack.request_id": record.id,
        "seedstack.status_code": record.status_code,
        "seedstack.simulated": record.simulated,
        "seedstack.stream": record.stream,
        "seedstack.payload.sampled": bool(record.payload_kept and record.payload is not None),
    }
    for key, name in (
        ("temperature", "gen_ai.request.temperature"),
        ("max_tokens", "gen_ai.request.max_tokens"),
        ("top_p", "gen_ai.request.top_p"),
        ("seed", "gen_ai.request.seed"),
    ):
        if isinstance(params.get(key), int | float) and not isinstance(params.get(key), bool):
            attrs[name] = params[key]
    optional = {
        "gen_ai.usage.input_tokens": record.tokens_in,
        "gen_ai.usage.output_tokens": record.tokens_out,
        "gen_ai.response.time_to_first_chunk": record.ttft_ms / 1000 if record.ttft_ms is not None else None,
        "server.address": record.backend,
        "error.type": record.error_class,
        "seedstack.cost_usd": record.cost_usd,
        "seedstack.customer": record.customer,
        "seedstack.key_id": record.key_id,
        "seedstack.template": record.template,
        "seedstack.template_version": record.template_version,
        "seedstack.model_version": record.model_version,
        "seedstack.latency.queue_ms": record.queue_ms,
        "seedstack.latency.ttft_ms": record.ttft_ms,
        "seedstack.latency.total_ms": record.latency_ms,
        "seedstack.latency.overhead_ms": record.overhead_ms,
    }
    attrs.update({k: v for k, v in optional.items() if v is not None})
    if record.tags:
        attrs["seedstack.tags"] = list(record.tags)
    if record.route:
        attrs["seedstack.route"] = orjson.dumps([a.to_dict() for a in record.route]).decode()
        attrs["seedstack.route.attempts"] = len(record.route)
    if record.guard:
        attrs["seedstack.guard.verdicts"] = orjson.dumps(record.guard).decode()
        acted = [g for g in record.guard if g.get("action") not in (None, "allow", "pass")]
        attrs["seedstack.guard.actions"] = [f"{g.get('detector')}:{g.get('action')}" for g in acted]
        attrs["seedstack.guard.blocked"] = any(g.get("action") == "block" for g in record.guard)
    reasons = _finish_reasons(record.payload)
    if reasons:
        attrs["gen_ai.response.finish_reasons"] = reasons
    if include_payloads and record.payload_kept and record.payload is not None:
        attrs["gen_ai.input.messages"] = orjson.dumps(_input_messages(record.payload.get("request"))).decode()
        attrs["gen_ai.output.messages"] = orjson.dumps(_output_messages(record.payload.get("response"))).decode()
    return attrs


class SpanBuilder:
    """Turns records into spans on an SDK tracer whose BatchSpanProcessor exports them (runs in the
    exporter process; usable in-process for tests and tools)."""

    def __init__(self, config: OTLPConfig, *, exporter: Any = None) -> None:
        try:
            from opentelemetry.context import Context
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
            from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode, TraceFlags
            from opentelemetry.trace.propagation import set_span_in_context
        except ImportError:
            raise MissingExtraError("OTLP export", "otel") from None
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            headers = {k: v.get_secret_value() for k, v in config.headers.items()}
            exporter = OTLPSpanExporter(endpoint=config.endpoint, headers=headers or None, timeout=config.timeout_s)
        self._config = config
        self._lock = threading.Lock()
        self._next: tuple[int, int] | None = None  # (trace id, span id) for the span being started
        sink = self

        class _RecordIds(RandomIdGenerator):
            """Span and trace ids come from the record, so children find their parents."""

            def generate_span_id(self) -> int:
                return sink._next[1] if sink._next else super().generate_span_id()

            def generate_trace_id(self) -> int:
                return sink._next[0] if sink._next else super().generate_trace_id()

        self._provider = TracerProvider(
            resource=Resource.create({"service.name": config.service_name}), id_generator=_RecordIds()
        )
        self._provider.add_span_processor(
            BatchSpanProcessor(exporter, schedule_delay_millis=1000, max_queue_size=50_000, max_export_batch_size=512)
        )
        self._tracer = self._provider.get_tracer("seedstack")
        self._ctx = (Context, NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context)
        self._kind = SpanKind.CLIENT
        self._error = StatusCode.ERROR

    def add(self, record: RequestRecord) -> None:
        Context, NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context = self._ctx
        trace_id = _id(record.trace_id or record.id, 128)
        parent = None
        if record.trace_id and record.parent_id:
            parent_ctx = SpanContext(
                trace_id,
                _id(record.parent_id, 64),
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
            parent = set_span_in_context(NonRecordingSpan(parent_ctx), Context())
        start_ns = int(record.ts * 1e9)
        end_ns = start_ns + int((record.latency_ms or 0.0) * 1e6)
        attrs = span_attributes(record, include_payloads=self._config.include_payloads)
        name = f"{attrs['gen_ai.operation.name']} {record.alias or ''}".strip()
        with self._lock:
            self._next = (trace_id, _id(record.id, 64))
            try:
                span = self._tracer.start_span(
                    name, context=parent or Context(), kind=self._kind, attributes=attrs, start_time=start_ns
                )
            finally:
                self._next = None
        if record.status_code >= 500 or record.error_class:
            span.set_status(self._error, record.error_message or record.error_class or "")
        span.end(end_time=end_ns)

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        return bool(self._provider.force_flush(timeout_millis))

    def shutdown(self) -> None:
        self._provider.shutdown()


def _export_worker(config_json: str, inbox: Any, flushed: Any) -> None:
    """The exporter process: builds spans from batches of records and exports them."""
    import queue as _queue

    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(10)  # telemetry yields the CPU to serving when the machine is busy
    builder = SpanBuilder(OTLPConfig.model_validate_json(config_json))
    while True:
        try:
            item = inbox.get(timeout=1.0)
        except _queue.Empty:
            continue
        if item is None:
            break
        if item == "flush":
            builder.force_flush()
            flushed.set()
            continue
        for record in item:
            try:
                builder.add(record)
            except Exception:  # one malformed record must not stop the exporter
                continue
    builder.shutdown()


class OTLPSink:
    """A recorder sink that exports each record as one span over OTLP/HTTP.

    Building and encoding spans costs tens of microseconds of Python per request; done in the
    gateway process it would compete with the event loop for the GIL and stretch tail latency. So
    ``submit`` only appends to a buffer; batches of records are handed (pickled) to a separate
    exporter process, which builds the spans and exports them with the SDK's BatchSpanProcessor.
    When that process falls behind, batches are dropped (counted in ``dropped``), never requests.
    """

    def __init__(self, config: OTLPConfig, *, batch: int = 256, max_pending_batches: int = 200) -> None:
        try:
            import opentelemetry.sdk.trace  # noqa: F401  (fail now, in the parent, with the extra's name)
        except ImportError:
            raise MissingExtraError("OTLP export", "otel") from None
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._config = config
        self._batch = batch
        self._buf: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._inbox = ctx.Queue(maxsize=max_pending_batches)
        self._flushed = ctx.Event()
        self.dropped = 0
        self._proc = ctx.Process(
            target=_export_worker,
            args=(config.model_dump_json(), self._inbox, self._flushed),
            name="seedstack-otlp-exporter",
            daemon=True,
        )
        self._proc.start()
        self._closed = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="seedstack-otlp-flush", daemon=True)
        self._ticker.start()

    def _handoff(self) -> None:
        with self._lock:
            buf, self._buf = self._buf, []
        if not buf:
            return
        try:
            self._inbox.put_nowait(buf)
        except Exception:  # queue.Full: the exporter is behind; drop spans, never block requests
            self.dropped += len(buf)

    def _tick(self) -> None:
        while not self._closed.wait(0.5):
            self._handoff()

    def submit(self, record: RequestRecord) -> None:
        if record.payload is not None and not (self._config.include_payloads and record.payload_kept):
            record = copy.copy(record)
            record.payload = None  # content leaves only for sampled requests
        with self._lock:
            self._buf.append(record)
            full = len(self._buf) >= self._batch
        if full:
            self._handoff()

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        """Export everything submitted so far (tests, drains); True when the exporter confirmed."""
        self._handoff()
        self._flushed.clear()
        self._inbox.put("flush", timeout=timeout_s)
        return bool(self._flushed.wait(timeout_s))

    def shutdown(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._handoff()
        with contextlib.suppress(Exception):  # a full queue: the process is ended below anyway
            self._inbox.put(None, timeout=5)
        self._proc.join(timeout=self._config.timeout_s + 10)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout=5)
        self._inbox.close()
        self._inbox.join_thread()
