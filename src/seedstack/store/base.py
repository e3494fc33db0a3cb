"""The store contract: a short ABC every backend (SQLite, PostgreSQL) implements.

Services keep their own SQL in their own repository modules and talk to the store only through
these primitives. SQL is written once with ``?`` placeholders and types both engines accept
(TEXT, BIGINT, DOUBLE PRECISION, BYTEA, SMALLINT); backends translate what they must.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from ..errors import StoreError
from .schema import MIGRATIONS

__all__ = ["Store", "Tx"]

T = TypeVar("T")
Params = Sequence[Any]


class Tx(Protocol):
    """What a ``transaction`` callback may do: statements run atomically, in order."""

    def execute(self, sql: str, params: Params = ()) -> int: ...
    def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...
    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]: ...


class Store(ABC):
    dialect: ClassVar[str]

    def __init__(self, url: str) -> None:
        self.url = url
        self._columns: dict[tuple[str, str], bool] = {}

    # --- primitives every backend implements -------------------------------------------------
    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement; return the affected row count."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one write statement for many rows, atomically."""

    @abstractmethod
    def query(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run a read; never blocks behind the writer."""

    @abstractmethod
    def transaction(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in one write transaction; a raised exception rolls it back."""

    @abstractmethod
    def ping(self) -> None:
        """Raise ``StoreError`` when the store cannot be reached."""

    @abstractmethod
    def close(self) -> None: ...

    # --- built on the primitives ---------------------------------------------------------------
    def query_one(self, sql: str, params: Params = ()) -> tuple[Any, ...] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def query_dicts(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        return self._query_with_columns(sql, params)

    @abstractmethod
    def _query_with_columns(self, sql: str, params: Params) -> list[dict[str, Any]]: ...

    def has_column(self, table: str, column: str) -> bool:
        """Whether ``table.column`` exists. Some migrations add a column only where the database
        supports it (pgvector), so services ask once per store; the answer is cached until the
        next ``migrate``."""
        key = (table, column)
        if key not in self._columns:
            self._columns[key] = self._column_exists(table, column)
        return self._columns[key]

    def _column_exists(self, table: str, column: str) -> bool:
        """Backends answer from their catalog; one that cannot says no, so optional features stay off."""
        return False

    # asyncio is imported on first await: it costs a one-shot CLI read (`seedstack why`) ~20 ms
    async def aquery(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        import asyncio

        return await asyncio.to_thread(self.query, sql, params)

    async def aexecute(self, sql: str, params: Params = ()) -> int:
        import asyncio

        return await asyncio.to_thread(self.execute, sql, params)

    def migrate(self) -> list[str]:
        """Apply the ordered, named migrations not yet recorded; return the names applied.

        A store that has them all is only read: opening one that a gateway is writing to (a CLI
        command) does not queue behind its writes for a transaction that would change nothing.
        """
        self._columns.clear()
        if self._all_migrations_recorded():
            return []

        def run(tx: Tx) -> list[str]:
            self._lock_migrations(tx)
            tx.execute(
                "CREATE TABLE IF NOT EXISTS seedstack_migrations "
                "(name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
            done = {r[0] for r in tx.query("SELECT name FROM seedstack_migrations")}
            applied = []
            for migration in MIGRATIONS:
                if migration.name in done:
                    continue
                for stmt in migration.statements(self.dialect):
                    tx.execute(stmt)
                tx.execute(
                    "INSERT INTO seedstack_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.name, time.time()),
                )
                applied.append(migration.name)
            return applied

        return self.transaction(run)

    def _all_migrations_recorded(self) -> bool:
        try:
            done = self._recorded_migrations()
        except StoreError:
            return False  # a new store: no migrations table yet
        return all(m.name in done for m in MIGRATIONS)

    def _recorded_migrations(self) -> set[str]:
        return {r[0] for r in self.query("SELECT name FROM seedstack_migrations")}

    def _lock_migrations(self, tx: Tx) -> None:
        """Backends with concurrent migrators serialise them here."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
