"""The dashboard overview's numbers, from metadata only (100% of requests), for one time window.

The window's counts, percentiles and guard verdicts come from the ``ts`` index (one contiguous
stretch of the table, since records are appended in time order); the multi-day cost table comes from
hourly rollups (``rollup.py``), so it costs the same on day 1 and on day 300.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np
import orjson

from ..config import Settings
from ..store import Store
from .rollup import cost_per_day
from .slo import latency_percentiles

__all__ = ["overview"]


def _cost_by_dims(store: Store, since: float, now: float, limit: int = 8) -> dict[str, list[dict[str, Any]]]:
    """Cost per day by alias, template and customer, from the hourly rollups."""
    rows = cost_per_day(store, since, now=now)
    out: dict[str, list[dict[str, Any]]] = {}
    days = sorted({r[0] for r in rows})
    for pos, dim in ((1, "alias"), (2, "template"), (3, "customer")):
        totals: dict[str, float] = {}
        per_day: dict[tuple[int, str], float] = {}
        for r in rows:
            name = str(r[pos]) or "(none)"
            day, usd = r[0], r[4]
            totals[name] = totals.get(name, 0.0) + usd
            per_day[(day, name)] = per_day.get((day, name), 0.0) + usd
        out[dim] = [
            {
                "name": k,
                "total_usd": round(totals[k], 6),
                "per_day": [
                    {
                        "day": time.strftime("%Y-%m-%d", time.gmtime(d * 86400)),
                        "usd": round(per_day.get((d, k), 0.0), 6),
                    }
                    for d in days
                ],
            }
            for k in sorted(totals, key=lambda n: -totals[n])[:limit]
        ]
    return out


def _latency_series(
    ts: np.ndarray, lat: np.ndarray, since: float, now: float, buckets: int = 24
) -> list[dict[str, Any]]:
    if ts.size == 0:
        return []
    edges = np.linspace(since, now, buckets + 1)
    idx = np.clip(np.searchsorted(edges, ts, side="right") - 1, 0, buckets - 1)
    out = []
    for b in range(buckets):
        vals = lat[idx == b]
        out.append(
            {
                "start": float(edges[b]),
                "count": int(vals.size),
                "p50_ms": float(np.percentile(vals, 50)) if vals.size else None,
                "p99_ms": float(np.percentile(vals, 99)) if vals.size else None,
            }
        )
    return out


def overview(
    store: Store,
    settings: Settings,
    *,
    window_hours: float = 24.0,
    now: float | None = None,
    cost_days: float = 7.0,
) -> dict[str, Any]:
    now = now if now is not None else time.time()
    since = now - window_hours * 3600
    row = store.query_one(
        "SELECT COUNT(*), SUM(CASE WHEN status_code >= 500 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status_code >= 400 AND status_code < 500 THEN 1 ELSE 0 END), SUM(cost_usd), "
        "SUM(tokens_in), SUM(tokens_out) FROM requests WHERE ts >= ?",
        (since,),
    )
    total, errors, rejected, cost, tin, tout = row if row else (0, 0, 0, 0, 0, 0)
    total = int(total or 0)
    lat_rows = store.query(
        "SELECT ts, latency_ms FROM requests WHERE ts >= ? AND endpoint = 'chat' "
        "AND status_code < 400 AND latency_ms IS NOT NULL",
        (since,),
    )
    arr = np.array(lat_rows, dtype=float).reshape(-1, 2)
    guard: Counter[str] = Counter()
    for (g,) in store.query("SELECT guard FROM requests WHERE ts >= ? AND guard IS NOT NULL", (since,)):
        for v in orjson.loads(g):
            if v.get("action") not in (None, "allow", "pass"):
                guard[f"{v.get('detector')}:{v.get('action')}"] += 1
    costs = _cost_by_dims(store, now - cost_days * 86400, now)
    return {
        "window_hours": window_hours,
        "requests": total,
        "requests_per_s": round(total / (window_hours * 3600), 4),
        "error_rate": round(int(errors or 0) / total, 5) if total else None,
        "rejected_4xx": int(rejected or 0),
        "cost_usd": round(float(cost or 0.0), 6),
        "tokens_in": int(tin or 0),
        "tokens_out": int(tout or 0),
        "chat_latency": latency_percentiles(arr[:, 1]) | {"slo_ms": settings.slo.chat_p99_ms},
        "latency_series": _latency_series(arr[:, 0], arr[:, 1], since, now),
        "guard_verdicts": dict(guard.most_common()),
        "cost_days": cost_days,
        "cost_by_alias": costs["alias"],
        "cost_by_template": costs["template"],
        "cost_by_customer": costs["customer"],
    }
