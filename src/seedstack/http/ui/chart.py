"""A server-rendered SVG line chart: latency over time with the SLO line, no JavaScript needed."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["latency_chart"]


def latency_chart(series: list[dict[str, Any]], slo_ms: float, width: int = 900, height: int = 220) -> str:
    points = [p for p in series if p["count"]]
    if not points:
        return '<p class="muted" id="chart">no chat traffic in this window</p>'
    top = max(max(p["p99_ms"] for p in points), slo_ms) * 1.1
    pad_l, pad_b = 56, 22
    w, h = width - pad_l - 8, height - pad_b - 8
    n = max(len(series) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{pad_l + w * i / n:.1f},{8 + h - h * v / top:.1f}"

    def line(key: str) -> str:
        return " ".join(xy(i, p[key]) for i, p in enumerate(series) if p["count"])

    y_slo = 8 + h - h * slo_ms / top
    ticks = "".join(
        f'<text x="{pad_l - 6}" y="{8 + h - h * f:.1f}" text-anchor="end" font-size="10" fill="#667085">'
        f"{top * f:,.0f}</text>"
        for f in (0, 0.5, 1)
    )
    return (
        f'<svg id="chart" width="{width}" height="{height}" role="img" aria-label="chat latency p50 and p99" '
        'style="background:#fff;border:1px solid #e4e7ec;border-radius:8px">'
        f"{ticks}"
        f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{y_slo:.1f}" y2="{y_slo:.1f}" '
        'stroke="#c0362c" stroke-dasharray="6 4"/>'
        f'<text x="{pad_l + w - 4}" y="{y_slo - 4:.1f}" text-anchor="end" font-size="11" fill="#c0362c">'
        f"SLO p99 {escape(f'{slo_ms:g}')} ms</text>"
        f'<polyline fill="none" stroke="#3454d1" stroke-width="2" points="{line("p99_ms")}"/>'
        f'<polyline fill="none" stroke="#12805c" stroke-width="2" points="{line("p50_ms")}"/>'
        f'<text x="{pad_l + 4}" y="{height - 6}" font-size="11" fill="#3454d1">p99</text>'
        f'<text x="{pad_l + 34}" y="{height - 6}" font-size="11" fill="#12805c">p50</text>'
        "</svg>"
    )
