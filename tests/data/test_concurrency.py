"""Two writers on one dataset at once: both succeed, or one fails cleanly and retryably."""

from __future__ import annotations

import threading
from pathlib import Path

from seedstack.data import ConcurrentWriteError

from .data_helpers import chat_rows, write_jsonl


def _race(make_service, tmp_path: Path, replace: tuple[bool, bool]) -> list[object]:
    svc0 = make_service()
    svc0.add("chats", [write_jsonl(tmp_path / "seed.jsonl", chat_rows(10))])
    files = [
        write_jsonl(tmp_path / f"w{i}.jsonl", chat_rows(2000, start=1000 * (i + 1) * 10)) for i in range(2)
    ]
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        svc = make_service()
        barrier.wait()
        try:
            results[i] = svc.add("chats", [files[i]], replace=replace[i])
        except Exception as exc:  # collected and asserted below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_appends_both_succeed_as_distinct_versions(make_service, tmp_path: Path) -> None:
    results = _race(make_service, tmp_path, (False, False))
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.version for r in results) == [1, 2]  # type: ignore[union-attr]
    svc = make_service()
    assert svc.show("chats@v2")["row_count"] == 4010
    assert len(svc.log("chats")) == 3


def test_replace_racing_an_append_never_corrupts(make_service, tmp_path: Path) -> None:
    results = _race(make_service, tmp_path, (True, False))
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ConcurrentWriteError) and "run the command again" in str(e) for e in errors), (
        errors
    )
    svc = make_service()
    latest = svc.show("chats")
    out = tmp_path / "latest.jsonl"
    assert svc.export("chats", out) == latest["row_count"]
    assert latest["row_count"] in (2000, 2010, 4000, 4010)


def test_two_writers_creating_the_same_dataset(make_service, tmp_path: Path) -> None:
    files = [write_jsonl(tmp_path / f"c{i}.jsonl", chat_rows(500, start=1000 * i)) for i in range(2)]
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        svc = make_service()
        barrier.wait()
        try:
            results[i] = svc.add("fresh", [files[i]])
        except Exception as exc:  # collected and asserted below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ConcurrentWriteError) for e in errors), errors
    svc = make_service()
    assert svc.show("fresh")["row_count"] == 500 * (2 - len(errors))
    assert svc.export("fresh", tmp_path / "out.jsonl") == 500 * (2 - len(errors))
