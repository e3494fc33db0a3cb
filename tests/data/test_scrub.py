"""PII is scrubbed on the way in, with the report stored in the version's commit metadata."""

from __future__ import annotations

import json
from pathlib import Path

from deltalake import DeltaTable

from .data_helpers import chat_rows, write_jsonl


def _contents(svc, ref: str, tmp_path: Path) -> list[dict]:
    out = tmp_path / "export.jsonl"
    svc.export(ref, out)
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_redact_replaces_pii_in_nested_messages_and_reports_counts(
    make_service, root, tmp_path: Path
) -> None:
    svc = make_service(policy="redact")
    rows = chat_rows(30, pii_every=10)
    rows[1]["messages"][1]["content"] = "call +1 555 123 4567 or a@b.co"
    rec = svc.add("chats", [write_jsonl(tmp_path / "c.jsonl", rows)])
    assert rec.scrub["entities"] == {"EMAIL": 4, "PHONE": 1}
    assert rec.scrub["rows_with_pii"] == 4 and rec.scrub["policy"] == "redact"
    assert rec.scrub["engine"] == "stub-1" and len(rec.scrub["policy_hash"]) == 16
    text = json.dumps(_contents(svc, "chats", tmp_path))
    assert "@example.com" not in text and "555 123" not in text
    assert "mail me at <EMAIL>" in text and "call <PHONE> or <EMAIL>" in text
    # The report travels with the Delta commit itself, readable by any Delta client.
    meta = json.loads(DeltaTable(f"{root}/chats").history(1)[0]["seedstack"])
    assert meta["scrub"]["entities"] == {"EMAIL": 4, "PHONE": 1}


def test_pseudonymize_keeps_joins_working(make_service, tmp_path: Path) -> None:
    svc = make_service(policy="pseudonymize")
    rows = [{"user": "ann@corp.io", "n": 1}, {"user": "bob@corp.io", "n": 2}, {"user": "ann@corp.io", "n": 3}]
    svc.add("people", [write_jsonl(tmp_path / "p.jsonl", rows)])
    users = [r["user"] for r in sorted(_contents(svc, "people", tmp_path), key=lambda r: r["n"])]
    assert users[0] == users[2] != users[1]
    assert all(u.startswith("<EMAIL_") and "corp.io" not in u for u in users)


def test_drop_policy_skips_rows_with_pii(make_service, tmp_path: Path) -> None:
    svc = make_service(policy="drop")
    rec = svc.add("chats", [write_jsonl(tmp_path / "c.jsonl", chat_rows(20, pii_every=5))])
    assert rec.row_count == 16 and rec.scrub["rows_dropped"] == 4
    assert all(r["id"] % 5 for r in _contents(svc, "chats", tmp_path))


def test_scrub_calls_engine_once_per_column_per_block(make_service, engine, tmp_path: Path) -> None:
    svc = make_service(policy="redact", block_bytes=1 << 20)
    svc.add("chats", [write_jsonl(tmp_path / "c.jsonl", chat_rows(500))])
    # messages.role and messages.content: 2 scans, not 1000 (no PII, so no per-value re-scan)
    assert engine.scans == 2


def test_settings_without_guard_engine_or_with_policy_off(tmp_path: Path) -> None:
    from seedstack.config import load_settings
    from seedstack.data import scrubber_from_settings

    assert scrubber_from_settings(load_settings(data={"scrub": {"policy": "off"}})) is None
    stub = object.__new__(type("E", (), {"scan": lambda *a, **k: [], "redact": lambda *a, **k: ""}))
    s = scrubber_from_settings(load_settings(data={"scrub": {"policy": "redact"}}), engine=stub)
    assert s is not None and s.policy == "redact"


def test_long_values_are_scanned_whole_even_past_the_engines_ceiling(store, tmp_path: Path) -> None:
    from seedstack.access import LOCAL_ADMIN
    from seedstack.data import DatasetService, GuardScrubber, TableLocation

    from .conftest import StubEngine

    class Sampling(StubEngine):
        """Like the guard engine: texts over max_scan_chars are only sampled, so must not reach it."""

        max_scan_chars = 10_000

        def scan(self, text: str, detectors: set[str] | None = None) -> list:
            assert len(text) <= self.max_scan_chars, (
                "the scrubber handed the engine a text it would only sample"
            )
            return super().scan(text, detectors)

    svc = DatasetService(
        store, TableLocation(str(tmp_path / "lake")), LOCAL_ADMIN, scrubber=GuardScrubber(Sampling())
    )
    long_doc = "word " * 6000 + "write to hidden@corp.io please " + "word " * 6000
    rows = [{"doc": long_doc}] + [{"doc": f"short {i} x{i}@y.io"} for i in range(2000)]
    rec = svc.add("docs", [write_jsonl(tmp_path / "d.jsonl", rows)])
    assert rec.scrub["entities"] == {"EMAIL": 2001}
    text = json.dumps(_contents(svc, "docs", tmp_path))
    assert "hidden@corp.io" not in text and "@y.io" not in text


def test_rows_are_scanned_apart_when_batched() -> None:
    """Rows are joined into one text for speed: context in one row must not flag the next one."""
    import pyarrow as pa

    from seedstack.data.scrub import GuardScrubber
    from seedstack.guard import GuardEngine

    scrubber = GuardScrubber(GuardEngine.default())
    table = pa.table({"text": ["if it breaks, please call", "1234567", "İstanbul office: mail ann@example.com"]})
    report = scrubber.new_report()
    out = scrubber.scrub(table, report).column("text").to_pylist()
    assert out[1] == "1234567"  # a bare number with no phone cue in its own row
    assert "ann@example.com" not in out[2] and out[2].startswith("İstanbul office: mail <EMAIL")
