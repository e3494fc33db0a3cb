"""OTLP export into a real Arize Phoenix: send spans, read them back from Phoenix's REST API.

Phoenix is a peer tool, installed in a throwaway venv (``.bench-venvs/phoenix``, or the
``phoenix`` executable named by ``SEEDSTACK_PHOENIX``), never in seedstack's dependencies.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from seedstack.config.observability import OTLPConfig

from .obs_records import chat_payload, make_record

pytest.importorskip("opentelemetry.sdk", reason="the [otel] extra is not installed")
pytestmark = [pytest.mark.socket, pytest.mark.slow]

_DEFAULT = Path(__file__).resolve().parents[2] / ".bench-venvs" / "phoenix" / "bin" / "phoenix"
PHOENIX = Path(os.environ.get("SEEDSTACK_PHOENIX", _DEFAULT))
TRACE = "5bf92f3577b34da6a3ce929d0e0e4736"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


@pytest.fixture
def phoenix(tmp_path: Path):
    if not PHOENIX.exists():
        pytest.skip(
            f"Arize Phoenix is not installed at {PHOENIX}: "
            "python -m venv .bench-venvs/phoenix && .bench-venvs/phoenix/bin/pip install arize-phoenix"
        )
    port = _port()
    env = dict(
        os.environ,
        PHOENIX_WORKING_DIR=str(tmp_path / "phoenix"),
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(_port()),
        PHOENIX_HOST="127.0.0.1",
    )
    log = open(tmp_path / "phoenix.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([str(PHOENIX), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                _get(base + "/v1/projects")
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"Phoenix did not start: see {tmp_path / 'phoenix.log'}")
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_spans_read_back_from_phoenix(phoenix):
    from seedstack.telemetry.otel import OTLPSink

    sink = OTLPSink(OTLPConfig(enabled=True, endpoint=phoenix + "/v1/traces", service_name="seedstack-e2e"))
    sink.submit(
        make_record(
            "req_px_root",
            trace_id=TRACE,
            payload_kept=True,
            payload=chat_payload("why was my refund denied?", "The return window had closed."),
        )
    )
    sink.submit(make_record("req_px_child", trace_id=TRACE, parent_id="req_px_root", cost_usd=0.5))
    assert sink.force_flush()
    sink.shutdown()

    spans: list[dict] = []
    deadline = time.time() + 30
    while len(spans) < 2 and time.time() < deadline:
        spans = _get(phoenix + "/v1/projects/default/spans?limit=100")["data"]
        time.sleep(0.5)
    by_id = {s["attributes"]["seedstack.request_id"]: s for s in spans}
    root, child = by_id["req_px_root"], by_id["req_px_child"]
    assert root["context"]["trace_id"] == child["context"]["trace_id"] == TRACE
    assert child["parent_id"] == root["context"]["span_id"]
    attrs = root["attributes"]
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.response.model"] == "llama-3.1-8b-awq"
    assert attrs["gen_ai.usage.input_tokens"] == 120 and attrs["gen_ai.usage.output_tokens"] == 40
    out = orjson.loads(attrs["gen_ai.output.messages"])
    assert out[0]["parts"][0]["content"] == "The return window had closed."
    assert child["attributes"]["seedstack.cost_usd"] == 0.5
    assert "gen_ai.input.messages" not in child["attributes"]  # not sampled: no content leaves
