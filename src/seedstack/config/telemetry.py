"""Config models for request recording, payload sampling and SLOs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SLOConfig", "TelemetryConfig"]

KeepReason = Literal["error", "slow", "flagged"]
_KEEP: tuple[KeepReason, ...] = ("error", "slow", "flagged")


class TelemetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload_sample_rate: float = Field(0.1, ge=0, le=1, description="share of full payloads kept")
    keep_always: list[KeepReason] = Field(
        default_factory=lambda: list(_KEEP)
    )
    audit: bool = Field(False, description="keep 100% of payloads (regulated industries)")
    flush_interval_ms: int = Field(50, ge=10, le=60_000, description="recorder batch interval")
    batch_size: int = Field(5000, ge=1)
    backlog_high_water: int = Field(
        10_000,
        ge=100,
        description="records waiting for the writer beyond which each request yields the CPU to it briefly",
    )
    spool_dir: Path | None = Field(None, description="defaults to <home>/spool")
    writer: Literal["process", "thread"] = Field(
        "process",
        description="where records are written from: a child process (the serving process keeps one Python "
        "thread, so writes never stall a request) or a thread in the serving process (embedded use, tests)",
    )


class SLOConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chat_p99_ms: float = Field(300.0, gt=0, description="the guide's p99 bar for a standard chat request")
