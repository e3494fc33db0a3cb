"""Prometheus metrics for the gateway, on a registry owned by the app (no module globals).

Label values are bounded (aliases, backends, endpoints, status classes, detectors) so memory stays
flat however many requests, keys or customers pass through.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["GatewayMetrics", "Labelled"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 120)
_OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1)


class Labelled:
    """A metric's children by label values, cached: ``labels()`` costs ~5 µs a call, a dict hit 50 ns."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.metric.labels(*values)
        return child


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("seedstack_requests", "Requests answered", ["alias", "endpoint", "status"], registry=r)
        self.latency = Histogram(
            "seedstack_request_latency_seconds",
            "End-to-end latency",
            ["alias", "endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "seedstack_time_to_first_token_seconds",
            "Time to first token (streams)",
            ["alias"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "seedstack_gateway_overhead_seconds",
            "Latency added by the gateway (total minus upstream)",
            buckets=_OVERHEAD_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("seedstack_tokens", "Tokens", ["alias", "direction"], registry=r)
        self.cost = Counter("seedstack_cost_usd", "Cost in USD", ["alias"], registry=r)
        self.upstream_errors = Counter(
            "seedstack_upstream_errors", "Failed upstream attempts", ["backend", "outcome"], registry=r
        )
        self.guard_verdicts = Counter(
            "seedstack_guard_verdicts", "Guard verdicts", ["detector", "direction", "action"], registry=r
        )
        self.in_flight = Gauge("seedstack_backend_in_flight", "Requests in flight", ["backend"], registry=r)
        self.circuit_open = Gauge(
            "seedstack_backend_circuit_open", "1 when the circuit is open", ["backend"], registry=r
        )
        self.recorder_pending = Gauge("seedstack_recorder_pending", "Records waiting to be written", registry=r)
        self.recorder_spooled = Gauge("seedstack_recorder_spooled", "Records spooled to disk", registry=r)

        self.requests_by = Labelled(self.requests)
        self.latency_by = Labelled(self.latency)
        self.ttft_by = Labelled(self.ttft)
        self.tokens_by = Labelled(self.tokens)
        self.cost_by = Labelled(self.cost)
        self.guard_by = Labelled(self.guard_verdicts)
        self.upstream_errors_by = Labelled(self.upstream_errors)

    def render(self) -> bytes:
        return generate_latest(self.registry)
