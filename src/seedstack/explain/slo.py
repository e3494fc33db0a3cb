"""SLO status, error budgets, burn-rate alerts, and the guide's serving rule.

Each objective is "at least ``target`` of the requests in the window are good". A latency objective
with threshold 300 ms and target 0.99 is exactly "p99 ≤ 300 ms", and it gives an error budget
(the 1% that may be slow) whose burn rate can alert early. Errors are 5xx answers: a 4xx is the
client's mistake (bad input, a spent budget), not the service failing its users.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..config import Settings
from ..config.observability import SLOObjective
from ..store import Store

__all__ = [
    "RECOMMENDATION",
    "SLOCollector",
    "SLOStatus",
    "check_slos",
    "evaluate_slos",
    "latency_percentiles",
]

log = logging.getLogger("seedstack.slo")

RECOMMENDATION = "optimize the model (quantize, speculative decoding) before adding hardware"
_BURN_WINDOW_S = 3600.0
_MIN_EVENTS_FOR_ALERT = 20


@dataclass
class SLOStatus:
    name: str
    kind: str
    objective: str
    window_hours: float
    target: float
    total: int
    bad: int
    good_ratio: float | None
    met: bool | None
    budget_remaining: float | None  # 1.0 = untouched, 0 = spent, negative = overspent
    burn_rate_1h: float | None
    alert: bool
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    recommendation: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scope(obj: SLOObjective, threshold: float | None) -> tuple[str, list[Any]]:
    clauses: list[str] = ["ts >= ?"]
    params: list[Any] = []
    if obj.endpoint:
        clauses.append("endpoint = ?")
        params.append(obj.endpoint)
    if obj.kind == "latency":
        clauses.append("status_code < 400 AND latency_ms IS NOT NULL")
        if obj.max_tokens_out is not None:
            clauses.append("(tokens_out IS NULL OR tokens_out <= ?)")
            params.append(obj.max_tokens_out)
    return " AND ".join(clauses), params


def _counts(store: Store, obj: SLOObjective, threshold: float | None, since: float) -> tuple[int, int]:
    where, params = _scope(obj, threshold)
    bad = "latency_ms > ?" if obj.kind == "latency" else "status_code >= 500"
    bad_params = [threshold] if obj.kind == "latency" else []
    row = store.query_one(
        f"SELECT COUNT(*), SUM(CASE WHEN {bad} THEN 1 ELSE 0 END) FROM requests WHERE {where}",
        [*bad_params, since, *params],
    )
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


def _window_percentiles(
    store: Store, obj: SLOObjective, since: float, n: int
) -> tuple[float | None, float | None, float | None]:
    """p50/p95/p99 over the window, computed by the database (nearest rank): never the whole window's
    latencies in Python, which at a million requests cost ~100 MB on every /metrics scrape."""
    if n == 0:
        return None, None, None
    where, params = _scope(obj, None)
    out = []
    for q in (0.50, 0.95, 0.99):
        row = store.query_one(
            f"SELECT latency_ms FROM requests WHERE {where} ORDER BY latency_ms LIMIT 1 OFFSET ?",
            [since, *params, min(n - 1, max(0, int(q * n + 0.999999) - 1))],
        )
        out.append(round(float(row[0]), 1) if row else None)
    return out[0], out[1], out[2]


def latency_percentiles(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1), "p99_ms": round(float(p99), 1)}


def _evidence(store: Store, obj: SLOObjective, threshold: float, since: float) -> dict[str, Any]:
    """Where the slow requests' time goes, and which models serve them: the case for optimizing."""
    where, params = _scope(obj, threshold)
    rows = store.query(
        f"SELECT queue_ms, ttft_ms, latency_ms, upstream_ms, upstream_model FROM requests WHERE {where} "
        "AND latency_ms > ? ORDER BY latency_ms DESC LIMIT 5000",
        [since, *params, threshold],
    )
    if not rows:
        return {}
    arr = np.array([[r[0] or 0.0, r[1] or 0.0, r[2] or 0.0, r[3] or 0.0] for r in rows], dtype=float)
    queue, ttft, total, upstream = (float(np.median(arr[:, i])) for i in range(4))
    gen = max(0.0, total - ttft - queue)
    models: dict[str, int] = {}
    for r in rows:
        models[r[4] or "unknown"] = models.get(r[4] or "unknown", 0) + 1
    top = sorted(models.items(), key=lambda kv: -kv[1])[:3]
    return {
        "slow_requests_examined": len(rows),
        "median_of_slow": {
            "queue_ms": round(queue, 1),
            "ttft_ms": round(ttft, 1),
            "generation_ms": round(gen, 1),
            "total_ms": round(total, 1),
        },
        "upstream_share": round(upstream / total, 3) if total else None,
        "models": [{"upstream_model": m, "slow_requests": c} for m, c in top],
        "reading": (
            "most of the slow requests' time is spent in the model (prefill + decode), not in queueing "
            "or the gateway: a smaller/quantized model or speculative decoding cuts it without new GPUs"
        )
        if total and (ttft + gen) >= 0.7 * total
        else "queueing dominates the slow requests: check concurrency limits before buying hardware",
    }


def evaluate_slos(store: Store, settings: Settings, *, now: float | None = None) -> list[SLOStatus]:
    """Status of every configured objective, with the guide's recommendation when p99 misses its bar."""
    now = now if now is not None else time.time()
    obs = settings.observability
    out = []
    for obj in obs.objectives:
        threshold = obj.threshold_ms or settings.slo.chat_p99_ms
        since = now - obj.window_hours * 3600
        total, bad = _counts(store, obj, threshold, since)
        t1, b1 = _counts(store, obj, threshold, max(since, now - _BURN_WINDOW_S))
        allowed = 1.0 - obj.target
        ratio = (total - bad) / total if total else None
        burn = (b1 / t1) / allowed if t1 else None
        status = SLOStatus(
            name=obj.name,
            kind=obj.kind,
            window_hours=obj.window_hours,
            target=obj.target,
            total=total,
            bad=bad,
            objective=(
                f"p{round(obj.target * 100, 3):g} latency ≤ {threshold:g} ms"
                if obj.kind == "latency"
                else f"≤ {allowed * 100:.3g}% 5xx errors"
            ),
            good_ratio=ratio,
            met=None if ratio is None else ratio >= obj.target,
            budget_remaining=None if ratio is None else round(1.0 - (bad / total) / allowed, 4),
            burn_rate_1h=None if burn is None else round(burn, 2),
            alert=bool(burn is not None and t1 >= _MIN_EVENTS_FOR_ALERT and burn >= obs.burn_rate_alert),
        )
        if obj.kind == "latency":
            status.p50_ms, status.p95_ms, status.p99_ms = _window_percentiles(store, obj, since, total)
            if status.p99_ms is not None and status.p99_ms > threshold:
                status.recommendation = RECOMMENDATION
                status.evidence = {
                    "p99_ms": status.p99_ms,
                    "threshold_ms": threshold,
                    "requests": total,
                    **_evidence(store, obj, threshold, since),
                }
        out.append(status)
    return out


def check_slos(store: Store, settings: Settings, *, now: float | None = None) -> list[SLOStatus]:
    """Evaluate and log a warning for each objective burning its budget too fast (call periodically)."""
    statuses = evaluate_slos(store, settings, now=now)
    for s in statuses:
        if s.alert:
            log.warning(
                "SLO %s is burning its error budget %.1fx too fast over the last hour (%s); budget remaining %.1f%%",
                s.name,
                s.burn_rate_1h or 0.0,
                s.objective,
                100 * (s.budget_remaining or 0.0),
            )
    return statuses


class SLOCollector:
    """A prometheus_client custom collector: register it on the gateway's registry for /metrics.

    Evaluating objectives scans their windows, so a scrape reuses the last evaluation for
    ``min_interval_s`` (SLO windows are hours to weeks: a minute-old status is still exact enough).
    """

    def __init__(self, store: Store, settings: Settings, *, min_interval_s: float = 60.0) -> None:
        self._store = store
        self._settings = settings
        self._min_interval_s = min_interval_s
        self._cached: tuple[float, list[SLOStatus]] | None = None

    def _statuses(self) -> list[SLOStatus]:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] >= self._min_interval_s:
            self._cached = (now, check_slos(self._store, self._settings))
        return self._cached[1]

    def describe(self) -> list[Any]:
        return []  # evaluated lazily at scrape time; do not query the store at registration

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        good = GaugeMetricFamily("seedstack_slo_good_ratio", "share of good requests in the SLO window", labels=["slo"])
        budget = GaugeMetricFamily("seedstack_slo_error_budget_remaining", "1 = untouched, 0 = spent", labels=["slo"])
        burn = GaugeMetricFamily(
            "seedstack_slo_burn_rate_1h", "error budget burn rate over the last hour", labels=["slo"]
        )
        alert = GaugeMetricFamily("seedstack_slo_alert", "1 while the burn-rate alert fires", labels=["slo"])
        for s in self._statuses():
            if s.good_ratio is not None:
                good.add_metric([s.name], s.good_ratio)
            if s.budget_remaining is not None:
                budget.add_metric([s.name], s.budget_remaining)
            if s.burn_rate_1h is not None:
                burn.add_metric([s.name], s.burn_rate_1h)
            alert.add_metric([s.name], 1.0 if s.alert else 0.0)
        yield from (good, budget, burn, alert)
