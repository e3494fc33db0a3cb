"""The recorder never makes a request wait, batches to the store, spools through outages, drains."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from seedstack.errors import StoreError
from seedstack.store import Store, Tx, open_store
from seedstack.telemetry.record import RequestRecord, RouteAttempt
from seedstack.telemetry.recorder import Recorder

T = TypeVar("T")


class FlakyStore:
    """Wraps a real store; writes fail while ``down`` is set (as when the database is unreachable)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = False

    def transaction(self, fn: Callable[[Tx], T]) -> T:
        if self.down:
            raise StoreError("connection refused")
        return self.inner.transaction(fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _rec(i: int, *, kept: bool = False) -> RequestRecord:
    r = RequestRecord(
        id=f"req_{i:024x}",
        ts=time.time(),
        endpoint="chat",
        alias="demo",
        status_code=200,
        route=[RouteAttempt("demo/simulator", "ok", 200, 1.5)],
        guard=[],
    )
    if kept:
        r.payload_kept, r.payload_reason, r.payload = True, "sampled", {"request": {"i": i}, "response": None}
    return r


def test_batches_records_and_payloads(store: Store, tmp_path: Path) -> None:
    rec = Recorder(store, spool_dir=tmp_path / "spool", flush_interval_s=0.05)
    rec.start()
    for i in range(1000):
        rec.submit(_rec(i, kept=i % 10 == 0))
    rec.close()
    assert store.query_one("SELECT COUNT(*) FROM requests") == (1000,)
    assert store.query_one("SELECT COUNT(*) FROM payloads") == (100,)
    body = store.query_one("SELECT body FROM payloads WHERE request_id = ?", (_rec(10).id,))
    assert orjson.loads(bytes(body[0])) == {"request": {"i": 10}, "response": None}
    route = store.query_one("SELECT route FROM requests WHERE id = ?", (_rec(3).id,))
    assert orjson.loads(route[0])[0]["backend"] == "demo/simulator"
    assert rec.stats.written == 1000 and rec.stats.spooled == 0


def test_store_outage_spools_and_replays(sqlite_url: str, tmp_path: Path) -> None:
    real = open_store(sqlite_url)
    flaky = FlakyStore(real)
    rec = Recorder(flaky, spool_dir=tmp_path / "spool", flush_interval_s=0.02, replay_interval_s=0.05)  # type: ignore[arg-type]
    rec.start()
    flaky.down = True
    for i in range(500):
        rec.submit(_rec(i, kept=i % 5 == 0))
    deadline = time.time() + 5
    while rec.stats.spooled < 500 and time.time() < deadline:
        time.sleep(0.02)
    assert rec.stats.spooled == 500 and not rec.stats.store_healthy
    assert list((tmp_path / "spool").glob("spool-*.jsonl"))
    assert real.query_one("SELECT COUNT(*) FROM requests") == (0,)
    flaky.down = False
    for i in range(500, 600):
        rec.submit(_rec(i))
    deadline = time.time() + 5
    while rec.stats.replayed < 500 and time.time() < deadline:
        time.sleep(0.02)
    rec.close()
    assert real.query_one("SELECT COUNT(*) FROM requests") == (600,)
    assert real.query_one("SELECT COUNT(*) FROM payloads") == (100,)
    assert not list((tmp_path / "spool").glob("spool-*"))
    real.close()


def test_replay_is_idempotent_and_survives_a_torn_line(store: Store, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    line = orjson.dumps({"r": list(_rec(1).row()), "p": None})
    (spool / "spool-1.jsonl").write_bytes(line + b"\n" + line + b"\n" + b'{"r": [1, 2')  # torn by kill -9
    store.transaction(lambda tx: tx.execute("DELETE FROM requests"))
    rec = Recorder(store, spool_dir=spool, flush_interval_s=0.02, replay_interval_s=0.01)
    rec.start()
    rec.close()
    assert store.query_one("SELECT COUNT(*) FROM requests") == (1,)
    assert rec.stats.replayed == 2
