"""The scenario planner: what one recurring GPU workload costs a month under each way of buying.

It prints its arithmetic because the point is to let a founder check it. The assumptions that
reproduce the guide's figures are in docs/cost.md (and pinned by tests/cost/test_planner.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InvalidRequestError

__all__ = ["PlanLine", "PlanRequest", "break_even_utilization", "plan"]

HOURS_PER_WEEK = 168.0


@dataclass(frozen=True, slots=True)
class PlanRequest:
    gpu: str
    count: int
    hours_per_run: float
    runs_per_week: float
    prices: dict[str, float] = field(default_factory=dict)  # pricing -> USD per GPU-hour
    hours_per_month: float = 730.0
    spot_overhead: float = 0.15

    def validate(self) -> None:
        if self.count < 1:
            raise InvalidRequestError("--count must be at least 1 GPU")
        if self.hours_per_run <= 0 or self.runs_per_week <= 0:
            raise InvalidRequestError("--hours-per-run and --runs-per-week must be positive")
        if self.hours_per_run * self.runs_per_week > HOURS_PER_WEEK:
            raise InvalidRequestError(
                f"{self.hours_per_run} h x {self.runs_per_week} runs is more than the 168 hours in a week"
            )

    @property
    def weeks_per_month(self) -> float:
        return self.hours_per_month / HOURS_PER_WEEK

    @property
    def run_hours_per_month(self) -> float:
        """Wall-clock hours the workload actually runs each month."""
        return self.hours_per_run * self.runs_per_week * self.weeks_per_month


@dataclass(frozen=True, slots=True)
class PlanLine:
    option: str
    pricing: str
    usd_per_gpu_hour: float | None
    gpu_hours: float
    usd_per_month: float | None
    arithmetic: str
    note: str


def plan(req: PlanRequest) -> list[PlanLine]:
    """One line per way of buying; a pricing with no price gives a line without a total."""
    req.validate()
    n, run_h, month_h = req.count, req.run_hours_per_month, req.hours_per_month
    spot_h = run_h * (1 + req.spot_overhead)
    used = f"{req.hours_per_run:g} h x {req.runs_per_week:g} runs/week x {req.weeks_per_month:.4g} weeks"
    specs = [
        (
            "on-demand, per run",
            "on-demand",
            n * run_h,
            f"{n} GPUs x ({used}) = {n * run_h:,.1f} GPU-h",
            "launched for each run and stopped after it",
        ),
        (
            "on-demand, kept up",
            "on-demand",
            n * month_h,
            f"{n} GPUs x {month_h:g} h = {n * month_h:,.0f} GPU-h",
            "a node left running between runs: the always-on habit",
        ),
        (
            "reserved",
            "reserved",
            n * month_h,
            f"{n} GPUs x {month_h:g} h = {n * month_h:,.0f} GPU-h",
            f"monthly commitment, billed whether used or not; busy {run_h / month_h:.0%} of the time",
        ),
        (
            "spot",
            "spot",
            n * spot_h,
            f"{n} GPUs x ({used}) x (1 + {req.spot_overhead:g} interruption overhead) = "
            f"{n * spot_h:,.1f} GPU-h",
            "interruptions re-run work since the last checkpoint",
        ),
        (
            "serverless",
            "serverless",
            n * run_h,
            f"{n} GPUs x ({used}) = {n * run_h:,.1f} GPU-h",
            "billed per second, zero idle",
        ),
    ]
    lines = []
    for option, pricing, gpu_hours, how, note in specs:
        price = req.prices.get(pricing)
        if price is None:
            lines.append(PlanLine(option, pricing, None, gpu_hours, None, f"{how}; no {pricing} price", note))
            continue
        total = gpu_hours * price
        lines.append(
            PlanLine(
                option, pricing, price, gpu_hours, total, f"{how} x ${price:g}/GPU-h = ${total:,.0f}", note
            )
        )
    return lines


def break_even_utilization(reserved: float, flexible: float) -> float:
    """Busy share of the month above which a reservation is cheaper than paying per use."""
    return reserved / flexible
