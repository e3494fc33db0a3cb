"""`seedstack keys` and `seedstack requests`: what an operator types."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from seedstack.cli.main import app
from seedstack.config import load_settings
from seedstack.gateway.keys import hash_key
from seedstack.store import open_store
from seedstack.telemetry.record import RequestRecord

runner = CliRunner()


def test_keys_create_list_revoke_and_hashing() -> None:
    r = runner.invoke(
        app,
        [
            "keys",
            "create",
            "--role",
            "app",
            "--models",
            "demo",
            "--rpm",
            "60",
            "--tpm",
            "1000",
            "--budget-usd-day",
            "5",
            "--name",
            "web",
        ],
    )
    assert r.exit_code == 0, r.output
    plaintext = r.output.strip().splitlines()[-1]
    assert plaintext.startswith("sk-ss-")
    store = open_store(load_settings().store_url)
    try:
        row = store.query_one("SELECT id, hash, role, models, rpm, tpm, budget_usd_day FROM api_keys")
        assert row is not None
        key_id, stored_hash, *rest = row
        assert stored_hash == hash_key(plaintext) and plaintext not in str(row)
        assert rest == ["app", '["demo"]', 60, 1000, 5.0]
    finally:
        store.close()
    listing = runner.invoke(app, ["keys", "list"])
    assert key_id in listing.output and plaintext not in listing.output
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    again = runner.invoke(app, ["keys", "revoke", key_id])
    assert again.exit_code == 1 and "no active key" in again.output


def test_keys_create_refuses_bad_input_in_one_line() -> None:
    r = runner.invoke(app, ["keys", "create", "--role", "wizard"])
    assert r.exit_code == 1 and "unknown role 'wizard'" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["keys", "create", "--models", "nope"])
    assert r.exit_code != 0 and "unknown model alias" in r.output


def test_requests_lists_filters_and_prints_json() -> None:
    store = open_store(load_settings().store_url)
    try:
        rows = []
        for i, (customer, status) in enumerate([("acme", 200), ("acme", 502), ("globex", 200)]):
            rec = RequestRecord(
                id=f"req_{i:024x}",
                ts=1_700_000_000 + i,
                endpoint="chat",
                key_id="key_1",
                customer=customer,
                alias="demo",
                backend="demo/simulator",
                tokens_in=3,
                tokens_out=5,
                cost_usd=0.0012,
                ttft_ms=12.5,
                latency_ms=40.0,
                status_code=status,
            )
            rows.append(rec.row())
        from seedstack.telemetry.recorder import _INSERT_REQUEST

        store.executemany(_INSERT_REQUEST, rows)
    finally:
        store.close()
    r = runner.invoke(app, ["requests", "--json"])
    lines = [orjson.loads(line) for line in r.output.strip().splitlines()]
    assert [x["id"][-1] for x in lines] == ["2", "1", "0"]  # newest first
    r = runner.invoke(app, ["requests", "--json", "--status", "error"])
    assert [orjson.loads(line)["status_code"] for line in r.output.strip().splitlines()] == [502]
    r = runner.invoke(app, ["requests", "--json", "--customer", "globex"])
    assert len(r.output.strip().splitlines()) == 1
    r = runner.invoke(app, ["requests", "--since", "yesterday"])
    assert r.exit_code == 1 and "not a duration" in r.output
    table = runner.invoke(app, ["requests"], env={"COLUMNS": "200"})
    assert "req_000000000000000000000002" in table.output and "502" in table.output
