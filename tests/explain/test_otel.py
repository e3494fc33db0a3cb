"""OTLP export end to end: spans go over real OTLP/HTTP to a receiver on a socket and are read back."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from seedstack.config.observability import OTLPConfig
from seedstack.telemetry.record import RouteAttempt

from .obs_records import chat_payload, make_record

pytest.importorskip("opentelemetry.sdk", reason="the [otel] extra is not installed")
trace_pb2 = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")

pytestmark = pytest.mark.socket

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


class _Receiver(BaseHTTPRequestHandler):
    spans: list[Any]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        req = trace_pb2.ExportTraceServiceRequest()
        req.ParseFromString(body)
        for rs in req.resource_spans:
            service = {a.key: a.value.string_value for a in rs.resource.attributes}.get("service.name")
            for ss in rs.scope_spans:
                for span in ss.spans:
                    self.server.spans.append((service, span))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(trace_pb2.ExportTraceServiceResponse().SerializeToString())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.spans = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind)


def test_records_arrive_as_genai_spans_with_payloads_only_when_sampled(receiver):
    from seedstack.telemetry.otel import OTLPSink

    port = receiver.server_address[1]
    sink = OTLPSink(OTLPConfig(enabled=True, endpoint=f"http://127.0.0.1:{port}/v1/traces", service_name="gw-test"))
    sampled = make_record(
        "req_sampled",
        trace_id=TRACE,
        parent_id=PARENT_SPAN,
        payload_kept=True,
        payload=chat_payload("where is my refund", "it was denied"),
        route=[
            RouteAttempt("vllm-c", "timeout", None, 3000.0, "no answer"),
            RouteAttempt("vllm-a", "ok", 200, 140.0),
        ],
        guard=[{"detector": "pii", "direction": "output", "action": "redact", "types": ["EMAIL"], "score": 1.0}],
    )
    child = make_record("req_child", trace_id=TRACE, parent_id="req_sampled")
    failed = make_record("req_failed", status_code=502, error_class="UpstreamError", error_message="all failed")
    for rec in (sampled, child, failed):
        sink.submit(rec)
    assert sink.force_flush()
    sink.shutdown()

    spans = {}
    for service, span in receiver.spans:
        assert service == "gw-test"
        spans[{a.key: _value(a.value) for a in span.attributes}["seedstack.request_id"]] = span
    assert set(spans) == {"req_sampled", "req_child", "req_failed"}
    s = spans["req_sampled"]
    attrs = {a.key: _value(a.value) for a in s.attributes}
    assert s.name == "chat chat" and s.trace_id.hex() == TRACE and s.parent_span_id.hex() == PARENT_SPAN
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "chat" and attrs["gen_ai.response.model"] == "llama-3.1-8b-awq"
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (120, 40)
    assert attrs["gen_ai.response.time_to_first_chunk"] == pytest.approx(0.08)
    assert attrs["gen_ai.request.temperature"] == 0.2 and attrs["gen_ai.request.seed"] == 42
    assert attrs["seedstack.cost_usd"] == pytest.approx(0.00012)
    assert attrs["seedstack.guard.actions"] == ["pii:redact"] and attrs["seedstack.route.attempts"] == 2
    assert "where is my refund" in attrs["gen_ai.input.messages"] and "denied" in attrs["gen_ai.output.messages"]
    assert (s.end_time_unix_nano - s.start_time_unix_nano) / 1e6 == pytest.approx(150.0)

    c = spans["req_child"]
    assert c.trace_id.hex() == TRACE and c.parent_span_id == s.span_id  # the tree survives export
    child_attrs = {a.key for a in c.attributes}
    assert "gen_ai.input.messages" not in child_attrs and "gen_ai.output.messages" not in child_attrs

    f = spans["req_failed"]
    assert f.status.code == 2 and f.status.message == "all failed"  # STATUS_CODE_ERROR
    assert {a.key: _value(a.value) for a in f.attributes}["error.type"] == "UpstreamError"


def test_a_dead_collector_never_raises_into_the_recorder():
    from seedstack.telemetry.otel import OTLPSink

    sink = OTLPSink(OTLPConfig(enabled=True, endpoint="http://127.0.0.1:9/v1/traces", timeout_s=1))
    for i in range(200):
        sink.submit(make_record(f"req_{i}"))
    sink.shutdown()  # drops what it cannot send; the requests were long answered
