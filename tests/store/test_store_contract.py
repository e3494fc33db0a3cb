"""The store contract: the same behaviour from every backend."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from seedstack.errors import StoreError
from seedstack.store import Store, open_store
from seedstack.store.schema import MIGRATIONS


@pytest.fixture(params=[False, True], ids=["long-lived", "one-shot"])
def store(store_url: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """Every backend, opened as a server opens it and as a one-shot CLI command does."""
    s = open_store(store_url, one_shot=request.param)
    yield s
    s.close()


def test_migrations_are_applied_once_and_recorded(store: Store) -> None:
    names = [r[0] for r in store.query("SELECT name FROM seedstack_migrations ORDER BY name")]
    assert names == [m.name for m in MIGRATIONS]
    assert store.migrate() == []


def test_execute_returns_rowcount_and_query_reads_it_back(store: Store) -> None:
    store.execute(
        "INSERT INTO limit_counters (key_id, kind, bucket, used, reserved, expires_at) VALUES (?,?,?,?,?,?)",
        ("k", "usd", "d1", 1.5, 0, 9e9),
    )
    n = store.execute("UPDATE limit_counters SET used = used + ? WHERE key_id = ? AND used < ?", (1, "k", 100))
    assert n == 1
    assert store.query_one("SELECT used FROM limit_counters WHERE key_id = ?", ("k",)) == (2.5,)
    assert store.query_dicts("SELECT key_id, used FROM limit_counters") == [{"key_id": "k", "used": 2.5}]


def test_transaction_rolls_back_on_error(store: Store) -> None:
    def boom(tx):  # type: ignore[no-untyped-def]
        tx.execute(
            "INSERT INTO limit_counters (key_id, kind, bucket, expires_at) VALUES (?,?,?,?)", ("x", "r", "b", 1)
        )
        raise RuntimeError("caller bug")

    with pytest.raises(RuntimeError):
        store.transaction(boom)
    assert store.query("SELECT * FROM limit_counters WHERE key_id = 'x'") == []


def test_executemany_is_atomic(store: Store) -> None:
    rows = [(f"k{i}", "r", "b", 1.0) for i in range(100)]
    store.executemany("INSERT INTO limit_counters (key_id, kind, bucket, expires_at) VALUES (?,?,?,?)", rows)
    assert store.query_one("SELECT COUNT(*) FROM limit_counters") == (100,)
    with pytest.raises(StoreError):  # duplicate primary key in the batch: nothing of it lands
        store.executemany(
            "INSERT INTO limit_counters (key_id, kind, bucket, expires_at) VALUES (?,?,?,?)",
            [("new", "r", "b", 1.0), ("k1", "r", "b", 1.0)],
        )
    assert store.query_one("SELECT COUNT(*) FROM limit_counters") == (100,)


def test_concurrent_conditional_updates_never_overshoot(store: Store) -> None:
    """The primitive budgets rely on: a guarded UPDATE is atomic across threads."""
    store.execute(
        "INSERT INTO limit_counters (key_id, kind, bucket, used, expires_at) VALUES ('k','usd','d',0,9e9)"
    )
    wins = []

    def take() -> None:
        for _ in range(20):
            n = store.execute(
                "UPDATE limit_counters SET used = used + 1 WHERE key_id='k' AND used + 1 <= 50"
            )
            wins.append(n)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(wins) == 50
    assert store.query_one("SELECT used FROM limit_counters WHERE key_id='k'") == (50.0,)


def test_a_second_open_sees_the_same_data(store_url: str) -> None:
    a = open_store(store_url)
    b = open_store(store_url)
    try:
        a.execute("INSERT INTO limit_counters (key_id, kind, bucket, expires_at) VALUES ('s','r','b',1)")
        assert b.query_one("SELECT key_id FROM limit_counters") == ("s",)
    finally:
        a.close()
        b.close()


def test_opening_a_migrated_store_does_not_wait_for_its_writer(sqlite_url: str) -> None:
    """A CLI command opening the store a gateway is writing to does not queue behind its writes."""
    open_store(sqlite_url).close()
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the gateway's recorder, mid-batch
    try:
        t = time.perf_counter()
        with open_store(sqlite_url, one_shot=True) as s:
            assert s.migrate() == []
            assert s.query_one("SELECT COUNT(*) FROM limit_counters") == (0,)
        assert time.perf_counter() - t < 5  # (busy_timeout is 30 s)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_one_shot_postgresql_store_uses_one_plain_connection(pg_url: str) -> None:
    code = (
        "import sys; from seedstack.store import open_store; s = open_store(sys.argv[1], one_shot=True); "
        "print(s.query_one('SELECT COUNT(*) FROM seedstack_migrations')[0], 'psycopg_pool' in sys.modules); "
        "s.close()"
    )
    out = subprocess.run([sys.executable, "-c", code, pg_url], capture_output=True, text=True, env=os.environ)
    assert out.stdout.split() == [str(len(MIGRATIONS)), "False"], out.stderr
