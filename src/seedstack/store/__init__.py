"""Persistence: one ABC, SQLite (embedded default) and PostgreSQL backends, ordered migrations."""

from .base import Store, Tx
from .registry import STORE_BACKENDS, open_store

__all__ = ["STORE_BACKENDS", "Store", "Tx", "open_store"]
