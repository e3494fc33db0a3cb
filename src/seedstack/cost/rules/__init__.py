"""The advisor's rules. ``run_rules`` is the API the CLI (`seedstack advise`) and the dashboard call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...store import Store
from .base import NO_DATA, Rule, RuleContext, RuleResult
from .compute import IdleGpuRule, ReserveRule
from .egress import EgressRule
from .payloads import PayloadVolumeRule
from .serving import LatencyRule

if TYPE_CHECKING:
    from ...config import Settings

__all__ = [
    "NO_DATA",
    "EgressRule",
    "IdleGpuRule",
    "LatencyRule",
    "PayloadVolumeRule",
    "ReserveRule",
    "Rule",
    "RuleContext",
    "RuleResult",
    "default_rules",
    "run_rules",
]


def default_rules() -> list[Rule]:
    """The guide's five rules, in the order the CLI prints them (fresh instances each call)."""
    return [ReserveRule(), IdleGpuRule(), EgressRule(), LatencyRule(), PayloadVolumeRule()]


def run_rules(
    store: Store, settings: Settings, *, now: float | None = None, rules: list[Rule] | None = None
) -> list[RuleResult]:
    """Evaluate every rule against the store at ``now`` (unix seconds; default: the clock)."""
    ctx = RuleContext.build(store, settings, now)
    return [rule.evaluate(ctx) for rule in (default_rules() if rules is None else rules)]
