"""Hourly rollups of request metadata, built lazily by whoever reads them first.

An hour is rolled up once it has been closed for ``SETTLE_S`` (the recorder flushes within a second;
the margin covers slow flushes), and the last ``REDO_HOURS`` closed hours are recomputed on every
refresh so records replayed from the spool after a short outage still land. Writes are upserts, so
two dashboards refreshing at once agree instead of colliding.
"""

from __future__ import annotations

import time
from typing import Any

from ..store import Store

__all__ = ["REDO_HOURS", "SETTLE_S", "cost_per_day", "refresh_rollups"]

SETTLE_S = 900.0
REDO_HOURS = 3
_CHUNK_HOURS = 24 * 7
_STATE = "rollup_next_hour"
_UPSERT = (
    "INSERT INTO obs_rollup_hourly (hour, alias, template, customer, requests, errors, cost_usd, tokens_in, "
    "tokens_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hour, alias, template, customer) DO UPDATE SET "
    "requests = excluded.requests, errors = excluded.errors, cost_usd = excluded.cost_usd, "
    "tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out"
)


def _hour(dialect: str) -> str:
    return "CAST(FLOOR(ts / 3600) AS BIGINT)" if dialect == "postgres" else "CAST(ts / 3600 AS INTEGER)"


def _aggregate(store: Store, start_h: int, end_h: int) -> list[tuple[Any, ...]]:
    h = _hour(store.dialect)
    return store.query(
        f"SELECT {h}, COALESCE(alias, ''), COALESCE(template, ''), COALESCE(customer, ''), COUNT(*), "
        "SUM(CASE WHEN status_code >= 500 THEN 1 ELSE 0 END), COALESCE(SUM(cost_usd), 0), "
        "COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0) FROM requests WHERE ts >= ? AND ts < ? "
        f"GROUP BY {h}, COALESCE(alias, ''), COALESCE(template, ''), COALESCE(customer, '')",
        (start_h * 3600.0, end_h * 3600.0),
    )


def refresh_rollups(store: Store, *, now: float | None = None) -> int:
    """Roll up every closed hour not yet rolled up (plus the last few again); returns hours done."""
    now = now if now is not None else time.time()
    closed = int((now - SETTLE_S) // 3600)
    row = store.query_one("SELECT value FROM obs_state WHERE name = ?", (_STATE,))
    if row is not None:
        start = int(row[0]) - REDO_HOURS
    else:
        first = store.query_one("SELECT MIN(ts) FROM requests")
        if not first or first[0] is None:
            return 0
        start = int(float(first[0]) // 3600)
    if start >= closed:
        return 0
    for chunk in range(start, closed, _CHUNK_HOURS):
        end = min(chunk + _CHUNK_HOURS, closed)
        # upserts are idempotent: rows first (one batch), then the watermark; a crash in between
        # only means those hours are rolled up again next time
        store.executemany(_UPSERT, [tuple(r) for r in _aggregate(store, chunk, end)])
        store.execute(
            "INSERT INTO obs_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
            "value = CASE WHEN excluded.value > obs_state.value THEN excluded.value ELSE obs_state.value END",
            (_STATE, float(end)),
        )
    return closed - start


def cost_per_day(store: Store, since: float, *, now: float | None = None) -> list[tuple[int, str, str, str, float]]:
    """(day, alias, template, customer, usd) from rollups for closed hours plus the raw open tail."""
    now = now if now is not None else time.time()
    refresh_rollups(store, now=now)
    row = store.query_one("SELECT value FROM obs_state WHERE name = ?", (_STATE,))
    built = int(row[0]) if row else int(since // 3600)
    start_h = int(since // 3600)
    out: list[tuple[int, str, str, str, float]] = [
        (int(h) // 24, a, t, c, float(usd))
        for h, a, t, c, usd in store.query(
            "SELECT hour, alias, template, customer, cost_usd FROM obs_rollup_hourly WHERE hour >= ? AND hour < ?",
            (start_h, built),
        )
    ]
    for h, a, t, c, _n, _e, usd, _ti, _to in _aggregate(store, max(built, start_h), int(now // 3600) + 1):
        out.append((int(h) // 24, a, t, c, float(usd)))
    return out
