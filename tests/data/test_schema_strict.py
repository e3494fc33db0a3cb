"""Strict schemas: a silent type change is refused with the column, both types and the row."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedstack.data import SchemaMismatchError

from .data_helpers import write_jsonl


@pytest.fixture
def svc(make_service, tmp_path: Path):
    s = make_service(policy="off")
    s.add(
        "events",
        [write_jsonl(tmp_path / "base.jsonl", [{"id": 1, "n": 5, "x": 0.5}, {"id": 2, "n": 6, "x": 1.5}])],
    )
    return s


def test_string_in_int_column_is_refused_naming_column_types_and_row(svc, tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": 3, "n": "5", "x": 1.0}])
    with pytest.raises(SchemaMismatchError) as err:
        svc.add("events", [bad])
    msg = str(err.value)
    assert "column 'n'" in msg and "int64" in msg and "string" in msg and "row 1" in msg
    assert err.value.row == 1 and err.value.column == "n"
    assert len(svc.log("events")) == 1  # nothing was written


def test_float_in_int_column_names_the_first_fractional_row(svc, tmp_path: Path) -> None:
    rows = [{"id": i, "n": 2.0, "x": 1.0} for i in range(5)] + [{"id": 9, "n": 1.7, "x": 1.0}]
    with pytest.raises(SchemaMismatchError, match=r"column 'n' is int64 .* double \(row 6: 1\.7\)"):
        svc.add("events", [write_jsonl(tmp_path / "bad.jsonl", rows)])


def test_type_change_inside_one_file_names_the_row(make_service, tmp_path: Path) -> None:
    svc = make_service(policy="off")
    rows = [{"id": i, "n": i} for i in range(10)] + [{"id": 10, "n": "ten"}]
    with pytest.raises(SchemaMismatchError, match=r"column 'n' changed type from number to string at row 11"):
        svc.add("events", [write_jsonl(tmp_path / "mixed.jsonl", rows)])


def test_type_change_in_a_later_block_is_refused_and_nothing_written(make_service, tmp_path: Path) -> None:
    svc = make_service(policy="off", block_bytes=1 << 16)
    rows = [{"id": i, "n": i, "pad": "x" * 100} for i in range(2000)] + [{"id": 2000, "n": "oops", "pad": ""}]
    with pytest.raises(SchemaMismatchError, match="row 2001"):
        svc.add("events", [write_jsonl(tmp_path / "big.jsonl", rows)])
    with pytest.raises(Exception, match="no dataset"):
        svc.log("events")


def test_new_column_needs_evolve(svc, tmp_path: Path) -> None:
    more = write_jsonl(tmp_path / "more.jsonl", [{"id": 3, "n": 7, "x": 2.5, "lang": "fr"}])
    with pytest.raises(SchemaMismatchError, match=r"new column 'lang'.*--evolve"):
        svc.add("events", [more])
    rec = svc.add("events", [more], evolve=True)
    assert svc.show(f"events@v{rec.version}")["schema"]["lang"] == "string"
    assert svc.show("events@v0")["schema"].keys() == {"id", "n", "x"}


def test_missing_nullable_column_and_all_null_values_are_accepted(svc, tmp_path: Path) -> None:
    rec = svc.add("events", [write_jsonl(tmp_path / "m.jsonl", [{"id": 4, "n": None}])])
    assert rec.row_count == 3
    rows = svc.show("events", rows=5)["rows"]
    assert {"id": 4, "n": None, "x": None} in rows


def test_exact_integers_fit_a_float_column(svc, tmp_path: Path) -> None:
    rec = svc.add("events", [write_jsonl(tmp_path / "i.jsonl", [{"id": 5, "n": 1, "x": 3}])])
    assert rec.rows_added == 1
    assert svc.show("events")["schema"]["x"] == "double"


def test_invalid_json_names_the_line(make_service, tmp_path: Path) -> None:
    p = tmp_path / "broken.jsonl"
    p.write_text('{"id": 1}\n{"id": 2,,}\n')
    with pytest.raises(Exception, match="row 2 is not valid JSON"):
        make_service(policy="off").add("x", [p])
