"""Cost of a request on a self-hosted GPU backend: its share of the backend's busy time.

A backend with ``gpu: {count: N, usd_per_hour: P}`` costs R = N × P / 3600 USD per second while it
serves at least one request. Each request is charged

    cost = ∫ R / n(t) dt   over the request's lifetime, where n(t) is the number of requests in flight.

Under continuous batching (vLLM, TGI) every running sequence advances one token per decode step, so
1/n(t) is also the request's share of the backend's token throughput at time t: concurrent requests
split the hour instead of each being charged all of it, and the charges of all requests add up to
R × busy time. Idle time is not charged to requests; ``seedstack advise`` reports it as idle cost.
The integral is kept as a running "cost per share" clock, so start and stop are O(1).

Limits: each gateway replica sees only its own requests; with several replicas in front of one
backend, give each replica its share of the GPU price, and prefill-heavy requests are charged like
decode-heavy ones for the same wall time.
"""

from __future__ import annotations

import time

__all__ = ["GpuTimeShare"]


class GpuTimeShare:
    def __init__(self, usd_per_hour_total: float) -> None:
        self.rate = usd_per_hour_total / 3600.0
        self.in_flight = 0
        self._clock = 0.0  # USD accrued per unit of share since start
        self._last = time.perf_counter()

    def _advance(self, now: float) -> None:
        if self.in_flight:
            self._clock += self.rate * (now - self._last) / self.in_flight
        self._last = now

    def start(self) -> float:
        self._advance(time.perf_counter())
        self.in_flight += 1
        return self._clock

    def stop(self, token: float) -> float:
        """End a request started with ``token = start()``; return its cost in USD."""
        self._advance(time.perf_counter())
        self.in_flight -= 1
        return self._clock - token
