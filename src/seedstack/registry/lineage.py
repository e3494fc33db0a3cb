"""Lineage: model version -> dataset versions -> scrub reports, plus its evals and live traffic.

``seedstack why`` walks request -> model version -> here, so the answer to "what was this model
trained on, and was the data scrubbed?" is one lookup away from any request id.
"""

from __future__ import annotations

from typing import Any

from ..access import Actor, authorize
from ..data.catalog import DatasetCatalog
from ..errors import NotFoundError, StoreError
from ..store import Store
from .models import ModelRegistry, parse_model_ref

__all__ = ["lineage", "lineage_for_request", "version_for_backend"]


def version_for_backend(store: Store, backend: str) -> str | None:
    """The registered model version (NAME@VERSION) a gateway backend serves, if any.

    A model may be registered against a backend's full name (``chat/vllm-0``) or its alias; the
    exact name wins, then the production version over newer unpromoted ones, so registering a
    candidate never relabels live traffic.
    """
    alias = backend.split("/", 1)[0]
    rows = store.query(
        "SELECT name, version, stage, created_at, backend FROM model_versions "
        "WHERE backend = ? OR backend = ?",
        (backend, alias),
    )
    if not rows:
        return None
    rank = {"production": 3, "staging": 2, "registered": 1, "archived": 0}
    best = max(rows, key=lambda r: (r[4] == backend, rank.get(r[2], 0), float(r[3])))
    return f"{best[0]}@{best[1]}"


def _datasets(store: Store, name: str, version: str) -> list[dict[str, Any]]:
    catalog = DatasetCatalog(store)
    out = []
    for ds, dv in store.query(
        "SELECT dataset, dataset_version FROM model_datasets WHERE name = ? AND version = ? ORDER BY dataset",
        (name, version),
    ):
        rec = catalog.get(ds, int(dv))
        out.append(
            {
                "dataset": f"{ds}@v{dv}",
                "rows": rec.row_count if rec else None,
                "content_hash": rec.content_hash if rec else None,
                "author": rec.author if rec else None,
                "message": rec.message if rec else None,
                "sources": rec.sources if rec else [],
                "scrub": rec.scrub if rec else None,
            }
        )
    return out


def _evals(store: Store, ref: str) -> list[dict[str, Any]]:
    try:
        return store.query_dicts(
            "SELECT id, ts, suite, n_cases, aggregates FROM eval_runs "
            "WHERE model_version = ? ORDER BY ts DESC LIMIT 20",
            (ref,),
        )
    except StoreError:
        return []  # the evals service has no table in this store yet


def _traffic(store: Store, ref: str) -> dict[str, Any]:
    row = store.query_one(
        "SELECT COUNT(*), SUM(cost_usd), MIN(ts), MAX(ts), AVG(latency_ms), "
        "SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) FROM requests WHERE model_version = ?",
        (ref,),
    )
    n = int(row[0]) if row else 0
    return {
        "requests": n,
        "cost_usd": float(row[1] or 0.0) if row else 0.0,
        "first_ts": row[2] if row else None,
        "last_ts": row[3] if row else None,
        "avg_latency_ms": float(row[4]) if row and row[4] is not None else None,
        "errors": int(row[5] or 0) if row else 0,
    }


def lineage(store: Store, actor: Actor, ref: str) -> dict[str, Any]:
    """Everything ``models lineage NAME@V`` shows; needs models.read and data.read_meta."""
    authorize(store, actor, "data.read_meta", f"model:{ref}")
    mv = ModelRegistry(store, actor).show(ref)
    return {
        "model": mv.to_dict(),
        "datasets": _datasets(store, mv.name, mv.version),
        "evals": _evals(store, ref),
        "traffic": _traffic(store, ref),
    }


def lineage_for_request(
    store: Store, *, model_version: str, upstream_model: str | None = None
) -> dict[str, Any]:
    """The lineage ``seedstack why`` shows for a request's model version (no artifact URIs)."""
    name, version = parse_model_ref(model_version)
    rows = store.query_dicts(
        "SELECT name, version, base_model, quantization, backend, stage FROM model_versions "
        "WHERE name = ? AND version = ?",
        (name, version),
    )
    if not rows:
        raise NotFoundError(f"model version {model_version} is not registered")
    return {"model": {"ref": model_version, **rows[0]}, "datasets": _datasets(store, name, version)}
