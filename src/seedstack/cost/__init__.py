"""Compute and cost advisor: GPU telemetry, the job ledger, the price catalog, bill import, the
scenario planner and the guide's five rules.

Names are loaded lazily so that importing a light sibling module (the gateway's token price table
lives in this package too) does not pull in numpy and pyarrow.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
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

_WHERE = {
    "GpuPrice": "catalog",
    "PriceCatalog": "catalog",
    "PlanRequest": "planner",
    "plan": "planner",
    "Rule": "rules",
    "RuleResult": "rules",
    "default_rules": "rules",
    "run_rules": "rules",
    "import_bill": "billing",
    "ingest": "gpu_store",
    "load_window": "gpu_store",
    "parse_file": "gpu_parsers",
    "record_job": "ledger",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'seedstack.cost' has no attribute '{name}'")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
