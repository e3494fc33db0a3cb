"""The guide's serving rule: p99 above 300 ms on standard chat → optimize the model before buying
hardware. Reads the gateway's request records (simulated traffic excluded)."""

from __future__ import annotations

import math
from typing import Any

from ...errors import StoreError
from .base import Rule, RuleContext, RuleResult

__all__ = ["LatencyRule", "nearest_rank"]

_QUANT_WORDS = ("awq", "gptq", "int4", "4bit", "4-bit", "w4a16", "fp8", "int8", "8bit", "8-bit", "q4")


def nearest_rank(sorted_values: list[float], q: float) -> float:
    """The smallest value with at least q of the sample at or below it (no interpolation)."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


class LatencyRule(Rule):
    """A chat request's latency is what its caller waited for: time to first token when streamed,
    the whole response otherwise. Successful (status < 400) real requests only."""

    id = "latency"
    title = "Serving p99 latency (optimize before adding hardware)"

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        cfg = ctx.cost
        slo = float(ctx.settings.slo.chat_p99_ms)
        since = ctx.now - cfg.latency_window_days * 86400
        rows = ctx.store.query(
            "SELECT alias, stream, latency_ms, ttft_ms FROM requests WHERE endpoint = 'chat' "
            "AND simulated = 0 "
            "AND status_code < 400 AND ts >= ? AND ts < ?",
            (since, ctx.now),
        )
        by_alias: dict[str, list[float]] = {}
        for alias, stream, latency, ttft in rows:
            value = ttft if stream and ttft is not None else latency
            if value is not None:
                by_alias.setdefault(alias or "(none)", []).append(float(value))
        stats: list[dict[str, Any]] = []
        for alias, values in sorted(by_alias.items()):
            values.sort()
            stats.append(
                {
                    "alias": alias,
                    "requests": len(values),
                    "p50_ms": nearest_rank(values, 0.5),
                    "p99_ms": nearest_rank(values, 0.99),
                    "enough_requests": len(values) >= cfg.latency_min_requests,
                }
            )
        judged = [s for s in stats if s["enough_requests"]]
        evidence: dict[str, Any] = dict(
            window_days=cfg.latency_window_days,
            slo_p99_ms=slo,
            aliases=stats,
            min_requests=cfg.latency_min_requests,
        )
        if not judged:
            return self.no_data(
                f"fewer than {cfg.latency_min_requests} real chat requests per alias in "
                f"{cfg.latency_window_days} days",
                "send real traffic through the gateway",
                **evidence,
            )
        slow = [s for s in judged if s["p99_ms"] > slo]
        if not slow:
            worst = max(judged, key=lambda s: s["p99_ms"])
            return self.result(
                "ok",
                False,
                f"chat p99 within {slo:g} ms (worst: {worst['alias']} {worst['p99_ms']:.0f} ms)",
                "nothing to do",
                0.0,
                **evidence,
            )
        avoided, priced = 0.0, False
        for s in slow:
            alias_cfg = ctx.settings.models.get(s["alias"])
            for b in alias_cfg.backends if alias_cfg else []:
                if b.gpu is not None:
                    avoided += b.gpu.count * b.gpu.usd_per_hour * cfg.hours_per_month
                    priced = True
        evidence["quantized_benchmarks"] = self._quant_evidence(ctx)
        evidence["hardware_avoided_usd_per_month"] = round(avoided, 2) if priced else None
        names = ", ".join(f"{s['alias']} p99 {s['p99_ms']:.0f} ms" for s in slow)
        bench = evidence["quantized_benchmarks"]
        rec = "quantize (AWQ/GPTQ 4-bit) or enable speculative decoding before adding GPUs; " + (
            "compare the quantized runs in quantized_benchmarks"
            if bench
            else "benchmark a 4-bit build first with `seedstack bench run`"
        )
        return self.result(
            "optimize",
            True,
            f"chat p99 above {slo:g} ms: {names}",
            rec,
            avoided if priced else None,
            **evidence,
        )

    @staticmethod
    def _quant_evidence(ctx: RuleContext) -> list[dict[str, Any]]:
        """Bench results of quantized builds, when the bench table exists in this store."""
        try:
            rows = ctx.store.query(
                "SELECT label, model, e2e_p99_ms, ttft_p50_ms, ts FROM bench_runs ORDER BY ts DESC LIMIT 200"
            )
        except StoreError:
            return []
        out = []
        for label, model, p99, ttft, ts in rows:
            text = f"{label} {model}".lower()
            if any(w in text for w in _QUANT_WORDS):
                out.append({"label": label, "model": model, "e2e_p99_ms": p99, "ttft_p50_ms": ttft, "ts": ts})
        return out[:10]
