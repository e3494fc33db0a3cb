"""The guide's compute rules: reserve only above 60% utilization over four weeks, and count the
GPU hours that were paid for while the engine sat (nearly) idle."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..catalog import GpuPrice, normalize_gpu
from ..gpu_batch import ENGINE_ACTIVE, Device
from ..gpu_store import BP, MISSING
from .base import Rule, RuleContext, RuleResult

__all__ = ["IdleGpuRule", "ReserveRule"]

_FLEXIBLE = ("serverless", "spot", "on-demand")


def _gpu_key(d: Device) -> str:
    return normalize_gpu(d.model) or d.model or "unknown GPU"


def _metric_note(devices: list[Device]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for d in devices:
        counts[d.metric] = counts.get(d.metric, 0) + 1
    weak = sum(n for m, n in counts.items() if m != ENGINE_ACTIVE)
    note = None
    if weak:
        note = (
            f"{weak} GPU(s) report only a 'kernel ran' utilization "
            f"({', '.join(m for m in counts if m != ENGINE_ACTIVE)}),"
            f" which overstates activity; run dcgm-exporter with {ENGINE_ACTIVE} for a true figure"
        )
    return {"metrics": counts, "metric_note": note}


def _price(p: GpuPrice | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "usd_per_gpu_hour": p.usd_per_gpu_hour,
        "provider": p.provider,
        "pricing": p.pricing,
        "source": p.source,
        "as_of": p.as_of.isoformat(),
    }


class ReserveRule(Rule):
    """Utilization is the active GPU-time over the capacity you would have to reserve: the peak
    number of GPUs of that type reporting at once, for every minute of the window."""

    id = "reserve"
    title = "Reserve vs serverless/spot (4-week utilization)"

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        cfg, win = ctx.cost, ctx.gpu_window()
        if not win.devices:
            return self.no_data(
                "no GPU telemetry in the window",
                "ship samples with `seedstack gpu agent` or `seedstack gpu import`",
                window_days=cfg.window_days,
            )
        thr_bp = round(cfg.reserve_utilization * BP)
        groups: dict[str, list[int]] = {}
        for i, d in enumerate(win.devices):
            groups.setdefault(_gpu_key(d), []).append(i)
        per_type: list[dict[str, Any]] = []
        verdicts: list[bool] = []
        usd_total, known = 0.0, True
        for gpu, rows in sorted(groups.items()):
            a = win.active[rows]
            have = a != MISSING
            active_bp = int(np.where(have, a, 0).astype(np.int64).sum())
            peak = int(have.sum(axis=0).max())
            minutes = win.minutes
            util = active_bp / (BP * peak * minutes)
            first = int(np.argmax(have.any(axis=0)))
            history_ok = first * 60 <= 86400  # telemetry reaches back to the window's first day
            reserve = history_ok and active_bp > thr_bp * peak * minutes
            weeks = []
            for w0 in range(0, minutes, 7 * 1440):
                sl = slice(w0, min(w0 + 7 * 1440, minutes))
                wa = a[:, sl]
                wh = wa != MISSING
                weeks.append(
                    round(int(np.where(wh, wa, 0).astype(np.int64).sum()) / (BP * peak * wa.shape[1]), 4)
                )
            r = ctx.catalog.price(gpu, "reserved")
            f = next((p for p in (ctx.catalog.price(gpu, k) for k in _FLEXIBLE) if p), None)
            hours = cfg.hours_per_month
            reserve_usd = peak * hours * r.usd_per_gpu_hour if r else None
            flex_usd = util * peak * hours * f.usd_per_gpu_hour if f else None
            saving = None
            if reserve_usd is not None and flex_usd is not None:
                saving = flex_usd - reserve_usd if reserve else reserve_usd - flex_usd
                usd_total += saving
            else:
                known = False
            verdicts.append(reserve)
            per_type.append(
                {
                    "gpu": gpu,
                    "gpus_peak": peak,
                    "utilization": round(util, 6),
                    "weekly_utilization": weeks,
                    "active_gpu_hours": round(active_bp / BP / 60, 2),
                    "capacity_gpu_hours": peak * minutes / 60,
                    "history_days": round((minutes - first) / 1440, 2),
                    "verdict": "reserve" if reserve else "stay",
                    "reserved_price": _price(r),
                    "flexible_price": _price(f),
                    "reserved_usd_per_month": None if reserve_usd is None else round(reserve_usd, 2),
                    "flexible_usd_per_month": None if flex_usd is None else round(flex_usd, 2),
                    "break_even_utilization": round(r.usd_per_gpu_hour / f.usd_per_gpu_hour, 4)
                    if r and f
                    else None,
                }
            )
        reserve_any = any(verdicts)
        top = max(per_type, key=lambda t: t["utilization"])
        line = ", ".join(f"{t['gpu']} {t['utilization']:.1%} of {t['gpus_peak']} GPUs" for t in per_type)
        if reserve_any:
            names = ", ".join(f"{t['gpus_peak']}x {t['gpu']}" for t in per_type if t["verdict"] == "reserve")
            summary = f"{cfg.window_days}-day utilization above {cfg.reserve_utilization:.0%}: {line}"
            rec = f"reserve {names}: a monthly commitment is cheaper than paying per use at this utilization"
        else:
            short = [t for t in per_type if t["history_days"] < cfg.window_days - 1]
            summary = f"{cfg.window_days}-day utilization at or below {cfg.reserve_utilization:.0%}: {line}"
            rec = "stay on serverless/spot; a reservation would be billed for idle hours"
            if short and top["utilization"] > cfg.reserve_utilization:
                rec = (
                    f"stay for now: only {top['history_days']:g} days of telemetry; the rule needs "
                    f"{cfg.window_days} days above {cfg.reserve_utilization:.0%}"
                )
        return self.result(
            "reserve" if reserve_any else "stay",
            reserve_any,
            summary,
            rec,
            usd_total if known else None,
            window_days=cfg.window_days,
            threshold=cfg.reserve_utilization,
            by_gpu=per_type,
            **_metric_note(win.devices),
        )


class IdleGpuRule(Rule):
    """Paid minutes whose engine activity is below the idle threshold, priced at what they cost.

    A GPU is paid while a ledger job holds it (its price, else the catalog's for the job's
    provider and pricing) or, with no job, whenever it reports telemetry (the catalog's
    ``assumed_pricing``). Reserved GPUs that send nothing are idle too: the reservation bills anyway.
    """

    id = "idle"
    title = "Idle GPU cost (paid hours with engine-active below 5%)"

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        cfg, win, jobs = ctx.cost, ctx.gpu_window(), ctx.jobs()
        if not win.devices and not jobs:
            return self.no_data(
                "no GPU telemetry and no jobs in the window",
                "record jobs with `seedstack cost job add` and ship GPU telemetry",
            )
        idle_bp = round(cfg.idle_engine_active * BP)
        n_dev, n_min = win.active.shape
        have = win.active != MISSING
        price = np.zeros((n_dev, n_min), dtype=np.float64)
        reserved = np.zeros((n_dev, n_min), dtype=bool)
        by_job: list[dict[str, Any]] = []
        unjoined: list[str] = []
        node_rows: dict[str, list[int]] = {}
        for i, d in enumerate(win.devices):
            node_rows.setdefault(d.node, []).append(i)
        for job in jobs:
            span = job.paid_interval(win.start, win.end)
            if span is None:
                continue
            p = job.usd_per_gpu_hour
            if p is None:
                hit = ctx.catalog.price(job.gpu_type, job.pricing, job.provider)
                p = hit.usd_per_gpu_hour if hit else 0.0
            rows = [r for n in job.nodes for r in node_rows.get(n, [])]
            if not rows:
                unjoined.append(job.id)
                continue
            lo, hi = int((span[0] - win.start) // 60), int(-(-(span[1] - win.start) // 60))
            busy = np.where(have[rows, lo:hi], win.active[rows, lo:hi], 0).sum(axis=1)
            chosen = [rows[k] for k in np.argsort(-busy, kind="stable")[: job.gpu_count]]
            for r in chosen:
                price[r, lo:hi] = p
                if job.pricing == "reserved":
                    reserved[r, lo:hi] = True
            by_job.append(
                {
                    "job": job.id,
                    "name": job.name,
                    "_rows": chosen,
                    "_lo": lo,
                    "_hi": hi,
                    "usd_per_gpu_hour": p,
                    "pricing": job.pricing,
                }
            )
        covered = price > 0
        for i, d in enumerate(win.devices):
            hit = ctx.catalog.price(_gpu_key(d), cfg.assumed_pricing)
            if hit:
                fill = have[i] & ~covered[i]
                price[i, fill] = hit.usd_per_gpu_hour
        idle = (price > 0) & ((have & (win.active < idle_bp)) | (~have & reserved))
        idle_usd_dev = (idle * price).sum(axis=1) / 60.0
        idle_min_dev = idle.sum(axis=1)
        paid_min = int((price > 0).sum())
        total_usd = float(idle_usd_dev.sum())
        monthly = total_usd / ctx.months(win.end - win.start) if win.end > win.start else 0.0
        for j in by_job:
            rows, lo, hi = j.pop("_rows"), j.pop("_lo"), j.pop("_hi")
            sub = idle[rows, lo:hi]
            j["idle_gpu_hours"] = round(int(sub.sum()) / 60, 2)
            j["idle_usd"] = round(float((sub * price[rows, lo:hi]).sum() / 60), 2)
        worst = np.argsort(-idle_usd_dev)[:5]
        top = [
            {
                "node": win.devices[i].node,
                "gpu": win.devices[i].gpu,
                "model": win.devices[i].model,
                "idle_gpu_hours": round(int(idle_min_dev[i]) / 60, 2),
                "idle_usd": round(float(idle_usd_dev[i]), 2),
            }
            for i in worst
            if idle_min_dev[i] > 0
        ]
        idle_hours = int(idle_min_dev.sum()) / 60
        evidence = dict(
            window_days=cfg.window_days,
            threshold=cfg.idle_engine_active,
            paid_gpu_hours=round(paid_min / 60, 2),
            idle_gpu_hours=round(idle_hours, 2),
            idle_usd_in_window=round(total_usd, 2),
            top_idle_gpus=top,
            jobs=by_job,
            jobs_without_telemetry=unjoined,
            **_metric_note(win.devices),
        )
        if idle_hours == 0:
            return self.result(
                "ok",
                False,
                f"no paid GPU hour below {cfg.idle_engine_active:.0%} engine-active "
                f"in {cfg.window_days} days",
                "nothing to do",
                0.0,
                **evidence,
            )
        share = idle_hours / (paid_min / 60) if paid_min else 0.0
        summary = (
            f"{idle_hours:,.1f} of {paid_min / 60:,.1f} paid GPU-hours ({share:.0%}) were idle: "
            f"${total_usd:,.0f} in {cfg.window_days} days"
        )
        rec = (
            "stop or scale down idle GPUs (see top_idle_gpus); if a reservation sits idle, "
            "you reserved too early"
        )
        return self.result("waste", True, summary, rec, monthly, **evidence)
