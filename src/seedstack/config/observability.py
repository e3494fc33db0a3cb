"""Config for observability: retention, search, SLO objectives, prompt drift and OTLP export.

The chat p99 bar itself stays in ``slo.chat_p99_ms`` (config/telemetry.py); the objectives here
default to it, so a user who only sets that one number still gets the guide's rule.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .secrets import EnvSecret

__all__ = [
    "DriftConfig",
    "OTLPConfig",
    "ObservabilityConfig",
    "RetentionConfig",
    "SLOObjective",
    "SearchConfig",
]


class RetentionConfig(BaseModel):
    """Metadata is cheap and answers most questions; payloads are large and sensitive: separate clocks."""

    model_config = ConfigDict(extra="forbid")

    metadata_days: float = Field(90.0, gt=0, description="request records older than this are deleted by gc")
    payload_days: float = Field(30.0, gt=0, description="sampled payloads older than this are deleted by gc")


class SearchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    embedder: Literal["hashed", "sentence"] = Field(
        "hashed",
        description="hashed n-grams (default, no download) or a model2vec model from the [embeddings] extra",
    )
    sentence_model: str | None = Field(
        None,
        description="local path of a model2vec model for embedder=sentence (never downloaded at run time)",
    )
    max_scan: int = Field(100_000, ge=1000, description="most recent indexed payloads scanned per semantic query")


class SLOObjective(BaseModel):
    """One objective: the share of good events in ``window_hours`` must stay at or above ``target``.

    ``kind=latency``: a request is good when its latency is at most ``threshold_ms`` (p99 ≤ 300 ms is
    ``threshold_ms=300, target=0.99``). ``kind=error_rate``: a request is good when it did not fail.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["latency", "error_rate"]
    endpoint: str | None = Field("chat", description="only requests to this endpoint count (None: all)")
    threshold_ms: float | None = Field(None, gt=0, description="latency bar; defaults to slo.chat_p99_ms")
    target: float = Field(0.99, gt=0, lt=1)
    window_hours: float = Field(24.0 * 7, gt=0)
    max_tokens_out: int | None = Field(
        512, description="a 'standard' chat request generates at most this many tokens (latency objectives)"
    )


def _default_objectives() -> list[SLOObjective]:
    return [
        SLOObjective(name="chat-p99-latency", kind="latency", target=0.99),
        SLOObjective(name="chat-error-rate", kind="error_rate", target=0.99),
    ]


class DriftConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recent_hours: float = Field(24.0, gt=0)
    baseline_days: float = Field(7.0, gt=0, description="the window before the recent one")
    threshold: float = Field(0.25, gt=0, le=1, description="drift score above which a template is flagged")
    min_samples: int = Field(20, ge=2, description="templates with fewer inputs in a window are not judged")


class OTLPConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    endpoint: str = Field("http://127.0.0.1:4318/v1/traces", description="OTLP/HTTP traces endpoint")
    headers: dict[str, EnvSecret] = Field(
        default_factory=dict, description="e.g. an auth header for a hosted collector"
    )
    service_name: str = "seedstack-gateway"
    timeout_s: float = Field(5.0, gt=0, le=60, description="per export call; a dead collector costs at most this")
    include_payloads: bool = Field(True, description="attach prompt/completion text to spans of sampled requests")


class ObservabilityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    objectives: list[SLOObjective] = Field(default_factory=_default_objectives)
    burn_rate_alert: float = Field(
        14.4, gt=0, description="alert when the last hour burns the error budget this many times too fast"
    )
    drift: DriftConfig = Field(default_factory=DriftConfig)
    otlp: OTLPConfig = Field(default_factory=OTLPConfig)
