"""Payload sampling: deterministic by id, always keeping errors, slow and flagged requests."""

from __future__ import annotations

import secrets

from seedstack.config import SLOConfig, TelemetryConfig
from seedstack.telemetry.record import RequestRecord
from seedstack.telemetry.sampler import PayloadSampler


def _rec(**kw: object) -> RequestRecord:
    base: dict[str, object] = {
        "id": "req_" + secrets.token_hex(12),
        "ts": 0.0,
        "endpoint": "chat",
        "status_code": 200,
        "latency_ms": 10.0,
    }
    base.update(kw)
    return RequestRecord(**base)  # type: ignore[arg-type]


def test_rate_is_respected_and_deterministic() -> None:
    s = PayloadSampler(TelemetryConfig(payload_sample_rate=0.1), SLOConfig())
    recs = [_rec() for _ in range(20000)]
    kept = [r for r in recs if s.should_keep(r)]
    assert 0.085 < len(kept) / len(recs) < 0.115
    again = PayloadSampler(TelemetryConfig(payload_sample_rate=0.1), SLOConfig())
    assert all(again.should_keep(r) == "sampled" for r in kept)


def test_errors_slow_and_flagged_are_always_kept() -> None:
    s = PayloadSampler(TelemetryConfig(payload_sample_rate=0.0), SLOConfig(chat_p99_ms=300))
    assert s.should_keep(_rec(status_code=502)) == "error"
    assert s.should_keep(_rec(latency_ms=450.0)) == "slow"
    assert s.should_keep(_rec(guard=[{"detector": "pii", "action": "redact"}])) == "flagged"
    assert s.should_keep(_rec()) is None


def test_audit_keeps_everything_and_keep_always_can_be_narrowed() -> None:
    assert (
        PayloadSampler(TelemetryConfig(payload_sample_rate=0, audit=True), SLOConfig()).should_keep(_rec()) == "audit"
    )
    s = PayloadSampler(TelemetryConfig(payload_sample_rate=0, keep_always=["error"]), SLOConfig())
    assert s.should_keep(_rec(latency_ms=10_000.0)) is None
