"""Datasets are versioned: appends and replaces make new versions, old ones stay readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seedstack.errors import InvalidRequestError, NotFoundError

from .data_helpers import chat_rows, write_jsonl


def test_add_creates_version_with_metadata(make_service, tmp_path: Path) -> None:
    svc = make_service()
    src = write_jsonl(tmp_path / "chats.jsonl", chat_rows(50))
    rec = svc.add("chats", [src], message="first cut")
    assert rec.version == 0
    assert rec.row_count == 50 and rec.rows_added == 50
    assert rec.author == "local-admin" and rec.message == "first cut"
    assert rec.sources == [
        {"file": "chats.jsonl", "bytes": src.stat().st_size, "format": "jsonl", "rows": 50}
    ]
    assert len(rec.content_hash) == 32 and len(rec.schema_hash) == 16
    shown = svc.show("chats@v0")
    assert shown["schema"]["messages"] == "list<struct<role: string, content: string>>"
    assert "_seedstack_row_hash" not in shown["schema"]


def test_append_is_default_and_old_versions_stay_readable(make_service, tmp_path: Path) -> None:
    svc = make_service()
    svc.add("chats", [write_jsonl(tmp_path / "a.jsonl", chat_rows(10))])
    v1 = svc.add("chats", [write_jsonl(tmp_path / "b.jsonl", chat_rows(5, start=10))])
    assert (v1.version, v1.row_count, v1.rows_added) == (1, 15, 5)
    v2 = svc.add("chats", [write_jsonl(tmp_path / "c.jsonl", chat_rows(3, start=100))], replace=True)
    assert (v2.version, v2.row_count, v2.operation) == (2, 3, "replace")
    out = tmp_path / "v1.jsonl"
    assert svc.export("chats@v1", out) == 15
    ids = sorted(json.loads(line)["id"] for line in out.read_text().splitlines())
    assert ids == list(range(15))
    assert [e["operation"] for e in svc.log("chats")] == ["replace", "append", "create"]


def test_same_content_same_hash_regardless_of_order(make_service, tmp_path: Path) -> None:
    svc = make_service()
    rows = chat_rows(20)
    a = svc.add("a", [write_jsonl(tmp_path / "a.jsonl", rows)])
    b = svc.add("b", [write_jsonl(tmp_path / "b.jsonl", list(reversed(rows)))])
    c = svc.add("c", [write_jsonl(tmp_path / "c.jsonl", rows[:-1])])
    assert a.content_hash == b.content_hash != c.content_hash


def test_diff_reports_schema_rows_and_sample(make_service, tmp_path: Path) -> None:
    svc = make_service()
    svc.add("chats", [write_jsonl(tmp_path / "a.jsonl", chat_rows(10))])
    new_rows = chat_rows(8, start=2)
    for r in new_rows:
        r["lang"] = "en"
    rec = svc.add("chats", [write_jsonl(tmp_path / "b.jsonl", new_rows)], replace=True, evolve=True)
    assert rec.version == 2  # v1 is the schema change itself (an 'evolve' commit with no rows)
    assert [e["operation"] for e in svc.log("chats")] == ["replace", "evolve", "create"]
    d = svc.diff("chats@v0", "chats@v2")
    assert d["schema"]["added"] == ["lang: string"]
    assert (d["rows_added"], d["rows_removed"]) == (8, 10)  # every row changed: it gained 'lang'
    assert d["sample_added"][0]["lang"] == "en"
    assert {r["id"] for r in d["sample_removed"]} <= set(range(10))


def test_tags_resolve_and_never_move(make_service, tmp_path: Path) -> None:
    svc = make_service()
    svc.add("chats", [write_jsonl(tmp_path / "a.jsonl", chat_rows(4))])
    svc.add("chats", [write_jsonl(tmp_path / "b.jsonl", chat_rows(4, start=4))])
    assert svc.tag("chats@v0", "release-1") == ("chats", 0)
    assert svc.resolve("chats@release-1") == ("chats", 0)
    with pytest.raises(InvalidRequestError, match="already points at chats@v0"):
        svc.tag("chats@v1", "release-1")
    assert svc.log("chats")[-1]["tags"] == ["release-1"]


def test_unknown_dataset_and_version_say_what_to_do(make_service, tmp_path: Path) -> None:
    svc = make_service()
    with pytest.raises(NotFoundError, match="seedstack data add"):
        svc.log("nope")
    svc.add("chats", [write_jsonl(tmp_path / "a.jsonl", chat_rows(2))])
    with pytest.raises(NotFoundError, match="latest is v0"):
        svc.show("chats@v7")


def test_vacuum_keeps_tagged_and_model_referenced_versions(make_service, store, tmp_path: Path) -> None:
    svc = make_service()
    for i in range(4):
        svc.add("chats", [write_jsonl(tmp_path / f"{i}.jsonl", chat_rows(5, start=i * 5))], replace=True)
    svc.tag("chats@v0", "golden")
    store.execute(
        "INSERT INTO model_datasets (name, version, dataset, dataset_version) VALUES (?, ?, ?, ?)",
        ("support-bot", "1", "chats", 2),
    )
    res = svc.vacuum("chats", retention_hours=0)
    assert res["files_removed"] == 1  # only v1's file was unprotected
    assert set(res["kept_versions"]) == {"v0", "v2", "v3"}
    for kept in ("chats@v0", "chats@v2", "chats@v3"):
        assert svc.export(kept, tmp_path / "out.jsonl") == 5
    with pytest.raises(Exception):  # noqa: B017 - v1's files are gone: reading it must fail, not return rows
        svc.export("chats@v1", tmp_path / "gone.jsonl")


def test_parquet_and_csv_inputs_and_parquet_export(make_service, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    svc = make_service()
    pq.write_table(pa.table({"id": [1, 2, 3], "text": ["a", "b", "c@d.io"]}), tmp_path / "in.parquet")
    (tmp_path / "more.csv").write_text("id,text\n4,d\n5,e\n")
    rec = svc.add("docs", [tmp_path / "in.parquet", tmp_path / "more.csv"])
    assert rec.row_count == 5
    assert rec.scrub["entities"] == {"EMAIL": 1}
    out = tmp_path / "docs.parquet"
    svc.export("docs", out)
    assert sorted(pq.read_table(out).column("text").to_pylist()) == ["<EMAIL>", "a", "b", "d", "e"]
