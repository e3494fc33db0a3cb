"""Config models for serving benchmarks (``bench:``) and the eval gate (``evals:``).

Both sections are optional: every field has a default that works against the embedded simulator,
so ``seedstack bench run`` and ``seedstack eval run`` need no config to try them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .secrets import EnvSecret

__all__ = ["BenchConfig", "BenchSLOConfig", "EvalsConfig", "JudgeConfig", "OnlineEvalConfig"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BenchSLOConfig(_Strict):
    """Per-request SLOs that define goodput: a request counts only if it meets every one that is set."""

    ttft_ms: float | None = Field(None, gt=0, description="time to first token, ms")
    tpot_ms: float | None = Field(None, gt=0, description="time per output token after the first, ms")
    e2e_ms: float | None = Field(300.0, gt=0, description="end-to-end latency, ms (the guide's 300 ms bar)")


class BenchConfig(_Strict):
    slo: BenchSLOConfig = Field(default_factory=BenchSLOConfig)
    max_client_lag_ms: float = Field(
        10.0, gt=0, description="warn when sends start this much later than scheduled (p99)"
    )
    gpu_usd_per_hour: dict[str, float] = Field(
        default_factory=dict,
        description="fallback GPU price per endpoint label or GPU type when the cost catalog has none",
    )


class JudgeConfig(_Strict):
    """The judge LLM is called through the gateway, so its calls are recorded and costed."""

    model: str = Field("demo", description="model alias the judge calls")
    base_url: str = Field("http://127.0.0.1:8080/v1", description="the gateway's OpenAI-compatible URL")
    api_key: EnvSecret | None = Field(None, description='gateway key, e.g. {"$env": "SEEDSTACK_JUDGE_KEY"}')
    timeout_s: float = Field(60.0, gt=0)
    max_tokens: int = Field(64, ge=1)


class OnlineEvalConfig(_Strict):
    """Judge a fraction of production requests in the background; scores land in ``eval_scores``."""

    enabled: bool = False
    sample_rate: float = Field(0.02, ge=0, le=1, description="fraction of requests judged")
    rubric: str = Field(
        "Is the answer helpful, correct and safe for the user's request?",
        description="the rubric the judge grades each sampled reply against",
    )
    max_pending: int = Field(100, ge=1, description="more pending judgements than this are dropped")
    concurrency: int = Field(4, ge=1)


class EvalsConfig(_Strict):
    base_url: str = Field("http://127.0.0.1:8080/v1", description="where `eval run` sends the suite's cases")
    api_key: EnvSecret | None = None
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    online: OnlineEvalConfig = Field(default_factory=OnlineEvalConfig)
    bootstrap_samples: int = Field(2000, ge=100)
    concurrency: int = Field(8, ge=1, description="cases in flight at once during `eval run`")
