"""Files out of a benchmark (JSON, CSV), and ``bench compare``: the table, the chart and the verdict.

The verdict applies the guide's serving rules to the user's own numbers: a variant is acceptable
when its p99 end-to-end latency meets the chat SLO (300 ms by default); among those, the cheapest
per 1M output tokens wins unless its accuracy drops more than allowed against the first variant.
When nothing meets the bar, the advice is to optimise the model before buying hardware.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError
from .runner import SCHEMA

__all__ = [
    "Variant",
    "compare",
    "compare_csv",
    "cost_per_1m_tokens",
    "load_document",
    "render_html",
    "write_csv",
    "write_json",
]

_FOUR_BIT = re.compile(r"(int4|awq|gptq|4bit|4-bit|w4a16|nf4|q4)", re.IGNORECASE)


def write_json(doc: dict[str, Any], path: Path) -> None:
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))


def write_csv(doc: dict[str, Any], path: Path) -> None:
    """One row per request, so users can re-plot or re-aggregate in any tool."""
    rows = doc["requests"]
    fields = list(rows[0]) if rows else ["index"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def load_document(path: Path) -> dict[str, Any]:
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError:
        raise ConfigError(f"{path} is not JSON; pass files written by `seedstack bench run --out`") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ConfigError(f"{path} is not a seedstack bench result (schema {SCHEMA})")
    return doc


def cost_per_1m_tokens(usd_per_hour: float | None, output_tokens_per_s: float) -> float | None:
    """GPU hourly price spread over the output tokens the endpoint served at the measured load."""
    if usd_per_hour is None or output_tokens_per_s <= 0:
        return None
    return usd_per_hour / (output_tokens_per_s * 3600.0) * 1_000_000


@dataclass(frozen=True, slots=True)
class Variant:
    label: str
    p50_ms: float | None
    p99_ms: float | None
    ttft_p50_ms: float | None
    tpot_p50_ms: float | None
    output_tps: float
    goodput: float
    usd_per_hour: float | None
    cost_per_1m: float | None
    accuracy: float | None
    meets_p99: bool
    client_behind: bool

    @classmethod
    def from_doc(cls, doc: dict[str, Any], p99_bar_ms: float, accuracy: float | None) -> Variant:
        s = doc["summary"]
        p99 = s["e2e_ms"]["p99"]
        usd = doc.get("gpu_usd_per_hour")
        acc = accuracy if accuracy is not None else doc.get("accuracy")
        return cls(
            label=doc["label"],
            p50_ms=s["e2e_ms"]["p50"],
            p99_ms=p99,
            ttft_p50_ms=s["ttft_ms"]["p50"],
            tpot_p50_ms=s["tpot_ms"]["p50"],
            output_tps=s["output_throughput"],
            goodput=s["goodput"],
            usd_per_hour=usd,
            cost_per_1m=cost_per_1m_tokens(usd, s["output_throughput"]),
            accuracy=acc,
            meets_p99=p99 is not None and p99 <= p99_bar_ms and s["failed"] == 0,
            client_behind=bool(doc.get("client", {}).get("behind")),
        )


def compare(
    docs: Sequence[dict[str, Any]],
    *,
    p99_bar_ms: float = 300.0,
    accuracy: dict[str, float] | None = None,
    max_accuracy_drop: float = 0.02,
) -> dict[str, Any]:
    """Side-by-side variants and the verdict; the first document is the baseline for accuracy."""
    if not docs:
        raise ConfigError("bench compare needs at least one result file")
    accuracy = accuracy or {}
    variants = [Variant.from_doc(d, p99_bar_ms, accuracy.get(d["label"])) for d in docs]
    base_acc = variants[0].accuracy
    rows = []
    for v in variants:
        delta = None if v.accuracy is None or base_acc is None else v.accuracy - base_acc
        rows.append({**asdict(v), "accuracy_delta": delta})
    ok = [
        r for r in rows if r["meets_p99"] and (r["accuracy_delta"] is None or r["accuracy_delta"] >= -max_accuracy_drop)
    ]
    notes: list[str] = []
    if not any(_FOUR_BIT.search(v.label) for v in variants):
        notes.append("no 4-bit variant (AWQ/GPTQ/int4) was benchmarked: benchmark one before scaling hardware")
    if any(v.client_behind for v in variants):
        notes.append("the load generator fell behind in at least one run: its latencies are understated")
    if not ok:
        pick = None
        verdict = (
            f"no variant meets p99 <= {p99_bar_ms:g} ms with acceptable accuracy: optimise the model "
            "(quantize, speculative decoding) before adding hardware"
        )
    else:
        pick = min(ok, key=lambda r: (r["cost_per_1m"] is None, r["cost_per_1m"] or 0.0, r["p99_ms"]))
        cost = f"${pick['cost_per_1m']:.3f} per 1M output tokens" if pick["cost_per_1m"] is not None else "cost unknown"
        acc = (
            f", accuracy {pick['accuracy_delta'] * 100:+.1f} points vs {variants[0].label}"
            if pick["accuracy_delta"] is not None
            else ""
        )
        verdict = f"use {pick['label']}: p99 {pick['p99_ms']:.0f} ms <= {p99_bar_ms:g} ms, {cost}{acc}"
    return {
        "p99_bar_ms": p99_bar_ms,
        "max_accuracy_drop": max_accuracy_drop,
        "variants": rows,
        "recommended": pick["label"] if pick else None,
        "verdict": verdict,
        "notes": notes,
    }


def compare_csv(result: dict[str, Any]) -> str:
    buf = io.StringIO()
    rows = result["variants"]
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _bars(title: str, rows: list[dict[str, Any]], key: str, unit: str, bar: float | None = None) -> str:
    vals = [r[key] for r in rows]
    top = max([v for v in vals if v is not None] + [bar or 0.0, 1e-9])
    height = 28 * len(rows) + 30
    parts = [f'<h3>{html.escape(title)}</h3><svg width="640" height="{height}" role="img">']
    for i, (r, v) in enumerate(zip(rows, vals, strict=True)):
        y = 10 + 28 * i
        w = 0 if v is None else 440 * v / top
        color = "#2e7d32" if r.get("meets_p99") else "#c62828"
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{html.escape(r["label"])[:22]}</text>')
        parts.append(f'<rect x="150" y="{y}" width="{w:.1f}" height="20" fill="{color}"/>')
        label = "n/a" if v is None else f"{v:.2f} {unit}"
        parts.append(f'<text x="{155 + w:.1f}" y="{y + 15}" font-size="12">{label}</text>')
    if bar:
        x = 150 + 440 * bar / top
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="#000" stroke-dasharray="4"/>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(result: dict[str, Any]) -> str:
    """A self-contained page (inline SVG, no JavaScript, no CDN) that opens anywhere."""
    rows = result["variants"]
    head = "".join(
        f"<tr><td>{html.escape(r['label'])}</td><td>{_fmt(r['p50_ms'])}</td><td>{_fmt(r['p99_ms'])}</td>"
        f"<td>{_fmt(r['output_tps'])}</td><td>{_fmt(r['cost_per_1m'], 3)}</td>"
        f"<td>{_fmt(r['accuracy'], 3)}</td>"
        f"<td>{'yes' if r['meets_p99'] else 'no'}</td></tr>"
        for r in rows
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result["notes"])
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>seedstack bench compare</title></head>"
        "<body style='font-family:sans-serif'><h2>seedstack bench compare</h2>"
        f"<p><b>Verdict:</b> {html.escape(result['verdict'])}</p><ul>{notes}</ul>"
        "<table border='1' cellpadding='4'><tr><th>variant</th><th>E2E p50 ms</th><th>E2E p99 ms</th>"
        "<th>output tok/s</th><th>$ / 1M tok</th><th>accuracy</th><th>p99 ok</th></tr>"
        f"{head}</table>"
        + _bars("E2E p99 (ms); dashed line = SLO", rows, "p99_ms", "ms", result["p99_bar_ms"])
        + _bars("Output tokens / s", rows, "output_tps", "tok/s")
        + _bars("USD per 1M output tokens", rows, "cost_per_1m", "$")
        + "</body></html>"
    )


def _fmt(v: float | None, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"
