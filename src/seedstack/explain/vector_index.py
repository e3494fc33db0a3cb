"""The semantic half of search, ranked inside PostgreSQL by pgvector when the store has it.

Migration ``m0203_obs_pgvector`` adds ``obs_docs.emb`` (the int8 vector as ``vector(384)``, with an
HNSW inner-product index) only where the ``vector`` extension can be used, so whether this path
is taken is a property of the store, asked once (``Store.has_column``). Elsewhere, and for
embedders of another width, ``hybrid_search`` scans the int8 vectors with numpy as before.

The HNSW scan applies the metadata filter after walking the graph, so a selective filter can leave
fewer than ``pool`` rows; then an exact ranking of the newest ``max_scan`` filtered rows (what the
numpy scan covers) runs in SQL as well and the two lists are merged. Distances are negative inner
products of the raw int8 values with the query, so the order is the numpy scan's order (equal
vectors newest first in both), up to float rounding between near-equal similarities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..store import Store

__all__ = ["PGVECTOR_DIM", "nearest_ids", "nearest_plan", "pgvector_enabled"]

PGVECTOR_DIM = 384  # width of obs_docs.emb (m0203)
# HNSW's candidate list: pgvector's ceiling. Templated traffic has clusters of thousands of
# near-identical answers that trap a smaller list (recall 0.42 at 200 vs 0.97 here, 121k docs).
_EF_SEARCH = 1000

_ANN_SQL = (
    "SELECT d.request_id, d.emb <#> ?::vector AS dist, d.ts FROM obs_docs d "
    "WHERE {where} AND d.emb IS NOT NULL ORDER BY dist LIMIT ?"
)
_EXACT_SQL = (
    "SELECT s.request_id, s.emb <#> ?::vector AS dist, s.ts FROM ("
    "SELECT d.request_id, d.emb, d.ts FROM obs_docs d WHERE {where} AND d.emb IS NOT NULL "
    "ORDER BY d.ts DESC LIMIT ?) s ORDER BY dist LIMIT ?"
)


def pgvector_enabled(store: Store) -> bool:
    """Whether semantic search runs in SQL on this store (PostgreSQL with pgvector, migrated)."""
    return store.dialect == "postgres" and store.has_column("obs_docs", "emb")


def _literal(qvec: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.9g}" for x in qvec.astype(np.float32).tolist()) + "]"


def _ann(store: Store, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` with ``hnsw.ef_search`` raised for this transaction only: the default (40)
    would also cap an HNSW scan at 40 rows."""

    def run(tx: Any) -> list[tuple[Any, ...]]:
        tx.query("SELECT set_config('hnsw.ef_search', ?, true)", [str(_EF_SEARCH)])
        return tx.query(sql, params)

    return store.transaction(run)


def nearest_ids(store: Store, qvec: np.ndarray, where: str, params: list[Any], pool: int, max_scan: int) -> list[str]:
    """Up to ``pool`` request ids passing the filter, most similar first, similarity above 0."""
    q = _literal(qvec)
    rows = _ann(store, _ANN_SQL.format(where=where), [q, *params, pool])
    if len(rows) < pool:
        rows += store.query(_EXACT_SQL.format(where=where), [q, *params, max_scan, pool])
    best = {rid: (float(dist), -float(ts)) for rid, dist, ts in rows}  # equal vectors: newest first
    ranked = sorted(best, key=best.__getitem__)[:pool]
    return [rid for rid in ranked if best[rid][0] < 0.0]


def nearest_plan(store: Store, qvec: np.ndarray, where: str = "1=1", params: list[Any] | None = None) -> str:
    """PostgreSQL's plan for the HNSW query (``EXPLAIN``): shows whether the index is used."""
    sql = "EXPLAIN " + _ANN_SQL.format(where=where)
    return "\n".join(r[0] for r in _ann(store, sql, [_literal(qvec), *(params or []), 200]))
