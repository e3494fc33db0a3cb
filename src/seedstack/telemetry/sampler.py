"""Which full payloads to keep: the guide's 100% of metadata, 5–10% of payloads.

Always kept (when configured): errors, requests slower than the SLO, and requests a guard flagged.
Otherwise a deterministic share chosen by request id, so every replica makes the same choice and a
re-run of the same id never flips.
"""

from __future__ import annotations

import hashlib

from ..config import SLOConfig, TelemetryConfig
from .record import RequestRecord

__all__ = ["PayloadSampler"]


class PayloadSampler:
    def __init__(self, telemetry: TelemetryConfig, slo: SLOConfig) -> None:
        self.rate = telemetry.payload_sample_rate
        self.audit = telemetry.audit
        self.keep_errors = "error" in telemetry.keep_always
        self.keep_slow = "slow" in telemetry.keep_always
        self.keep_flagged = "flagged" in telemetry.keep_always
        self.slow_ms = slo.chat_p99_ms
        self._threshold = int(self.rate * 0xFFFFFFFF)

    def should_keep(self, record: RequestRecord) -> str | None:
        """Return why the payload is kept ('audit', 'error', 'slow', 'flagged', 'sampled') or None."""
        if self.audit:
            return "audit"
        if self.keep_errors and record.status_code >= 400:
            return "error"
        if self.keep_flagged and any(v.get("action") in ("flag", "redact", "block") for v in record.guard):
            return "flagged"
        if (
            self.keep_slow
            and record.endpoint == "chat"
            and record.latency_ms is not None
            and record.latency_ms > self.slow_ms
        ):
            return "slow"
        if self.in_sample(record.id):
            return "sampled"
        return None

    def in_sample(self, request_id: str) -> bool:
        try:
            bucket = int(request_id[-8:], 16)
        except ValueError:
            bucket = int.from_bytes(hashlib.blake2b(request_id.encode(), digest_size=4).digest(), "big")
        return bucket < self._threshold
