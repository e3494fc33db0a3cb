"""The reserve and idle rules on four weeks of per-minute data for 16 GPUs, on both stores:
one case on each side of every threshold and the boundary exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from seedstack.config import load_settings
from seedstack.cost.gpu_batch import GPU_UTIL
from seedstack.cost.ledger import record_job
from seedstack.cost.rules import IdleGpuRule, ReserveRule, run_rules

# break-even of these two prices is exactly the guide's 60%
PRICES = [
    {"gpu": "H100", "provider": "acme", "pricing": "reserved", "usd_per_gpu_hour": 1.50},
    {"gpu": "H100", "provider": "acme", "pricing": "serverless", "usd_per_gpu_hour": 2.50},
    {"gpu": "H100", "provider": "acme", "pricing": "on-demand", "usd_per_gpu_hour": 4.00},
]
NOW = 1_795_000_020.0  # the fleet fixture's clock (conftest.py)
WEEKS4 = 28 * 86400
START = int(NOW) // 60 * 60 - WEEKS4


def _settings(**cost: Any) -> Any:
    return load_settings(cost={"provider": "acme", "prices": PRICES, **cost})


@pytest.mark.parametrize(("target_bp", "verdict"), [(5999, "stay"), (6000, "stay"), (6001, "reserve")])
def test_reserve_threshold(store, fleet, target_bp: int, verdict: str) -> None:  # type: ignore[no-untyped-def]
    fleet(store, target_bp)
    [r] = run_rules(store, _settings(), now=NOW, rules=[ReserveRule()])
    assert r.verdict == verdict and r.act is (verdict == "reserve")
    [g] = r.evidence["by_gpu"]
    assert g["gpu"] == "H100" and g["gpus_peak"] == 16
    assert g["utilization"] == target_bp / 10000
    assert len(g["weekly_utilization"]) == 4 and g["break_even_utilization"] == pytest.approx(0.6)
    reserve_usd = 16 * 730 * 1.50
    flex_usd = target_bp / 10000 * 16 * 730 * 2.50
    assert g["reserved_usd_per_month"] == pytest.approx(reserve_usd)
    expected = flex_usd - reserve_usd if verdict == "reserve" else reserve_usd - flex_usd
    assert r.usd_per_month == pytest.approx(expected, abs=0.01)
    assert (
        r.evidence["metrics"] == {"DCGM_FI_PROF_GR_ENGINE_ACTIVE": 16} and r.evidence["metric_note"] is None
    )


def test_busy_fleet_with_under_four_weeks_of_history_stays(store, fleet) -> None:  # type: ignore[no-untyped-def]
    bp = np.full((16, WEEKS4 // 60), 9000, dtype=np.int64)
    bp[:, : 3 * 1440] = -1  # the first three days never reported
    fleet(store, matrix=bp)
    [r] = run_rules(store, _settings(), now=NOW, rules=[ReserveRule()])
    assert r.verdict == "stay" and "days of telemetry" in r.recommendation


def test_a_kernel_ran_metric_is_named_as_the_weaker_one(store, fleet) -> None:  # type: ignore[no-untyped-def]
    fleet(store, 7000, metric=GPU_UTIL)
    [r] = run_rules(store, _settings(), now=NOW, rules=[ReserveRule()])
    assert r.verdict == "reserve" and r.evidence["metrics"] == {GPU_UTIL: 16}
    assert "DCGM_FI_PROF_GR_ENGINE_ACTIVE" in r.evidence["metric_note"]


def _quiet_fleet(quiet_bp: int) -> np.ndarray:
    """Busy at 80% except two quiet hours a day (02:00-04:00 of the window's days) at ``quiet_bp``."""
    n_min = WEEKS4 // 60
    bp = np.full((16, n_min), 8000, dtype=np.int64)
    minute_of_day = np.arange(n_min) % 1440
    bp[:, (minute_of_day >= 120) & (minute_of_day < 240)] = quiet_bp
    return bp


@pytest.mark.parametrize(("quiet_bp", "verdict"), [(499, "waste"), (500, "ok"), (501, "ok")])
def test_idle_threshold_with_ledger_join(store, fleet, quiet_bp: int, verdict: str) -> None:  # type: ignore[no-untyped-def]
    fleet(store, matrix=_quiet_fleet(quiet_bp))
    # node-0 is a ledger job at $4/GPU-h; node-1 has no job: billed at the catalog on-demand price ($4)
    record_job(
        store,
        name="finetune",
        kind="fine-tuning",
        start_ts=START - 3600,
        end_ts=NOW + 3600,
        gpu_type="H100",
        gpu_count=8,
        provider="aws",
        pricing="on-demand",
        usd_per_gpu_hour=4.0,
        nodes=["node-0"],
    )
    [r] = run_rules(store, _settings(), now=NOW, rules=[IdleGpuRule()])
    assert r.verdict == verdict
    if verdict == "ok":
        assert r.usd_per_month == 0 and r.evidence["idle_gpu_hours"] == 0
        return
    idle_hours = 16 * 2 * 28
    assert r.evidence["idle_gpu_hours"] == idle_hours
    assert r.evidence["idle_usd_in_window"] == pytest.approx(idle_hours * 4.0)
    assert r.usd_per_month == pytest.approx(idle_hours * 4.0 * 730 / (28 * 24), abs=0.01)
    [job] = r.evidence["jobs"]
    assert job["idle_gpu_hours"] == 8 * 2 * 28 and job["idle_usd"] == pytest.approx(8 * 2 * 28 * 4.0)
    assert r.evidence["paid_gpu_hours"] == 16 * 28 * 24


def test_a_silent_reserved_gpu_is_idle_and_paid(store, fleet) -> None:  # type: ignore[no-untyped-def]
    bp = np.full((16, WEEKS4 // 60), 9000, dtype=np.int64)
    bp[0, -1440:] = -1  # GPU 0 of node-0 stopped reporting for the last day
    fleet(store, matrix=bp)
    record_job(
        store,
        name="reservation",
        kind="reservation",
        start_ts=START,
        gpu_type="H100",
        gpu_count=8,
        provider="lambda",
        pricing="reserved",
        usd_per_gpu_hour=1.85,
        nodes=["node-0"],
    )
    [r] = run_rules(store, _settings(), now=NOW, rules=[IdleGpuRule()])
    assert r.verdict == "waste" and r.evidence["idle_gpu_hours"] == 24
    assert r.evidence["idle_usd_in_window"] == pytest.approx(24 * 1.85)
    assert r.evidence["top_idle_gpus"][0]["node"] == "node-0"
