"""A simple circuit breaker per backend: closed → open after N consecutive failures → half-open
after a cooldown (one probe request) → closed on success, open again on failure."""

from __future__ import annotations

import time

__all__ = ["CircuitBreaker"]


class CircuitBreaker:
    def __init__(self, failures: int, cooldown_s: float) -> None:
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.consecutive = 0
        self.open_until = 0.0
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self.consecutive >= self.threshold

    def allow(self) -> bool:
        if self.consecutive < self.threshold:
            return True
        if time.monotonic() < self.open_until or self._probing:
            return False
        self._probing = True  # half-open: let exactly one request through
        return True

    def success(self) -> None:
        self.consecutive = 0
        self._probing = False

    def failure(self) -> None:
        self.consecutive += 1
        self._probing = False
        if self.consecutive >= self.threshold:
            self.open_until = time.monotonic() + self.cooldown_s
