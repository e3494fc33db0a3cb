"""The lineage ``why`` shows: model version -> dataset versions -> scrub reports, from store rows only.

``seedstack.registry`` answers the same question, but importing it loads the data layer (Delta
Lake, Arrow: ~100 ms before the first byte of output). ``why`` must render in a blink from a cold
process, and everything it needs is in three tables, so it reads them directly.
``tests/explain/test_why.py`` pins this to ``registry.lineage_for_request``.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import StoreError
from ..store import Store

__all__ = ["request_lineage"]

_STAGE_RANK = {"production": 3, "staging": 2, "registered": 1, "archived": 0}
_NO_ENTRY = "no registry entry"


def _version_for_backend(store: Store, backend: str) -> str | None:
    """Exact backend name first, then the production version over newer unpromoted ones."""
    alias = backend.split("/", 1)[0]
    rows = store.query(
        "SELECT name, version, stage, created_at, backend FROM model_versions WHERE backend = ? OR backend = ?",
        (backend, alias),
    )
    if not rows:
        return None
    best = max(rows, key=lambda r: (r[4] == backend, _STAGE_RANK.get(r[2], 0), float(r[3])))
    return f"{best[0]}@{best[1]}"


def _datasets(store: Store, name: str, version: str) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT m.dataset, m.dataset_version, v.row_count, v.content_hash, v.author, v.message, v.sources, v.scrub "
        "FROM model_datasets m LEFT JOIN dataset_versions v "
        "ON v.dataset = m.dataset AND v.version = m.dataset_version "
        "WHERE m.name = ? AND m.version = ? ORDER BY m.dataset",
        (name, version),
    )
    return [
        {
            "dataset": f"{ds}@v{dv}",
            "rows": int(n) if n is not None else None,
            "content_hash": content_hash,
            "author": author,
            "message": message,
            "sources": json.loads(sources or "[]"),
            "scrub": json.loads(scrub) if scrub else None,
        }
        for ds, dv, n, content_hash, author, message, sources, scrub in rows
    ]


def request_lineage(store: Store, model_version: str | None, backend: str | None) -> dict[str, Any]:
    """``{"status": "ok", "model": …, "datasets": […]}`` or ``{"status": "no registry entry", "detail": …}``."""
    try:
        version = model_version
        if (not version or "@" not in version) and backend:
            version = _version_for_backend(store, backend) or version
        if not version:
            return {"status": _NO_ENTRY, "detail": "the request names no model version"}
        name, _, number = version.rpartition("@")
        rows = (
            store.query_dicts(
                "SELECT name, version, base_model, quantization, backend, stage FROM model_versions "
                "WHERE name = ? AND version = ?",
                (name, number),
            )
            if name and number
            else []
        )
        if not rows:
            return {"status": _NO_ENTRY, "detail": f"model version {version} is not registered"}
        return {"status": "ok", "model": {"ref": version, **rows[0]}, "datasets": _datasets(store, name, number)}
    except StoreError:
        return {"status": _NO_ENTRY, "detail": "the model registry has no tables in this store"}
