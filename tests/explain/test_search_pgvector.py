"""Semantic search in SQL with pgvector (PostgreSQL 16 from ``pgserver``), and the numpy scan kept
where the server has no pgvector (Debian's PostgreSQL 15)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from seedstack.explain import SearchFilters, search
from seedstack.explain import hybrid_search as hybrid_search_module
from seedstack.explain.demo import insert_records, synthetic_records
from seedstack.explain.embed import HashedNgramEmbedder
from seedstack.explain.vector_index import nearest_plan, pgvector_enabled
from seedstack.store import open_store

from ..pgvector_server import fresh_database
from .obs_records import COMPLAINT_ID, NOW, complaint_record

QUERIES = [
    ("my refund was denied", SearchFilters()),
    ("my refund was denied", SearchFilters(customer="acme")),
    ("refnd denid retrn windw", SearchFilters(status="ok", since=NOW - 5 * 86400)),
    ("invoice shows the wrong VAT number", SearchFilters(template="summarize-ticket")),
    ("where is my package, it was due monday", SearchFilters(min_latency_ms=200)),
]


@pytest.fixture(scope="module")
def vector_store(pgvector_base_url: str) -> Iterator[Any]:
    """PostgreSQL 16 + pgvector with ~1,500 indexed payloads: enough for the planner to pick HNSW.
    Shared by the module's read-only tests."""
    with fresh_database(pgvector_base_url) as url, open_store(url) as store:
        insert_records(store, list(synthetic_records(3000, payload_rate=0.5, seed=11, now=NOW, days=10)))
        insert_records(store, [complaint_record()])
        yield store


def _numpy_search(monkeypatch: pytest.MonkeyPatch, *args: Any, **kw: Any) -> list[str]:
    with monkeypatch.context() as m:
        m.setattr(hybrid_search_module, "pgvector_enabled", lambda _store: False)
        return [h.request_id for h in search(*args, **kw)]


def test_pgvector_store_ranks_in_sql_through_the_hnsw_index(vector_store):
    assert pgvector_enabled(vector_store)
    qvec = HashedNgramEmbedder().embed(["my refund was denied"])[0]
    assert "Index Scan using obs_docs_emb" in nearest_plan(vector_store, qvec)
    hits = search(vector_store, "my refund was denied", SearchFilters(customer="acme", since=NOW - 2 * 86400))
    assert hits[0].request_id == COMPLAINT_ID and "semantic" in hits[0].matched


@pytest.mark.parametrize(("query", "filters"), QUERIES)
def test_pgvector_ranks_like_the_numpy_scan_on_the_same_data(vector_store, monkeypatch, query, filters):
    in_sql = [h.request_id for h in search(vector_store, query, filters, limit=20)]
    scanned = _numpy_search(monkeypatch, vector_store, query, filters, limit=20)
    assert len(in_sql) >= 5
    assert in_sql[:10] == scanned[:10]


def test_vectors_in_sql_equal_the_int8_bytes_and_pgvector_added_later_backfills(pgvector_url):
    vector_store = open_store(pgvector_url)
    insert_records(vector_store, list(synthetic_records(300, payload_rate=0.5, seed=5, now=NOW, days=10)))
    insert_records(vector_store, [complaint_record()])
    n = vector_store.query_one("SELECT COUNT(*) FROM obs_docs")[0]
    for vec, emb in vector_store.query("SELECT vec, emb::text FROM obs_docs"):
        assert np.array_equal(np.frombuffer(vec, dtype=np.int8), np.array(emb.strip("[]").split(","), dtype=float))
    # a store migrated before pgvector was installed: no column, numpy scan; enabling it backfills every row
    vector_store.execute("ALTER TABLE obs_docs DROP COLUMN emb")
    vector_store.migrate()  # forgets the cached schema
    assert not pgvector_enabled(vector_store)
    recent = SearchFilters(customer="acme", since=NOW - 2 * 86400)
    assert search(vector_store, "my refund was denied", recent)[0].request_id == COMPLAINT_ID
    assert vector_store.query_one("SELECT seedstack_enable_pgvector()") == (True,)
    vector_store.migrate()
    assert pgvector_enabled(vector_store)
    assert vector_store.query_one("SELECT COUNT(emb) FROM obs_docs") == (n,)
    vector_store.close()


def test_postgres_without_pgvector_keeps_the_numpy_scan(pg_url):
    with open_store(pg_url) as store:
        assert "m0203_obs_pgvector" in {r[0] for r in store.query("SELECT name FROM seedstack_migrations")}
        assert not pgvector_enabled(store) and not store.has_column("obs_docs", "emb")
        assert store.query_one("SELECT seedstack_enable_pgvector()") == (False,)
        insert_records(store, [complaint_record()])
        hits = search(store, "my refund was denied", SearchFilters(customer="acme"))
        assert [h.request_id for h in hits] == [COMPLAINT_ID] and "semantic" in hits[0].matched


def test_pgvector_outside_search_path_keeps_the_numpy_scan_and_says_how_to_fix_it(pgvector_url):
    import psycopg

    with psycopg.connect(pgvector_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA ext")
        conn.execute("CREATE EXTENSION vector SCHEMA ext")
    with open_store(pgvector_url) as store:
        assert not pgvector_enabled(store)
        insert_records(store, [complaint_record()])
        assert [h.request_id for h in search(store, "my refund was denied")] == [COMPLAINT_ID]
    with psycopg.connect(pgvector_url, autocommit=True) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        assert conn.execute("SELECT seedstack_enable_pgvector()").fetchone() == (False,)
    assert notices == [
        "the vector extension is in schema ext, which is not on search_path: add it, "
        "then SELECT seedstack_enable_pgvector()"
    ]
