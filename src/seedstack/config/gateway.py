"""Config models for the gateway: server, model aliases and their backends, routing, limits."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .secrets import EnvSecret

__all__ = [
    "AliasConfig",
    "BackendConfig",
    "GpuConfig",
    "LimitsConfig",
    "PriceConfig",
    "RoutingConfig",
    "ServerConfig",
    "SimulatorConfig",
    "TimeoutConfig",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="bigger request bodies get a 413")
    tls_cert: Path | None = None
    tls_key: Path | None = None
    drain_timeout_s: float = Field(30.0, ge=0, description="SIGTERM waits this long for in-flight requests")
    workers: int = Field(1, ge=1, le=64, description="gateway processes sharing the port (one per core)")

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("set both server.tls_cert and server.tls_key, or neither")
        return self


class TimeoutConfig(_Strict):
    connect: float = Field(5.0, gt=0, description="seconds to open a TCP/TLS connection")
    first_token: float = Field(60.0, gt=0, description="seconds until response headers / first chunk")
    total: float = Field(600.0, gt=0, description="seconds for the whole upstream call")


class PriceConfig(_Strict):
    """USD per 1M tokens. Overrides the shipped price table for this backend."""

    input_per_1m: float = Field(0.0, ge=0)
    output_per_1m: float = Field(0.0, ge=0)
    cached_input_per_1m: float | None = Field(None, ge=0)


class GpuConfig(_Strict):
    """A self-hosted backend's GPUs: their hourly price is shared among the requests it serves."""

    type: str = "H100"
    count: int = Field(1, ge=1)
    usd_per_hour: float = Field(..., ge=0, description="per GPU")


class SimulatorConfig(_Strict):
    """Latency model of the simulator backend (vLLM-like)."""

    ttft_ms: float = Field(20.0, ge=0, description="base time to first token")
    ttft_per_prompt_token_ms: float = Field(0.02, ge=0, description="prefill cost per prompt token")
    ttft_per_running_request_ms: float = Field(0.5, ge=0, description="queueing cost per running request")
    itl_ms: float = Field(5.0, ge=0, description="fixed inter-token time")
    max_concurrency: int = Field(64, ge=1, description="requests beyond this wait for a slot")
    default_max_tokens: int = Field(32, ge=1, description="output length when the request sets none")
    embedding_dim: int = Field(64, ge=2)
    replies: dict[str, str] = Field(
        default_factory=dict, description="scripted replies: exact last user message -> reply text"
    )


class BackendConfig(_Strict):
    provider: str = Field("openai", description="'openai' (any OpenAI-compatible server) or 'simulator'")
    name: str | None = Field(None, description="defaults to '<alias>/<provider>-<index>'")
    base_url: str | None = None
    api_key: EnvSecret | None = None
    model: str | None = Field(None, description="the upstream model name; defaults to the alias")
    weight: float = Field(1.0, ge=0)
    max_in_flight: int = Field(256, ge=1)
    retries: int = Field(1, ge=0, le=5, description="extra tries on this backend before falling back")
    timeouts: TimeoutConfig = Field(default_factory=TimeoutConfig)
    price: PriceConfig | None = None
    gpu: GpuConfig | None = None
    simulator: SimulatorConfig | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    model_version: str | None = Field(None, description="registry model version served here (name@version)")

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://, e.g. http://vllm:8000/v1")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _needs(self) -> BackendConfig:
        if self.provider == "openai" and not self.base_url:
            raise ValueError("an 'openai' backend needs base_url, e.g. http://127.0.0.1:8000/v1")
        return self


FallbackReason = Literal["5xx", "timeout", "connect", "429"]
_DEFAULT_FALLBACK: tuple[FallbackReason, ...] = ("5xx", "timeout", "connect")


class AliasConfig(_Strict):
    backends: list[BackendConfig] = Field(..., min_length=1)
    fallback_on: list[FallbackReason] = Field(default_factory=lambda: list(_DEFAULT_FALLBACK))
    description: str | None = None


class RoutingConfig(_Strict):
    breaker_failures: int = Field(5, ge=1, description="consecutive failures that open the circuit")
    breaker_cooldown_s: float = Field(30.0, ge=0, description="how long an open circuit stays open")
    retry_backoff_ms: float = Field(50.0, ge=0, description="base of the full-jitter exponential backoff")
    queue_timeout_s: float = Field(10.0, ge=0, description="wait for a free slot when all backends are full")


class LimitsConfig(_Strict):
    backend: Literal["memory", "redis", "store"] = Field(
        "memory", description="where rate limits and budgets live; 'redis' or 'store' for several replicas"
    )
    redis_url: str = "redis://127.0.0.1:6379/0"
    budget_max_tokens: int = Field(
        4096, ge=1, description="max_tokens imposed on budgeted keys whose requests set none"
    )
