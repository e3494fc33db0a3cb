"""Store backends by URL scheme. A third-party backend registers the same way."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ConfigError
from .base import Store

__all__ = ["STORE_BACKENDS", "open_store"]


def _sqlite(url: str, *, one_shot: bool = False) -> Store:
    from .sqlite import SQLiteStore

    return SQLiteStore(url)  # already light: one writer thread, readers connect on first use


def _postgres(url: str, *, one_shot: bool = False) -> Store:
    from .postgres import PostgresStore

    return PostgresStore(url, pooled=not one_shot)


# factory(url), or factory(url, one_shot=True) for a caller that reads a little and closes the store
STORE_BACKENDS: dict[str, Callable[..., Store]] = {
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
}


def open_store(url: str, *, migrate: bool = True, one_shot: bool = False) -> Store:
    """The store at ``url``, migrated. ``one_shot``: the caller runs a few statements from one thread
    and closes it (a CLI command), so the backend may skip what serves a long-running process."""
    scheme = url.split(":", 1)[0]
    factory = STORE_BACKENDS.get(scheme)
    if factory is None:
        raise ConfigError(f"unknown store URL scheme '{scheme}': use sqlite:///path.db or postgresql://user@host/db")
    store = factory(url, one_shot=True) if one_shot else factory(url)
    if migrate:
        store.migrate()
    return store
