"""The request explorer's list: metadata rows (every request, sampled or not) matching filters."""

from __future__ import annotations

from typing import Any

from ..store import Store
from .filters import SearchFilters

__all__ = ["list_requests"]

_COLS = (
    "id, ts, endpoint, customer, key_id, template, alias, upstream_model, status_code, latency_ms, "
    "tokens_in, tokens_out, cost_usd, trace_id, payload_kept"
)


def list_requests(store: Store, filters: SearchFilters, *, limit: int = 50) -> list[dict[str, Any]]:
    """Newest first; the same filters as search, over 100% of the metadata."""
    where, params = filters.where()
    return store.query_dicts(f"SELECT {_COLS} FROM requests WHERE {where} ORDER BY ts DESC LIMIT ?", [*params, limit])
