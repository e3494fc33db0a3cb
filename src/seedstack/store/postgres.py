"""PostgreSQL store (the ``[postgres]`` extra): shared by several gateway replicas."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import MissingExtraError, StoreError
from .base import Params, Store, Tx

__all__ = ["PostgresStore"]

T = TypeVar("T")
_PLACEHOLDER = re.compile(r"\?")


def _sql(sql: str) -> str:
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class _PgTx:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        cur = self._conn.execute(_sql(sql), params or None)
        return cur.rowcount

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(_sql(sql), list(rows))

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(_sql(sql), params or None).fetchall()


class PostgresStore(Store):
    """``pooled=False`` is for one-shot use (a CLI command reading a few rows): one plain
    connection instead of a pool, which spares importing ``psycopg_pool`` and starting its threads.
    """

    dialect = "postgres"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8, pooled: bool = True) -> None:
        super().__init__(url)
        try:
            import psycopg

            if pooled:
                from psycopg_pool import ConnectionPool
        except ImportError:
            raise MissingExtraError("the PostgreSQL store", "postgres") from None
        self._errors = (psycopg.Error,)
        self._pool: Any = None
        self._conn: Any = None
        self._conn_lock = threading.Lock()
        try:
            if pooled:
                self._pool = ConnectionPool(
                    url,
                    min_size=min_size,
                    max_size=max_size,
                    open=True,
                    timeout=10,
                    kwargs={"autocommit": True},
                )
                self._pool.wait(timeout=10)
            else:
                self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except Exception as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {_redact(url)}: {exc}") from None

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self._pool is not None:
            with self._pool.connection() as conn:
                yield conn
        else:
            with self._conn_lock:
                yield self._conn

    def transaction(self, fn: Callable[[Tx], T]) -> T:
        try:
            with self._connection() as conn, conn.transaction():
                return fn(_PgTx(conn))
        except self._errors as exc:
            raise StoreError(f"PostgreSQL write failed: {exc}") from None

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.transaction(lambda tx: tx.execute(sql, params))

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        rows = list(rows)
        try:
            with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
                cur.executemany(_sql(sql), rows)
        except self._errors as exc:
            raise StoreError(f"PostgreSQL write failed: {exc}") from None

    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        try:
            with self._connection() as conn:
                return conn.execute(_sql(sql), params or None).fetchall()
        except self._errors as exc:
            raise StoreError(f"PostgreSQL read failed: {exc}") from None

    def _query_with_columns(self, sql: str, params: Params) -> list[dict[str, Any]]:
        try:
            with self._connection() as conn:
                cur = conn.execute(_sql(sql), params or None)
                cols = [d.name for d in cur.description or ()]
                return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
        except self._errors as exc:
            raise StoreError(f"PostgreSQL read failed: {exc}") from None

    def _column_exists(self, table: str, column: str) -> bool:
        return bool(
            self.query(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?",
                (table, column),
            )
        )

    def _lock_migrations(self, tx: Tx) -> None:
        tx.query("SELECT pg_advisory_xact_lock(727274)")

    def ping(self) -> None:
        self.query("SELECT 1")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        else:
            self._conn.close()


def _redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
