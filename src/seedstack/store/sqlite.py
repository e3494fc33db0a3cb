"""SQLite store: the embedded default. WAL mode, every write on one writer thread, reads on
per-thread connections so they never queue behind a batch of inserts."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from ..errors import StoreError
from .base import Params, Store, Tx

__all__ = ["SQLiteStore"]

T = TypeVar("T")
_STOP = object()


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class _SQLiteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self._conn.executemany(sql, rows)

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()


class SQLiteStore(Store):
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
        if not path:
            raise StoreError("sqlite store URL needs a path, e.g. sqlite:///.seedstack/seedstack.db")
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer_conn = _connect(path)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {path}: {exc}") from None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._writer = threading.Thread(target=self._write_loop, name="seedstack-sqlite-writer", daemon=True)
        self._writer.start()

    # --- writer thread -------------------------------------------------------------------------
    def _write_loop(self) -> None:
        conn = self._writer_conn
        while True:
            job = self._jobs.get()
            if job is _STOP:
                break
            fn, fut = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(_SQLiteTx(conn))
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                fut.set_exception(StoreError(f"SQLite write failed: {exc}"))
            except BaseException as exc:  # the caller's own error, re-raised in the caller
                fut.set_exception(exc)
            else:
                fut.set_result(result)
        conn.close()

    def transaction(self, fn: Callable[[Tx], T]) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        fut: Future[T] = Future()
        self._jobs.put((fn, fut))
        return fut.result()

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.transaction(lambda tx: tx.execute(sql, params))

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        rows = list(rows)
        self.transaction(lambda tx: tx.executemany(sql, rows))

    # --- readers -------------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = _connect(self.path)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from None
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from None

    def _query_with_columns(self, sql: str, params: Params) -> list[dict[str, Any]]:
        try:
            cur = self._reader().execute(sql, params)
            cols = [d[0] for d in cur.description or ()]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from None

    def _recorded_migrations(self) -> set[str]:
        """Read on a connection of its own: opening the store leaves no reader on the opening
        thread, which may never read again (a server's main thread)."""
        try:
            conn = _connect(self.path)
            try:
                return {r[0] for r in conn.execute("SELECT name FROM seedstack_migrations")}
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite read failed: {exc}") from None

    def _column_exists(self, table: str, column: str) -> bool:
        return bool(self.query("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column)))

    def ping(self) -> None:
        self.query("SELECT 1")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._jobs.put(_STOP)
        self._writer.join(timeout=30)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
