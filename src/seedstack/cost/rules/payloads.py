"""The guide's observability cost rule: keep all metadata but only 5-10% of full payloads."""

from __future__ import annotations

from .base import Rule, RuleContext, RuleResult

__all__ = ["PayloadVolumeRule"]

_GB = 1000**3


def _by_reason(rows: list[tuple[object, ...]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for kept, reason, n in rows:
        key = str(reason) if reason else ("sampled" if kept else "not kept")
        out[key] = out.get(key, 0) + int(str(n))
    return out


class PayloadVolumeRule(Rule):
    """Kept share = real requests whose payload was stored / all real requests in the window.
    Its $ is steady-state storage: a month of payload bytes x retention x $/GB-month."""

    id = "payloads"
    title = "Payload logging volume (sample 5-10%)"

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        cfg, tel = ctx.cost, ctx.settings.telemetry
        since = ctx.now - cfg.payload_window_days * 86400
        reasons = ctx.store.query(
            "SELECT payload_kept, payload_reason, COUNT(*) FROM requests WHERE simulated = 0 "
            "AND ts >= ? AND ts < ? "
            "GROUP BY payload_kept, payload_reason",
            (since, ctx.now),
        )
        total = sum(int(n) for _k, _r, n in reasons)
        kept = sum(int(n) for k, _r, n in reasons if k)
        if total == 0:
            return self.no_data(
                f"no real requests in {cfg.payload_window_days} days", "send traffic through the gateway"
            )
        row = ctx.store.query_one(
            "SELECT COUNT(*), SUM(length(p.body)) FROM payloads p JOIN requests r ON r.id = p.request_id "
            "WHERE r.simulated = 0 AND r.ts >= ? AND r.ts < ?",
            (since, ctx.now),
        )
        stored_n, stored_bytes = (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)
        per_month = (cfg.hours_per_month / 24.0) / cfg.payload_window_days
        month_gb = stored_bytes * per_month / _GB
        cost = month_gb * cfg.payload_retention_months * cfg.storage_usd_per_gb_month
        share = kept / total
        evidence = dict(
            window_days=cfg.payload_window_days,
            requests=total,
            payloads_kept=kept,
            kept_share=round(share, 6),
            by_reason=_by_reason(reasons),
            stored_payloads=stored_n,
            stored_bytes=stored_bytes,
            avg_payload_bytes=round(stored_bytes / stored_n) if stored_n else None,
            gb_per_month=round(month_gb, 4),
            storage_usd_per_month=round(cost, 2),
            configured_sample_rate=tel.payload_sample_rate,
            audit=tel.audit,
            target=[cfg.payload_share_min, cfg.payload_share_max],
        )
        lo_bp, hi_bp = round(cfg.payload_share_min * 10_000), round(cfg.payload_share_max * 10_000)
        summary = f"{share:.1%} of {total:,} requests kept a payload ({month_gb:,.2f} GB/month)"
        if tel.audit:
            return self.result(
                "ok",
                False,
                summary + "; full audit is on",
                "audit mode keeps every payload by design; turn it off unless regulation requires it",
                0.0,
                **evidence,
            )
        if kept * 10_000 > hi_bp * total:
            saving = cost * (1 - cfg.payload_share_max / share)
            rec = (
                f"lower telemetry.payload_sample_rate so at most {cfg.payload_share_max:.0%} "
                f"of payloads are kept "
                f"(errors, slow and flagged stay 100%); metadata stays at 100%"
            )
            return self.result("reduce", True, summary, rec, saving, **evidence)
        if kept * 10_000 < lo_bp * total:
            extra = cost * (cfg.payload_share_min / share - 1) if share else None
            rec = (
                f"raise telemetry.payload_sample_rate to keep at least {cfg.payload_share_min:.0%}: too few "
                "payloads to answer 'why did the model say that?'"
            )
            return self.result("raise", True, summary, rec, -extra if extra is not None else None, **evidence)
        return self.result("ok", False, summary, "nothing to do", 0.0, **evidence)
