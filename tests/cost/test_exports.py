"""The public API of the cost advisor is pinned: the dashboard and plugins import these names."""

from __future__ import annotations

import importlib

import pytest

import seedstack.cost as cost

MODULES = [
    "billing",
    "catalog",
    "egress",
    "gpu_agent",
    "gpu_batch",
    "gpu_parsers",
    "gpu_store",
    "ledger",
    "planner",
    "rules",
    "rules.base",
]


def test_package_names_resolve_lazily() -> None:
    assert sorted(cost.__all__) == sorted(
        [
            "GpuPrice",
            "PlanRequest",
            "PriceCatalog",
            "Rule",
            "RuleResult",
            "default_rules",
            "import_bill",
            "ingest",
            "load_window",
            "parse_file",
            "plan",
            "record_job",
            "run_rules",
        ]
    )
    for name in cost.__all__:
        assert getattr(cost, name) is not None
    with pytest.raises(AttributeError):
        _ = cost.not_a_name  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", MODULES)
def test_every_module_pins_what_it_exports(module: str) -> None:
    mod = importlib.import_module(f"seedstack.cost.{module}")
    assert mod.__all__ and all(hasattr(mod, n) for n in mod.__all__)


def test_rule_result_shape_the_dashboard_reads() -> None:
    from seedstack.cost.rules import RuleResult

    r = RuleResult("x", "X", "ok", False, "s", "r", 1.0, {"a": 1})
    assert r.to_dict() == {
        "rule": "x",
        "title": "X",
        "verdict": "ok",
        "act": False,
        "summary": "s",
        "recommendation": "r",
        "usd_per_month": 1.0,
        "evidence": {"a": 1},
    }
