"""The scenario planner, pinned to the guide's 8xH100 example and its arithmetic."""

from __future__ import annotations

import pytest

from seedstack.cost.planner import PlanRequest, break_even_utilization, plan
from seedstack.errors import InvalidRequestError

# The assumptions that reproduce the guide (docs/cost.md): a month is 730 h (8760/12); reserved
# H100 at $1.50/GPU-h (the bottom of the guide's $1.50-2.80 range); on-demand at $4/GPU-h ("$4+");
# serverless at $2.50; a "night" of fine-tuning is 14 h (18:00-08:00).
GUIDE = {"reserved": 1.50, "on-demand": 4.00, "serverless": 2.50, "spot": 2.00}


def _by_option(req: PlanRequest) -> dict[str, float]:
    return {line.option: line.usd_per_month for line in plan(req)}  # type: ignore[misc]


def test_guide_example_reserved_vs_on_demand_vs_serverless() -> None:
    lines = _by_option(PlanRequest("H100", 8, hours_per_run=14, runs_per_week=3, prices=GUIDE))
    assert lines["reserved"] == pytest.approx(8 * 730 * 1.50)  # $8,760: "roughly $8,400"
    assert lines["reserved"] == pytest.approx(8400, rel=0.05)
    assert lines["on-demand, kept up"] == pytest.approx(8 * 730 * 4.00)  # $23,360
    assert lines["on-demand, kept up"] > 20_000  # "$20,000+ on-demand"
    assert lines["serverless"] == pytest.approx(3650.0)  # 8 x 182.5 h x $2.50: "about $3,600"
    assert lines["serverless"] == pytest.approx(3600, rel=0.02)


def test_issue_example_shows_its_arithmetic() -> None:
    lines = plan(PlanRequest("H100", 8, hours_per_run=8, runs_per_week=3, prices=GUIDE, spot_overhead=0.15))
    serverless = next(line for line in lines if line.option == "serverless")
    run_hours = 8 * 3 * 730 / 168
    assert serverless.gpu_hours == pytest.approx(8 * run_hours)
    assert serverless.usd_per_month == pytest.approx(8 * run_hours * 2.50)
    assert "8 GPUs x (8 h x 3 runs/week x 4.345 weeks)" in serverless.arithmetic
    spot = next(line for line in lines if line.option == "spot")
    assert spot.usd_per_month == pytest.approx(8 * run_hours * 1.15 * 2.00)
    assert "interruption overhead" in spot.arithmetic


def test_nightly_every_night_makes_serverless_cost_as_much_as_reserving() -> None:
    lines = _by_option(PlanRequest("H100", 8, hours_per_run=14, runs_per_week=7, prices=GUIDE))
    assert lines["serverless"] == pytest.approx(8 * 14 * 7 * 730 / 168 * 2.5)
    assert lines["serverless"] > lines["reserved"] * 0.95


def test_missing_price_gives_a_line_without_total() -> None:
    lines = plan(PlanRequest("L4", 1, 2, 2, prices={"serverless": 0.8}))
    reserved = next(line for line in lines if line.pricing == "reserved")
    assert reserved.usd_per_month is None and "no reserved price" in reserved.arithmetic


def test_break_even_matches_the_guides_60_percent() -> None:
    assert break_even_utilization(1.50, 2.50) == pytest.approx(0.60)


@pytest.mark.parametrize(("hours", "runs", "count"), [(25, 7, 1), (1, 1, 0), (0, 3, 1)])
def test_impossible_schedules_are_refused(hours: float, runs: float, count: int) -> None:
    with pytest.raises(InvalidRequestError):
        plan(PlanRequest("H100", count, hours, runs, prices=GUIDE))
