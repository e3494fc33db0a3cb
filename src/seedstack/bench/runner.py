"""A benchmark run as a document: shape + summary + client health, and the ``--sweep`` search.

The document (``seedstack.bench/1``) is what ``bench run`` writes as JSON, what the store keeps,
and what ``bench compare`` reads back, so one shape serves the CLI, ``advise`` and the dashboard.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from .loadgen import Endpoint, LoadShape, Progress, run_load_sync
from .metrics import SLO, summarize
from .prompts import BenchPrompt

__all__ = ["SCHEMA", "bench_document", "run_benchmark", "step_verdict", "sweep", "with_rate"]

SCHEMA = "seedstack.bench/1"


def bench_document(
    endpoint: Endpoint,
    shape: LoadShape,
    summary: dict[str, Any],
    rows: list[dict[str, Any]],
    *,
    label: str | None,
    max_client_lag_ms: float,
    gpu_usd_per_hour: float | None = None,
) -> dict[str, Any]:
    lag_p99 = summary["client_lag_ms"]["p99"] or 0.0
    behind = lag_p99 > max_client_lag_ms
    return {
        "schema": SCHEMA,
        "id": uuid.uuid4().hex,
        "ts": time.time(),
        "label": label or endpoint.model,
        "url": endpoint.request_url,
        "model": endpoint.model,
        "stream": endpoint.stream,
        "shape": shape.describe(),
        "summary": summary,
        "client": {
            "lag_p99_ms": lag_p99,
            "max_lag_ms": max_client_lag_ms,
            "behind": behind,
            "warning": (
                f"the load generator fell behind its schedule (p99 lag {lag_p99:.1f} ms > "
                f"{max_client_lag_ms:g} ms): latencies are understated; lower --rate or use more clients"
                if behind
                else None
            ),
        },
        "gpu_usd_per_hour": gpu_usd_per_hour,
        "requests": rows,
    }


def run_benchmark(
    endpoint: Endpoint,
    prompts: Sequence[BenchPrompt],
    shape: LoadShape,
    slo: SLO,
    *,
    label: str | None = None,
    max_client_lag_ms: float = 10.0,
    gpu_usd_per_hour: float | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run one load shape and return its document."""
    load = run_load_sync(endpoint, prompts, shape, progress)
    summary = summarize(load.results, load.duration_s, slo)
    rows = [r.row() for r in load.results]
    return bench_document(
        endpoint,
        shape,
        summary,
        rows,
        label=label,
        max_client_lag_ms=max_client_lag_ms,
        gpu_usd_per_hour=gpu_usd_per_hour,
    )


def step_verdict(doc: dict[str, Any], min_good: float) -> str:
    """'ok', or why a sweep step does not count as sustainable."""
    s = doc["summary"]
    if s["failed"]:
        return f"{s['failed']} request(s) failed"
    if s["good_fraction"] < min_good:
        return f"only {s['good_fraction'] * 100:.1f}% within SLO"
    if doc["client"]["behind"]:
        return "client fell behind (result not trusted)"
    return "ok"


def sweep(
    run_at: Callable[[float], dict[str, Any]],
    start_rate: float,
    *,
    max_rate: float = 10_000.0,
    min_good: float = 0.95,
    refine_steps: int = 4,
    on_step: Callable[[float, dict[str, Any], str], None] | None = None,
) -> dict[str, Any]:
    """Find the highest request rate at which ``min_good`` of requests meet every SLO.

    Doubles the rate until a step fails, then bisects between the last good and the first bad rate.
    A step where the client itself lagged counts as failed: its numbers cannot be trusted.
    """
    steps: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    good_rate, bad_rate = 0.0, None
    rate = start_rate

    def step(r: float) -> bool:
        doc = run_at(r)
        verdict = step_verdict(doc, min_good)
        ok = verdict == "ok"
        steps.append(
            {
                "rate": r,
                "ok": ok,
                "good_fraction": doc["summary"]["good_fraction"],
                "e2e_p99_ms": doc["summary"]["e2e_ms"]["p99"],
                "id": doc["id"],
                "verdict": verdict,
            }
        )
        if on_step is not None:
            on_step(r, doc, verdict)
        nonlocal best
        if ok and (best is None or r > best["shape"]["rate"]):
            best = doc
        return ok

    while rate <= max_rate:
        if step(rate):
            good_rate = rate
            rate *= 2
        else:
            bad_rate = rate
            break
    if bad_rate is not None:
        for _ in range(refine_steps):
            mid = (good_rate + bad_rate) / 2 if good_rate else bad_rate / 2
            if step(mid):
                good_rate = mid
            else:
                bad_rate = mid
    return {
        "max_sustainable_rate": good_rate or None,
        "min_good_fraction": min_good,
        "steps": steps,
        "best": best,
    }


def with_rate(shape: LoadShape, rate: float) -> LoadShape:
    return replace(shape, rate=rate)
