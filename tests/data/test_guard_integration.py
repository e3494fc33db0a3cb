"""With the default config, ``data add`` scrubs through the real guard engine (no stand-in)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from seedstack.cli.main import app

from .data_helpers import write_jsonl


def test_default_policy_redacts_with_the_guard_engine(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "messages": [{"role": "user", "content": "I'm ann@example.com, call +1 415 555 0100"}]},
        {"id": 2, "messages": [{"role": "user", "content": "where is my order?"}]},
    ]
    write_jsonl(tmp_path / "chats.jsonl", rows)
    runner = CliRunner()
    res = runner.invoke(app, ["data", "add", "chats", "chats.jsonl", "--json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output[res.output.index("{") :])
    assert rec["scrub"]["entities"] == {"EMAIL": 1, "PHONE": 1}
    assert rec["scrub"]["engine"].startswith("GuardEngine") and rec["scrub"]["policy"] == "redact"
    assert runner.invoke(app, ["data", "export", "chats", "-o", "out.jsonl"]).exit_code == 0
    text = (tmp_path / "out.jsonl").read_text()
    assert "ann@example.com" not in text and "555 0100" not in text
    assert "where is my order?" in text
