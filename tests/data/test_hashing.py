"""Row hashes tell rows apart by value, whatever the batching, nesting or null pattern."""

from __future__ import annotations

import pyarrow as pa

from seedstack.data.hashing import row_hashes

ROWS = [
    {"id": 1, "text": "hello", "msgs": [{"role": "user", "content": "hi"}], "score": 0.5, "ok": True},
    {"id": 2, "text": None, "msgs": [], "score": None, "ok": False},
    {"id": 3, "text": "", "msgs": None, "score": 1.0, "ok": None},
    {"id": 1, "text": "hello", "msgs": [{"role": "user", "content": "hi"}], "score": 0.5, "ok": True},
]


SCHEMA = pa.Table.from_pylist(ROWS).schema


def _h(rows: list[dict]) -> list[int]:
    schema = SCHEMA if set(rows[0]) == set(SCHEMA.names) else None
    return row_hashes(pa.Table.from_pylist(rows, schema=schema)).to_pylist()


def test_equal_rows_hash_equal_and_different_rows_differ() -> None:
    h = _h(ROWS)
    assert h[0] == h[3]
    assert len({h[0], h[1], h[2]}) == 3


def test_hash_does_not_depend_on_position_or_batch() -> None:
    alone = _h([ROWS[2]])[0]
    assert _h(ROWS)[2] == alone
    assert _h([*ROWS[:2], *ROWS[:2], ROWS[2]])[4] == alone
    table = pa.Table.from_pylist(ROWS * 3)
    sliced = row_hashes(table.slice(10, 1)).to_pylist()[0]  # ROWS[2] again
    assert sliced == alone


def test_small_nested_changes_and_moved_text_change_the_hash() -> None:
    base = ROWS[0]
    variants = [
        {**base, "msgs": [{"role": "user", "content": "hj"}]},
        {**base, "msgs": [{"role": "usercontent", "content": ""}]},
        {**base, "msgs": [{"role": "user", "content": "hi"}, {"role": "user", "content": "hi"}]},
        {**base, "text": "hellp"},
        {**base, "score": 0.25},
        {**base, "ok": False},
    ]
    hashes = _h([base, *variants])
    assert len(set(hashes)) == len(hashes)
    assert _h([{"a": "ab", "b": "c"}]) != _h([{"a": "a", "b": "bc"}])
