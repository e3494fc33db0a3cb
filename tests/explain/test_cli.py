from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from seedstack.cli.main import app
from seedstack.explain.demo import insert_records, synthetic_records
from seedstack.store import open_store

from .obs_records import COMPLAINT_ID, NOW, chat_payload, complaint_record, make_record

runner = CliRunner()


@pytest.fixture
def cli_store(store_url, monkeypatch):
    monkeypatch.setenv("SEEDSTACK_STORE", store_url)
    with open_store(store_url) as s:
        insert_records(s, list(synthetic_records(400, seed=5, now=NOW, days=3)))
        insert_records(s, [complaint_record(), make_record("req_ancient", ts=NOW - 200 * 86400)], index=False)
    return store_url


def test_search_then_why_from_a_complaint(cli_store):
    res = runner.invoke(app, ["search", "refund was denied", "--customer", "acme", "--since", "2d", "--json"])
    assert res.exit_code == 0, res.output
    hits = orjson.loads(res.output)
    assert hits[0]["request_id"] == COMPLAINT_ID
    res = runner.invoke(app, ["why", COMPLAINT_ID], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    for expected in (
        "support-refund",
        "A12345",
        "no answer in 3 s",
        "time to first token",
        "pii",
        "llama-3.1-8b-awq",
        "has been denied",
        "no registry entry",
        "similar past requests",
    ):
        assert expected in res.output, expected


def test_traces_show_prints_the_tree(cli_store):
    with open_store(cli_store) as s:
        trace_id = s.query_one("SELECT trace_id FROM requests WHERE trace_id IS NOT NULL AND payload_kept = 1")[0]
    res = runner.invoke(app, ["traces", "show", trace_id], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert f"trace {trace_id}" in res.output and "tool call" in res.output and "web_search" in res.output


def test_slo_gc_and_drift_commands(cli_store):
    res = runner.invoke(app, ["slo"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "chat-p99-latency" in res.output and "optimize the model (quantize, speculative decoding)" in res.output
    res = runner.invoke(app, ["gc", "--dry-run", "--json"])
    assert orjson.loads(res.output)["requests"] == 1
    res = runner.invoke(app, ["gc"])
    assert res.exit_code == 0 and "1 request records" in res.output
    res = runner.invoke(app, ["drift", "--json"])
    assert res.exit_code == 0 and {d["template"] for d in orjson.loads(res.output)} >= {"support-refund"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["why", "req_missing"], "no request req_missing"),
        (["traces", "show", "t-missing"], "no requests with trace id"),
        (["search", "x", "--since", "yesterday"], "30m, 36h, 2d"),
    ],
)
def test_expected_failures_are_one_line_without_traceback(cli_store, args, message):
    res = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output


def test_why_and_search_open_payloads_sealed_by_the_data_keyring(cli_store):
    from seedstack.config import load_settings
    from seedstack.crypto import DataKeyring

    ring = DataKeyring.from_settings(load_settings())
    body = ring.encrypt(orjson.dumps(chat_payload("my parcel never came", "We shipped the sealed parcel on Monday")))
    with open_store(cli_store) as s:
        insert_records(s, [make_record("req_sealed", payload_kept=True, customer="sealco")], index=False)
        s.execute(
            "INSERT INTO payloads (request_id, ts, body, key_ref) VALUES (?, ?, ?, ?)",
            ("req_sealed", NOW, body, ring.key_id_of(body)),
        )
        assert b"sealed parcel" not in bytes(
            s.query_one("SELECT body FROM payloads WHERE request_id = 'req_sealed'")[0]
        )
    res = runner.invoke(app, ["why", "req_sealed", "--json"])
    assert res.exit_code == 0, res.output
    assert "sealed parcel" in orjson.loads(res.output)["payload"]["response"]["choices"][0]["message"]["content"]
    res = runner.invoke(app, ["search", "parcel shipped", "--customer", "sealco", "--json"])
    assert [h["request_id"] for h in orjson.loads(res.output)] == ["req_sealed"]
