"""Fixtures for the observability tests: a store filled with synthetic traffic, and a PostgreSQL
with pgvector for the SQL path of semantic search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from seedstack.explain.demo import insert_records, synthetic_records

from ..pgvector_server import fresh_database, pgvector_server
from .obs_records import NOW, complaint_record

# store_url params for the search suites: the two stores, plus PostgreSQL 16 with pgvector
SEARCH_STORES = {"sqlite": "sqlite_url", "postgres": "pg_url", "pgvector": "pgvector_url"}


@pytest.fixture(scope="session")
def pgvector_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """PostgreSQL 16 + pgvector (``pgserver``), started once per session."""
    with pgvector_server(tmp_path_factory.mktemp("pgvector") / "pgdata") as url:
        yield url


@pytest.fixture
def pgvector_url(pgvector_base_url: str) -> Iterator[str]:
    with fresh_database(pgvector_base_url) as url:
        yield url


@pytest.fixture
def filled(store: Any) -> Any:
    """A store with 1,500 synthetic requests (~10% sampled) and the planted complaint."""
    insert_records(store, list(synthetic_records(1500, seed=3, now=NOW, days=10)))
    insert_records(store, [complaint_record()])
    return store
