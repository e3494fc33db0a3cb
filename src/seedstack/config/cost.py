"""Config models for the compute and cost advisor: price overrides, rule thresholds, planner
assumptions. Every threshold defaults to the guide's figure so an empty config gives its rules."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CostConfig", "GpuPriceOverride", "Pricing"]

Pricing = Literal["on-demand", "reserved", "spot", "serverless"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GpuPriceOverride(_Strict):
    """A negotiated or newer price: it replaces the shipped row with the same gpu/provider/pricing."""

    gpu: str = Field(..., description="catalog GPU key: H100, H200, B200, A100-80GB, L4, A10G")
    provider: str = Field(..., description="aws, gcp, azure, lambda, coreweave, runpod, modal, together, …")
    pricing: Pricing
    usd_per_gpu_hour: float = Field(..., gt=0)
    source: str = Field("seedstack.yaml", description="where the figure comes from (a quote, a contract)")
    as_of: dt.date | None = Field(None, description="when the figure was true; default: today")


class CostConfig(_Strict):
    provider: str | None = Field(
        None, description="provider whose prices the rules use; default: the median across the catalog"
    )
    prices: list[GpuPriceOverride] = Field(default_factory=list, description="user price overrides")
    stale_after_days: int = Field(90, ge=1, description="warn when a catalog row is older than this")
    window_days: int = Field(28, ge=1, le=366, description="the rolling window of the utilization rules")
    reserve_utilization: float = Field(0.60, gt=0, le=1, description="reserve only above this utilization")
    idle_engine_active: float = Field(0.05, gt=0, le=1, description="a paid minute below this is idle")
    assumed_pricing: Pricing = Field(
        "on-demand", description="how GPUs that report telemetry but have no ledger job are billed"
    )
    egress_share: float = Field(0.15, gt=0, le=1, description="co-locate above this share of the bill")
    latency_window_days: int = Field(7, ge=1, description="window of gateway records for the p99 rule")
    latency_min_requests: int = Field(20, ge=1, description="fewer real chat requests than this: no verdict")
    payload_share_min: float = Field(0.05, ge=0, le=1, description="keep at least this share of payloads")
    payload_share_max: float = Field(0.10, ge=0, le=1, description="keep at most this share (no audit)")
    payload_window_days: int = Field(7, ge=1, description="window of payload volume for the logging rule")
    storage_usd_per_gb_month: float = Field(
        0.115, ge=0, description="what a GB of stored payloads costs (default: managed PostgreSQL gp3)"
    )
    payload_retention_months: float = Field(3.0, gt=0, description="how long payloads are kept")
    hours_per_month: float = Field(730.0, gt=0, description="8760 h / 12: what a monthly commitment bills")
    spot_interruption_overhead: float = Field(
        0.15, ge=0, le=5, description="extra GPU-hours re-run after spot interruptions (0.15 = 15%)"
    )
