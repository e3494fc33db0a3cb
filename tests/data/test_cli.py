"""The ``seedstack data``, ``models``, ``audit`` and ``keys rotate-data-key`` commands end to end."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seedstack.access import hash_key
from seedstack.cli.main import app
from seedstack.config import load_settings
from seedstack.store import open_store

from .data_helpers import chat_rows, write_jsonl


@pytest.fixture
def cli(tmp_path: Path):
    (tmp_path / "seedstack.yaml").write_text('data:\n  scrub: {policy: "off"}\n')
    runner = CliRunner()

    def run(*args: str, key: str | None = None) -> tuple[int, str]:
        env = {"SEEDSTACK_API_KEY": key} if key else {}
        res = runner.invoke(app, list(args), env=env)
        return res.exit_code, res.output

    return run


def _add_key(key: str, role: str, name: str) -> None:
    with open_store(load_settings().store_url) as store:
        store.execute(
            "INSERT INTO api_keys (id, name, hash, prefix, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (f"id-{name}", name, hash_key(key), key[:6], role, time.time()),
        )


def test_add_log_diff_tag_export_round_trip(cli, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", chat_rows(6))
    write_jsonl(tmp_path / "b.jsonl", chat_rows(2, start=6))
    code, out = cli("data", "add", "chats", "a.jsonl", "-m", "first")
    assert code == 0 and "chats@v0: create, +6 rows" in out and "acting as local admin" in out
    assert cli("data", "add", "chats", "b.jsonl")[0] == 0
    code, out = cli("data", "log", "chats", "--json")
    log = json.loads(out[out.index("[") :])
    assert [e["version"] for e in log] == [1, 0] and log[1]["message"] == "first"
    code, out = cli("data", "diff", "chats@v0", "chats@v1")
    assert code == 0 and "+2" in out and "-0" in out
    assert cli("data", "tag", "chats@v0", "release-1")[0] == 0
    code, out = cli("data", "export", "chats@release-1", "-o", "v0.jsonl")
    assert code == 0 and len((tmp_path / "v0.jsonl").read_text().splitlines()) == 6


def test_schema_refusal_is_one_line_without_traceback(cli, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"id": 1, "n": 5}])
    write_jsonl(tmp_path / "bad.jsonl", [{"id": 2, "n": 5}, {"id": 3, "n": 1.7}])
    cli("data", "add", "ev", "a.jsonl")
    code, out = cli("data", "add", "ev", "bad.jsonl")
    assert code == 1
    assert "column 'n' is int64 in the dataset but the input has double (row 2: 1.7)" in " ".join(out.split())
    assert "Traceback" not in out


def test_keys_enforce_roles_and_denials_show_in_audit(cli, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", chat_rows(3))
    _add_key("sk-eng", "ml-engineer", "eve")
    _add_key("sk-aud", "auditor", "ann")
    code, out = cli("data", "add", "chats", "a.jsonl")
    assert code == 1 and "SEEDSTACK_API_KEY" in out  # keys exist now: no silent local admin
    assert cli("data", "add", "chats", "a.jsonl", key="sk-eng")[0] == 0
    code, out = cli("data", "export", "chats@v0", "-o", "x.jsonl", key="sk-aud")
    assert code == 1 and "role 'auditor' may not read scrubbed rows" in " ".join(out.split())
    code, out = cli(
        "models",
        "register",
        "bot",
        "--version",
        "1",
        "--artifact",
        "s3://w/bot",
        "--dataset",
        "chats@v0",
        "--quantization",
        "awq-int4",
        key="sk-eng",
    )
    assert code == 0 and "registered bot@1" in out
    code, out = cli("models", "show", "bot@1", key="sk-aud")
    assert "hidden: needs models.read_artifact" in out
    code, out = cli("models", "promote", "bot@1", "--stage", "production", key="sk-eng")
    assert code == 0 and "bot@1 is now production" in out
    code, out = cli("models", "lineage", "bot@1", key="sk-aud")
    assert code == 0 and "dataset chats@v0: 3 rows" in out
    code, out = cli("audit", "--denied", "--json", key="sk-aud")
    denied = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [(d["actor"], d["action"]) for d in denied] == [("key:ann", "data.read")]
    assert cli("audit", key="sk-eng")[0] == 1  # ml-engineer may not read the audit log


def test_rotate_data_key_command(cli, tmp_path: Path) -> None:
    code, out = cli("keys", "rotate-data-key", "--json")
    assert code == 0
    res = json.loads(out[out.index("{") :])
    assert res["active_key"] != res["previous_key"] and res["retired_keys"] == [res["previous_key"]]
