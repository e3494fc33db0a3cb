"""GPU activity in the store: one row per GPU-hour holding its 60 one-minute values.

Why chunks rather than a row per sample: 30 days of 64 GPUs is 2.8M minutes. As 46k hour rows
(uint16 basis points, 120 bytes per hour) they import in seconds on SQLite and PostgreSQL alike,
and a 4-week window loads into one numpy matrix for the rules. Each row also carries hourly
rollups (minutes reported, sum of activity, minutes under 5%), so long windows and dashboards
read the rollups, and ``prune_minutes`` can drop old minute values while keeping them.

Activity is stored as integer basis points (0.6 → 6000), so the guide's thresholds compare
exactly: 60.00% utilization is not "above 60%".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..store import Store
from .gpu_batch import ENGINE_ACTIVE, Device, SampleBatch, Series

__all__ = [
    "BP",
    "MISSING",
    "GpuWindow",
    "IngestReport",
    "hourly_rollup",
    "ingest",
    "load_window",
    "prune_minutes",
]

BP = 10_000  # basis points in 1.0
MISSING = np.uint16(65535)
IDLE_ROLLUP_BP = 500  # the rollup's idle count uses the guide's 5%
_SHIFT = np.int64(32)

_UPSERT = (
    "INSERT INTO gpu_minutes (node, gpu, hour, metric, n, active_bp_sum, idle_n, active, mem_mib, power_w) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node, gpu, hour) DO UPDATE SET "
    "metric = excluded.metric, n = excluded.n, active_bp_sum = excluded.active_bp_sum, "
    "idle_n = excluded.idle_n, active = excluded.active, mem_mib = excluded.mem_mib, power_w = "
    "excluded.power_w"
)
_UPSERT_DEVICE = (
    "INSERT INTO gpu_devices (node, gpu, uuid, model, first_ts, last_ts) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (node, gpu) DO UPDATE SET "
    "uuid = COALESCE(excluded.uuid, gpu_devices.uuid), model = COALESCE(excluded.model, gpu_devices.model), "
    "first_ts = CASE WHEN excluded.first_ts < gpu_devices.first_ts THEN excluded.first_ts ELSE "
    "gpu_devices.first_ts END, "
    "last_ts = CASE WHEN excluded.last_ts > gpu_devices.last_ts THEN excluded.last_ts ELSE "
    "gpu_devices.last_ts END"
)
BATCH_ROWS = 20_000


@dataclass(slots=True)
class IngestReport:
    samples: int = 0
    minutes: int = 0
    gpu_hours: int = 0
    devices: int = 0
    metrics: dict[str, int] = field(default_factory=dict)
    start_ts: int | None = None
    end_ts: int | None = None


def _minute_means(s: Series) -> tuple[np.ndarray, np.ndarray]:
    """Average the samples of each (device, minute): returns (sorted keys, means; NaN = none)."""
    ok = np.isfinite(s.ts)
    dev, ts, val = s.dev[ok].astype(np.int64), s.ts[ok], s.value[ok]
    keys = (dev << _SHIFT) | np.floor(ts / 60.0).astype(np.int64)
    uniq, inv = np.unique(keys, return_inverse=True)
    have = np.isfinite(val)
    sums = np.bincount(inv, weights=np.where(have, val, 0.0), minlength=len(uniq))
    counts = np.bincount(inv, weights=have.astype(np.float64), minlength=len(uniq))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return uniq, means


def ingest(store: Store, batch: SampleBatch) -> IngestReport:
    """Write a batch at 1-minute resolution, merging with minutes already stored for those hours."""
    report = IngestReport(samples=len(batch), devices=len(batch.devices), metrics=batch.metrics)
    means = {name: _minute_means(s) for name, s in batch.series.items() if len(s.ts)}
    if "active" not in means or not len(means["active"][0]):
        return report
    mkeys = means["active"][0]
    report.minutes = int(np.count_nonzero(np.isfinite(means["active"][1])))
    minute = mkeys & np.int64(0xFFFFFFFF)
    report.start_ts, report.end_ts = int(minute.min()) * 60, int(minute.max()) * 60
    all_hour_keys = np.unique(np.concatenate([_hour_key(k) for k, _ in means.values()]))
    n_chunks = len(all_hour_keys)
    active = np.full((n_chunks, 60), MISSING, dtype=np.uint16)
    extra = {name: np.full((n_chunks, 60), np.nan, dtype=np.float32) for name in ("mem_mib", "power_w")}
    for name, (keys, vals) in means.items():
        row = np.searchsorted(all_hour_keys, _hour_key(keys))
        col = (keys & np.int64(0xFFFFFFFF)) % 60
        if name == "active":
            have = np.isfinite(vals)
            bp = np.clip(np.rint(np.where(have, vals, 0.0) * BP), 0, BP).astype(np.uint16)
            active[row[have], col[have]] = bp[have]
        else:
            extra[name][row, col] = vals.astype(np.float32)
    devs = (all_hour_keys >> _SHIFT).astype(np.int64)
    hours = (all_hour_keys & np.int64(0xFFFFFFFF)).astype(np.int64)
    _merge_existing(store, batch.devices, devs, hours, active, extra)
    report.gpu_hours = n_chunks
    _write(store, batch.devices, devs, hours, active, extra)
    _write_devices(store, batch.devices, means["active"][0])
    return report


def _hour_key(minute_keys: np.ndarray) -> np.ndarray:
    dev = minute_keys >> _SHIFT
    return (dev << _SHIFT) | ((minute_keys & np.int64(0xFFFFFFFF)) // 60)


def _merge_existing(
    store: Store,
    devices: list[Device],
    devs: np.ndarray,
    hours: np.ndarray,
    active: np.ndarray,
    extra: dict[str, np.ndarray],
) -> None:
    """Keep stored minutes the new batch does not cover; engine-active data is never replaced by
    GPU_UTIL data for the same minute."""
    lo, hi = int(hours.min()) * 3600, int(hours.max()) * 3600
    rows = store.query(
        "SELECT node, gpu, hour, metric, active, mem_mib, power_w FROM gpu_minutes WHERE hour "
        ">= ? AND hour <= ?",
        (lo, hi),
    )
    if not rows:
        return
    where = {
        (devices[d].node, devices[d].gpu, int(h) * 3600): i
        for i, (d, h) in enumerate(zip(devs.tolist(), hours.tolist(), strict=True))
    }
    for node, gpu, hour, metric, old_active, old_mem, old_power in rows:
        i = where.get((node, gpu, int(hour)))
        if i is None:
            continue
        new_dev = devices[int(devs[i])]
        if old_active is not None:
            old = np.frombuffer(bytes(old_active), dtype=np.uint16)
            if metric == ENGINE_ACTIVE and new_dev.metric != ENGINE_ACTIVE:
                take = old != MISSING
                new_dev.metric = ENGINE_ACTIVE
            else:
                take = active[i] == MISSING
            active[i, take] = old[take]
        for name, blob in (("mem_mib", old_mem), ("power_w", old_power)):
            if blob is not None:
                old_f = np.frombuffer(bytes(blob), dtype=np.float32)
                gap = np.isnan(extra[name][i])
                extra[name][i, gap] = old_f[gap]


def _write(
    store: Store,
    devices: list[Device],
    devs: np.ndarray,
    hours: np.ndarray,
    active: np.ndarray,
    extra: dict[str, np.ndarray],
) -> None:
    have = active != MISSING
    n = have.sum(axis=1)
    sums = np.where(have, active, 0).astype(np.int64).sum(axis=1)
    idle = (have & (active < IDLE_ROLLUP_BP)).sum(axis=1)
    mem_any = ~np.isnan(extra["mem_mib"]).all(axis=1)
    pow_any = ~np.isnan(extra["power_w"]).all(axis=1)
    names = [(d.node, d.gpu, d.metric) for d in devices]
    rows: list[tuple[Any, ...]] = []
    for i in range(len(devs)):
        node, gpu, metric = names[devs[i]]
        rows.append(
            (
                node,
                gpu,
                int(hours[i]) * 3600,
                metric,
                int(n[i]),
                int(sums[i]),
                int(idle[i]),
                active[i].tobytes(),
                extra["mem_mib"][i].tobytes() if mem_any[i] else None,
                extra["power_w"][i].tobytes() if pow_any[i] else None,
            )
        )
        if len(rows) >= BATCH_ROWS:
            store.executemany(_UPSERT, rows)
            rows = []
    if rows:
        store.executemany(_UPSERT, rows)


def _write_devices(store: Store, devices: list[Device], minute_keys: np.ndarray) -> None:
    dev = (minute_keys >> _SHIFT).astype(np.int64)
    minute = (minute_keys & np.int64(0xFFFFFFFF)).astype(np.int64)
    first = np.full(len(devices), np.iinfo(np.int64).max)
    last = np.full(len(devices), -1, dtype=np.int64)
    np.minimum.at(first, dev, minute)
    np.maximum.at(last, dev, minute)
    rows = [
        (d.node, d.gpu, d.uuid, d.model, int(first[i]) * 60, int(last[i]) * 60)
        for i, d in enumerate(devices)
        if last[i] >= 0
    ]
    if rows:
        store.executemany(_UPSERT_DEVICE, rows)


@dataclass(slots=True)
class GpuWindow:
    """Per-minute activity of every GPU that reported in ``[start, end)``: ``active[i, m]`` is basis
    points of device ``i`` at minute ``m`` (``MISSING`` where it did not report)."""

    start: int
    end: int
    devices: list[Device]
    active: np.ndarray

    @property
    def minutes(self) -> int:
        return (self.end - self.start) // 60

    def minute_ts(self) -> np.ndarray:
        return self.start + 60 * np.arange(self.minutes, dtype=np.int64)


def load_window(store: Store, start: int, end: int) -> GpuWindow:
    """Load ``[start, end)`` (unix seconds, floored to minutes) as a (devices x minutes) matrix.
    Hours whose minute values were pruned are spread evenly from their rollup."""
    start, end = start // 60 * 60, end // 60 * 60
    n_min = max(0, (end - start) // 60)
    h0 = start // 3600 * 3600
    rows = store.query(
        "SELECT m.node, m.gpu, m.hour, m.metric, m.n, m.active_bp_sum, m.active, d.uuid, d.model "
        "FROM gpu_minutes m LEFT JOIN gpu_devices d ON d.node = m.node AND d.gpu = m.gpu "
        "WHERE m.hour >= ? AND m.hour < ? ORDER BY m.node, m.gpu, m.hour",
        (h0, end),
    )
    index: dict[tuple[str, str], int] = {}
    devices: list[Device] = []
    for node, gpu, _h, metric, _n, _s, _a, uuid, model in rows:
        if (node, gpu) not in index:
            index[(node, gpu)] = len(devices)
            devices.append(Device(node, gpu, uuid, model, metric))
        elif metric == ENGINE_ACTIVE:
            devices[index[(node, gpu)]].metric = metric
    # one padded matrix covering whole hours, then sliced to the window
    first_hour = h0
    n_hours = (end - first_hour + 3599) // 3600
    full = np.full((len(devices), max(n_hours, 0) * 60), MISSING, dtype=np.uint16)
    for node, gpu, hour, _metric, n, bp_sum, blob, _u, _m in rows:
        i = index[(node, gpu)]
        off = (int(hour) - first_hour) // 60
        if blob is not None:
            full[i, off : off + 60] = np.frombuffer(bytes(blob), dtype=np.uint16)
        elif n:
            full[i, off : off + int(n)] = int(bp_sum) // int(n)
    lead = (start - first_hour) // 60
    window = full[:, lead : lead + n_min]
    keep = (window != MISSING).any(axis=1) if n_min else np.zeros(len(devices), dtype=bool)
    return GpuWindow(start, end, [d for d, k in zip(devices, keep, strict=True) if k], window[keep])


def hourly_rollup(store: Store, start: int, end: int) -> list[dict[str, Any]]:
    """Fleet activity per hour from the rollups alone: what a long-window chart reads."""
    rows = store.query(
        "SELECT hour, COUNT(*), SUM(n), SUM(active_bp_sum), SUM(idle_n) FROM gpu_minutes "
        "WHERE hour >= ? AND hour < ? GROUP BY hour ORDER BY hour",
        (start // 3600 * 3600, end),
    )
    return [
        {
            "hour": int(h),
            "gpus": int(g),
            "gpu_minutes": int(n or 0),
            "engine_active": (int(s) / BP / int(n)) if n else None,
            "idle_minutes": int(i or 0),
        }
        for h, g, n, s, i in rows
    ]


def prune_minutes(store: Store, older_than: int) -> int:
    """Drop minute values of hours before ``older_than``; their hourly rollups stay."""
    return store.execute(
        "UPDATE gpu_minutes SET active = NULL, mem_mib = NULL, power_w = NULL "
        "WHERE hour < ? AND active IS NOT NULL",
        (older_than,),
    )
