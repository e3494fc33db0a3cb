"""The guide's data-transfer rule: above 15% of the bill, move compute next to the data lake."""

from __future__ import annotations

from ..egress import AVOIDABLE, transfer_summary
from .base import Rule, RuleContext, RuleResult

__all__ = ["EgressRule"]

_MONTH_DAYS = 30.0


class EgressRule(Rule):
    """Reads the latest 30 days of imported bill lines. Only cross-zone and cross-region transfer
    disappears with co-location, so that is the saving; internet egress is reported apart."""

    id = "egress"
    title = "Data transfer share of the cloud bill"

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        cfg = ctx.cost
        last = ctx.store.query_one(
            "SELECT MAX(period_start) FROM bill_lines WHERE period_start <= ?", (ctx.now,)
        )
        if last is None or last[0] is None:
            return self.no_data(
                "no cloud bill imported",
                "import one with `seedstack cost import-bill FILE` (AWS CUR, GCP export, FOCUS)",
            )
        end = float(last[0]) + 1
        s = transfer_summary(ctx.store, end - _MONTH_DAYS * 86400, end)
        if not s.total_usd or s.share is None:
            return self.no_data("the imported bill totals $0", "import a bill with costs")
        days = max(s.days, 1.0)
        per_month = (cfg.hours_per_month / 24.0) / days
        avoidable_month = s.avoidable_usd * per_month
        evidence = dict(
            bill_start=s.start,
            bill_end=s.end,
            bill_days=round(days, 2),
            total_usd=round(s.total_usd, 2),
            transfer_usd={k: round(v, 2) for k, v in s.by_kind.items()},
            share=s.share,
            threshold=cfg.egress_share,
            top_pairs=s.pairs,
            avoidable_usd_per_year=round(avoidable_month * 12, 2),
        )
        share_txt = f"transfer is {s.share:.1%} of ${s.total_usd:,.0f} over {days:g} days"
        if s.share <= cfg.egress_share:
            return self.result(
                "ok",
                False,
                f"{share_txt} (at or below {cfg.egress_share:.0%})",
                "nothing to do",
                0.0,
                **evidence,
            )
        avoidable = [p for p in s.pairs if p["kind"] in AVOIDABLE]
        if not avoidable:
            return self.result(
                "review-egress",
                True,
                f"{share_txt}, all of it to the internet",
                "co-location does not cut internet egress: cache, compress or serve closer to users",
                0.0,
                **evidence,
            )
        worst = avoidable[0]
        rec = (
            f"move training compute into the data lake's zone: the largest flow is {worst['kind']} "
            f"{worst['src']} -> {worst['dst']} (${worst['usd']:,.0f}); co-locating saves "
            f"${avoidable_month:,.0f}/month (${avoidable_month * 12:,.0f}/year)"
        )
        return self.result(
            "co-locate", True, f"{share_txt} (above {cfg.egress_share:.0%})", rec, avoidable_month, **evidence
        )
