"""The advisor's rule contract: a short ABC, a result type and ``run_rules``.

Each rule is computed from the user's own data (telemetry, ledger, bills, gateway records) and
returns a verdict, the evidence behind it and its $ impact per month, so the CLI and the dashboard
can render every rule the same way. A third-party rule subclasses ``Rule`` and is passed in
``rules=[*default_rules(), MyRule()]``.
"""

from __future__ import annotations

import datetime as dt
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ...config.cost import CostConfig
from ...store import Store
from ..catalog import PriceCatalog
from ..gpu_store import GpuWindow, load_window
from ..ledger import Job, list_jobs

if TYPE_CHECKING:
    from ...config import Settings

__all__ = ["NO_DATA", "Rule", "RuleContext", "RuleResult"]

NO_DATA = "no-data"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """``usd_per_month`` is the monthly effect of following ``recommendation``: positive saves
    money, negative costs more (e.g. raising a too-low payload sample rate), None when unknown."""

    rule: str
    title: str
    verdict: str
    act: bool
    summary: str
    recommendation: str
    usd_per_month: float | None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RuleContext:
    """What every rule may read; expensive inputs are loaded once and shared between rules."""

    store: Store
    settings: Settings
    now: float
    catalog: PriceCatalog
    _cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, store: Store, settings: Settings, now: float | None = None) -> RuleContext:
        now = time.time() if now is None else now
        today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        return cls(store, settings, now, PriceCatalog.from_config(cost_config(settings), today=today))

    @property
    def cost(self) -> CostConfig:
        return cost_config(self.settings)

    @property
    def window_start(self) -> int:
        return int(self.now) // 60 * 60 - self.cost.window_days * 86400

    @property
    def window_end(self) -> int:
        return int(self.now) // 60 * 60

    def gpu_window(self) -> GpuWindow:
        if "gpu" not in self._cache:
            self._cache["gpu"] = load_window(self.store, self.window_start, self.window_end)
        window: GpuWindow = self._cache["gpu"]
        return window

    def jobs(self) -> list[Job]:
        if "jobs" not in self._cache:
            self._cache["jobs"] = list_jobs(self.store, self.window_start, self.window_end)
        jobs: list[Job] = self._cache["jobs"]
        return jobs

    def months(self, seconds: float) -> float:
        """How many months ``seconds`` is, with a month of ``hours_per_month`` hours."""
        return seconds / 3600.0 / self.cost.hours_per_month


def cost_config(settings: Any) -> CostConfig:
    """``settings.cost`` once the lead mounts it; the defaults (the guide's numbers) until then."""
    cfg = getattr(settings, "cost", None)
    return cfg if isinstance(cfg, CostConfig) else CostConfig.model_validate({})


class Rule(ABC):
    id: ClassVar[str]
    title: ClassVar[str]

    @abstractmethod
    def evaluate(self, ctx: RuleContext) -> RuleResult: ...

    def result(
        self,
        verdict: str,
        act: bool,
        summary: str,
        recommendation: str,
        usd_per_month: float | None,
        **evidence: Any,
    ) -> RuleResult:
        usd = None if usd_per_month is None else round(usd_per_month, 2)
        return RuleResult(self.id, self.title, verdict, act, summary, recommendation, usd, evidence)

    def no_data(self, summary: str, recommendation: str, **evidence: Any) -> RuleResult:
        return self.result(NO_DATA, False, summary, recommendation, None, **evidence)
