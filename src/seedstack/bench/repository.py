"""Bench results in the store, so ``advise`` and the dashboard read measured latency and cost.

The summary is stored whole (JSON) and its headline numbers as columns, which is what other
services query (e.g. "latest p99 per model"); per-request rows stay in the user's files.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import NotFoundError
from ..store import Store

__all__ = ["BenchRepository"]

_COLUMNS = (
    "id, ts, label, url, model, shape, completed, failed, duration_s, request_throughput, output_throughput, "
    "goodput, ttft_p50_ms, tpot_p50_ms, itl_p50_ms, e2e_p50_ms, e2e_p99_ms, client_lag_p99_ms, "
    "gpu_usd_per_hour, summary"
)


class BenchRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, doc: dict[str, Any]) -> str:
        s = doc["summary"]
        self.store.execute(
            f"INSERT INTO bench_runs ({_COLUMNS}) VALUES ({', '.join('?' * 20)})",
            (
                doc["id"],
                doc["ts"],
                doc["label"],
                doc["url"],
                doc["model"],
                orjson.dumps(doc["shape"]).decode(),
                s["completed"],
                s["failed"],
                s["duration_s"],
                s["request_throughput"],
                s["output_throughput"],
                s["goodput"],
                s["ttft_ms"]["p50"],
                s["tpot_ms"]["p50"],
                s["itl_ms"]["p50"],
                s["e2e_ms"]["p50"],
                s["e2e_ms"]["p99"],
                doc["client"]["lag_p99_ms"],
                doc.get("gpu_usd_per_hour"),
                orjson.dumps({k: v for k, v in doc.items() if k != "requests"}).decode(),
            ),
        )
        return str(doc["id"])

    def get(self, run_id: str) -> dict[str, Any]:
        row = self.store.query_one("SELECT summary FROM bench_runs WHERE id = ?", (run_id,))
        if row is None:
            raise NotFoundError(f"no bench run {run_id}; list them with `seedstack bench list`")
        doc: dict[str, Any] = orjson.loads(row[0])
        doc["requests"] = []
        return doc

    def recent(self, model: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Newest first: the headline columns only."""
        sql = (
            "SELECT id, ts, label, model, completed, failed, request_throughput, output_throughput, goodput, "
            "ttft_p50_ms, tpot_p50_ms, e2e_p50_ms, e2e_p99_ms, client_lag_p99_ms, gpu_usd_per_hour "
            "FROM bench_runs"
        )
        params: tuple[Any, ...] = ()
        if model is not None:
            sql += " WHERE model = ?"
            params = (model,)
        sql += " ORDER BY ts DESC LIMIT ?"
        return self.store.query_dicts(sql, (*params, limit))
