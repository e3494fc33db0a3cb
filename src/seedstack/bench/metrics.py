"""Per-request timings and the summary metrics, defined exactly as ``vllm bench serve`` defines them.

Why these definitions: users compare our numbers with vLLM's, so a "TPOT" that silently included the
first token (or an ITL averaged per request) would make every comparison wrong.

- **TTFT**: request sent -> first chunk that carries generated text.
- **TPOT**: ``(e2e - ttft) / (output_tokens - 1)`` per request; requests with one token are skipped.
- **ITL**: every gap between consecutive text-carrying chunks, pooled over all requests.
- **E2E**: request sent -> last byte of the response.
- **Throughput**: completed requests / wall time of the run; output tokens / wall time.
- **Goodput**: completed requests that meet *every* configured SLO (TTFT, TPOT, E2E) / wall time.
- Percentiles use linear interpolation (numpy's default), as vLLM does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = ["PERCENTILES", "SLO", "RequestResult", "distribution", "is_good", "summarize"]

PERCENTILES = (50, 90, 95, 99)


@dataclass(slots=True)
class RequestResult:
    """What one request left behind; times are seconds on the client's monotonic clock."""

    index: int
    scheduled_s: float
    sent_s: float = 0.0
    ok: bool = False
    error: str | None = None
    ttft_s: float = 0.0
    latency_s: float = 0.0
    itl_s: list[float] = field(default_factory=list)
    prompt_tokens: int = 0
    output_tokens: int = 0

    @property
    def lag_s(self) -> float:
        """How late the client started the request compared with its schedule."""
        return max(0.0, self.sent_s - self.scheduled_s)

    @property
    def tpot_s(self) -> float | None:
        if self.output_tokens <= 1:
            return None
        return (self.latency_s - self.ttft_s) / (self.output_tokens - 1)

    def row(self) -> dict[str, Any]:
        """A flat record for CSV/JSON output (milliseconds)."""
        tpot = self.tpot_s
        return {
            "index": self.index,
            "ok": self.ok,
            "error": self.error or "",
            "scheduled_ms": round(self.scheduled_s * 1000, 3),
            "lag_ms": round(self.lag_s * 1000, 3),
            "ttft_ms": round(self.ttft_s * 1000, 3),
            "tpot_ms": None if tpot is None else round(tpot * 1000, 3),
            "e2e_ms": round(self.latency_s * 1000, 3),
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
        }


@dataclass(frozen=True, slots=True)
class SLO:
    """Goodput thresholds in milliseconds; ``None`` means "not part of the SLO"."""

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2e_ms: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


def is_good(r: RequestResult, slo: SLO) -> bool:
    """A request counts toward goodput when it succeeded and meets every SLO that is set."""
    if not r.ok:
        return False
    if slo.ttft_ms is not None and r.ttft_s * 1000 > slo.ttft_ms:
        return False
    tpot = r.tpot_s
    if slo.tpot_ms is not None and tpot is not None and tpot * 1000 > slo.tpot_ms:
        return False
    return not (slo.e2e_ms is not None and r.latency_s * 1000 > slo.e2e_ms)


def distribution(values_s: Sequence[float]) -> dict[str, float | None]:
    """mean/std/p50/p90/p95/p99 in milliseconds; ``None`` everywhere when there is no sample."""
    keys = ["mean", "std", *(f"p{p}" for p in PERCENTILES)]
    if not values_s:
        return dict.fromkeys(keys)
    arr = np.asarray(values_s, dtype=np.float64) * 1000.0
    out: dict[str, float | None] = {"mean": float(arr.mean()), "std": float(arr.std())}
    for p, v in zip(PERCENTILES, np.percentile(arr, PERCENTILES), strict=True):
        out[f"p{p}"] = float(v)
    return out


def summarize(results: Sequence[RequestResult], duration_s: float, slo: SLO) -> dict[str, Any]:
    """The run's summary: the metrics above plus the client's own lag, all JSON-serialisable."""
    done = [r for r in results if r.ok]
    duration_s = max(duration_s, 1e-9)
    tpots = [t for r in done if (t := r.tpot_s) is not None]
    itls = [gap for r in done for gap in r.itl_s]
    good = sum(1 for r in done if is_good(r, slo))
    out_tokens = sum(r.output_tokens for r in done)
    in_tokens = sum(r.prompt_tokens for r in done)
    errors: dict[str, int] = {}
    for r in results:
        if not r.ok:
            key = (r.error or "error").split(":", 1)[0]
            errors[key] = errors.get(key, 0) + 1
    return {
        "completed": len(done),
        "failed": len(results) - len(done),
        "errors": errors,
        "duration_s": duration_s,
        "total_input_tokens": in_tokens,
        "total_output_tokens": out_tokens,
        "request_throughput": len(done) / duration_s,
        "output_throughput": out_tokens / duration_s,
        "total_token_throughput": (in_tokens + out_tokens) / duration_s,
        "goodput": good / duration_s,
        "good_fraction": good / len(results) if results else 0.0,
        "slo": slo.as_dict(),
        "ttft_ms": distribution([r.ttft_s for r in done]),
        "tpot_ms": distribution(tpots),
        "itl_ms": distribution(itls),
        "e2e_ms": distribution([r.latency_s for r in done]),
        "client_lag_ms": distribution([r.lag_s for r in results if r.sent_s]),
    }
