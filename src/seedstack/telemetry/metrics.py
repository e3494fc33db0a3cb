"""Prometheus metrics for the gateway, on a registry owned by the app (no module globals).

Label values are bounded (aliases, backends, endpoints, status classes, detectors) so memory stays
flat however many requests, keys or customers pass through.

The series every request touches (about a dozen updates per request) are ``RequestCounter`` and
``RequestHistogram``: a child is a plain object whose ``inc``/``observe`` is one attribute update
(~0.15 µs, where prometheus_client's lock, observability check and bucket loop cost ~0.7–1 µs), and
the family renders on scrape exactly as prometheus_client's ``Counter``/``Histogram`` would. Children
are written from one thread (the event loop); a scrape in another thread only reads them, and values
only grow, so nothing a request adds is ever lost.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

import prometheus_client.metrics
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

__all__ = ["GatewayMetrics", "RequestCounter", "RequestHistogram"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 120)
_OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1)


def _created_series() -> bool:
    """prometheus_client's own switch (``PROMETHEUS_DISABLE_CREATED_SERIES``, ``disable_created_metrics``)."""
    return bool(getattr(prometheus_client.metrics, "_use_created", True))


class _CounterChild:
    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount


class _HistogramChild:
    __slots__ = ("bounds", "counts", "created", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # per bucket, not cumulative; the last is +Inf
        self.sum = 0.0
        self.created = time.time()

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1  # the first bound >= value: ``le`` semantics
        self.sum += value


_Child = TypeVar("_Child", "_CounterChild", "_HistogramChild")


class _Family(Collector, Generic[_Child]):
    def __init__(self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._children: dict[tuple[str, ...], _Child] = {}
        if not self.labelnames:
            self._children[()] = self._new_child()
        registry.register(self)

    def _new_child(self) -> _Child:
        raise NotImplementedError

    def labels(self, *values: str) -> _Child:
        child = self._children.get(values)
        if child is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"{self.name} takes labels {self.labelnames}, got {values}")
            child = self._children[values] = self._new_child()
        return child

    def _snapshot(self) -> list[tuple[tuple[str, ...], _Child]]:
        return list(self._children.items())  # one C-level copy: safe while the loop adds children


class RequestCounter(_Family[_CounterChild]):
    """A counter family rendered like ``prometheus_client.Counter`` (``_total`` and ``_created``)."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry) -> None:
        super().__init__(name.removesuffix("_total"), documentation, labelnames, registry)

    def _new_child(self) -> _CounterChild:
        return _CounterChild()

    def inc(self, amount: float = 1.0) -> None:
        self.labels().inc(amount)

    def describe(self) -> list[Metric]:
        return [CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)]

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        created = _created_series()
        for values, child in self._snapshot():
            family.add_metric(values, child.value, created=child.created if created else None)
        yield family


class RequestHistogram(_Family[_HistogramChild]):
    """A histogram family rendered like ``prometheus_client.Histogram`` (buckets, count, sum, created)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        registry: CollectorRegistry,
        *,
        buckets: Sequence[float],
    ) -> None:
        self.bounds = tuple(float(b) for b in buckets)
        self._le = [floatToGoString(b) for b in self.bounds] + ["+Inf"]
        super().__init__(name, documentation, labelnames, registry)

    def _new_child(self) -> _HistogramChild:
        return _HistogramChild(self.bounds)

    def observe(self, value: float) -> None:
        self.labels().observe(value)

    def describe(self) -> list[Metric]:
        return [HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)]

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        created = _created_series()
        for values, child in self._snapshot():
            counts = list(child.counts)
            buckets = []
            total = 0
            for le, n in zip(self._le, counts, strict=True):
                total += n
                buckets.append((le, float(total)))
            family.add_metric(values, buckets, child.sum)
            if created:
                labels = dict(zip(self.labelnames, values, strict=True))
                family.add_sample(self.name + "_created", labels, child.created)
        yield family


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = RequestCounter("seedstack_requests", "Requests answered", ["alias", "endpoint", "status"], r)
        self.latency = RequestHistogram(
            "seedstack_request_latency_seconds",
            "End-to-end latency",
            ["alias", "endpoint"],
            r,
            buckets=_LATENCY_BUCKETS,
        )
        self.ttft = RequestHistogram(
            "seedstack_time_to_first_token_seconds",
            "Time to first token (streams)",
            ["alias"],
            r,
            buckets=_LATENCY_BUCKETS,
        )
        self.overhead = RequestHistogram(
            "seedstack_gateway_overhead_seconds",
            "Latency added by the gateway (total minus upstream)",
            [],
            r,
            buckets=_OVERHEAD_BUCKETS,
        )
        self.tokens = RequestCounter("seedstack_tokens", "Tokens", ["alias", "direction"], r)
        self.cost = RequestCounter("seedstack_cost_usd", "Cost in USD", ["alias"], r)
        self.upstream_errors = RequestCounter(
            "seedstack_upstream_errors", "Failed upstream attempts", ["backend", "outcome"], r
        )
        self.guard_verdicts = RequestCounter(
            "seedstack_guard_verdicts", "Guard verdicts", ["detector", "direction", "action"], r
        )
        self.in_flight = Gauge("seedstack_backend_in_flight", "Requests in flight", ["backend"], registry=r)
        self.circuit_open = Gauge(
            "seedstack_backend_circuit_open", "1 when the circuit is open", ["backend"], registry=r
        )
        self.recorder_pending = Gauge("seedstack_recorder_pending", "Records waiting to be written", registry=r)
        self.recorder_spooled = Gauge("seedstack_recorder_spooled", "Records spooled to disk", registry=r)

        self.requests_by = self.requests.labels
        self.latency_by = self.latency.labels
        self.ttft_by = self.ttft.labels
        self.tokens_by = self.tokens.labels
        self.cost_by = self.cost.labels
        self.guard_by = self.guard_verdicts.labels
        self.upstream_errors_by = self.upstream_errors.labels

    def render(self) -> bytes:
        return generate_latest(self.registry)
