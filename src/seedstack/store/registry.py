"""Store backends by URL scheme. A third-party backend registers the same way."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ConfigError
from .base import Store

__all__ = ["STORE_BACKENDS", "open_store"]


def _sqlite(url: str) -> Store:
    from .sqlite import SQLiteStore

    return SQLiteStore(url)


def _postgres(url: str) -> Store:
    from .postgres import PostgresStore

    return PostgresStore(url)


STORE_BACKENDS: dict[str, Callable[[str], Store]] = {
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
}


def open_store(url: str, *, migrate: bool = True) -> Store:
    scheme = url.split(":", 1)[0]
    factory = STORE_BACKENDS.get(scheme)
    if factory is None:
        raise ConfigError(f"unknown store URL scheme '{scheme}': use sqlite:///path.db or postgresql://user@host/db")
    store = factory(url)
    if migrate:
        store.migrate()
    return store
