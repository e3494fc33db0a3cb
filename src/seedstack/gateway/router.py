"""Routing: an alias is an ordered list of backends (the first chosen by weight when weights are
given); a failed attempt is retried with full-jitter backoff, then the next backend is tried.

Falls back on what ``fallback_on`` names (default: connect errors, timeouts, 5xx) and never on a
4xx, which is the caller's mistake and is returned as is. A backend at ``max_in_flight`` or with an
open circuit is skipped; when every backend is full the request queues for a slot, up to
``routing.queue_timeout_s``. Every attempt is written to the record's route, with why it was left.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..config import AliasConfig, BackendConfig, RoutingConfig
from ..cost.allocation import GpuTimeShare
from ..cost.model_prices import TokenPrice, price_for_backend
from ..errors import NoBackendAvailableError, UpstreamError, UpstreamTimeoutError
from ..providers import Provider, ProviderError, ProviderHTTPError, build_provider
from ..telemetry.metrics import GatewayMetrics
from ..telemetry.record import RouteAttempt
from .breaker import CircuitBreaker

__all__ = ["AliasRoute", "Backend", "RouteResult", "Router"]

T = TypeVar("T")


@dataclass
class Backend:
    name: str
    config: BackendConfig
    provider: Provider
    breaker: CircuitBreaker
    price: TokenPrice | None
    gpu: GpuTimeShare | None
    in_flight: int = 0
    model_version: str | None = None  # from config, else from the model registry (refreshed)

    @property
    def simulated(self) -> bool:
        return self.provider.simulated

    def cost(self, tokens_in: int, tokens_out: int, tokens_cached: int, gpu_usd: float) -> float | None:
        if self.price is not None:
            return self.price.cost(tokens_in, tokens_out, tokens_cached)
        if self.gpu is not None:
            return gpu_usd
        return 0.0 if self.simulated else None

    def worst_case_usd(self, tokens_in: int, tokens_out: int, seconds: float) -> float:
        if self.price is not None:
            return self.price.cost(tokens_in, tokens_out)
        if self.gpu is not None:
            return self.gpu.rate * seconds
        return 0.0


@dataclass
class AliasRoute:
    alias: str
    config: AliasConfig
    backends: list[Backend]
    weighted: bool
    waiters: int = 0
    freed: asyncio.Event = field(default_factory=asyncio.Event)

    def order(self) -> list[Backend]:
        if not self.weighted or len(self.backends) == 1:
            return self.backends
        weights = [b.config.weight for b in self.backends]
        first = random.choices(range(len(self.backends)), weights=weights)[0]
        return [self.backends[first], *self.backends[:first], *self.backends[first + 1 :]]


@dataclass(slots=True)
class RouteResult:
    backend: Backend
    value: Any
    queue_ms: float
    upstream_ms: float
    gpu_token: float | None


class Router:
    def __init__(self, models: dict[str, AliasConfig], routing: RoutingConfig, metrics: GatewayMetrics) -> None:
        self.routing = routing
        self.metrics = metrics
        self.aliases: dict[str, AliasRoute] = {}
        for alias, cfg in models.items():
            backends = []
            for i, bc in enumerate(cfg.backends):
                name = bc.name or f"{alias}/{bc.provider}-{i}"
                provider = build_provider(bc, name=name, alias=alias)
                gpu = GpuTimeShare(bc.gpu.usd_per_hour * bc.gpu.count) if bc.gpu else None
                backends.append(
                    Backend(
                        name,
                        bc,
                        provider,
                        CircuitBreaker(routing.breaker_failures, routing.breaker_cooldown_s),
                        price_for_backend(bc, provider.upstream_model),
                        gpu,
                        model_version=bc.model_version,
                    )
                )
            weighted = any(b.config.weight != 1.0 for b in backends)
            self.aliases[alias] = AliasRoute(alias, cfg, backends, weighted)

    async def start(self) -> None:
        for route in self.aliases.values():
            for b in route.backends:
                await b.provider.start()

    def backends(self) -> list[Backend]:
        return [b for route in self.aliases.values() for b in route.backends]

    def refresh_model_versions(self, lookup: Callable[[str], str | None]) -> None:
        """Label backends without a configured ``model_version`` with the registry's version."""
        for b in self.backends():
            if b.config.model_version is None:
                b.model_version = lookup(b.name)

    async def close(self) -> None:
        for route in self.aliases.values():
            for b in route.backends:
                await b.provider.close()

    def release(self, route: AliasRoute, backend: Backend, gpu_token: float | None) -> float:
        """Free the backend slot taken by ``call``; return the GPU time-share cost of the request."""
        backend.in_flight -= 1
        if route.waiters:
            route.freed.set()
        return backend.gpu.stop(gpu_token) if backend.gpu is not None and gpu_token is not None else 0.0

    async def call(
        self,
        route: AliasRoute,
        attempt: Callable[[Backend], Awaitable[T]],
        attempts: list[RouteAttempt],
    ) -> RouteResult:
        """Run ``attempt`` on backends in route order until one succeeds.

        On success the backend slot stays taken: the caller must ``release`` it when the response is
        fully delivered (streams keep it for their whole life).
        """
        start = time.perf_counter()
        queue_s = 0.0
        upstream_s = 0.0
        fallback_on = set(route.config.fallback_on)
        deadline = start + self.routing.queue_timeout_s
        last_error: ProviderError | None = None
        while True:
            saturated = 0
            for backend in route.order():
                if not backend.breaker.allow():
                    attempts.append(RouteAttempt(backend.name, "circuit_open"))
                    continue
                if backend.in_flight >= backend.config.max_in_flight:
                    saturated += 1
                    continue
                for try_no in range(backend.config.retries + 1):
                    backend.in_flight += 1
                    gpu_token = backend.gpu.start() if backend.gpu is not None else None
                    t0 = time.perf_counter()
                    try:
                        value = await attempt(backend)
                    except ProviderError as exc:
                        took = time.perf_counter() - t0
                        upstream_s += took
                        self.release(route, backend, gpu_token)
                        outcome = exc.outcome
                        status = exc.status if isinstance(exc, ProviderHTTPError) else None
                        attempts.append(RouteAttempt(backend.name, outcome, status, took * 1000, str(exc)))
                        self.metrics.upstream_errors_by(backend.name, outcome).inc()
                        if outcome == "4xx" or (outcome not in fallback_on and outcome != "error"):
                            if outcome != "4xx":
                                backend.breaker.failure()
                            raise
                        backend.breaker.failure()
                        last_error = exc
                        if try_no < backend.config.retries and backend.breaker.allow():
                            cap = self.routing.retry_backoff_ms / 1000 * (2**try_no)
                            await asyncio.sleep(random.uniform(0, cap))
                            continue
                        break
                    except BaseException:
                        upstream_s += time.perf_counter() - t0
                        self.release(route, backend, gpu_token)
                        raise
                    took = time.perf_counter() - t0
                    upstream_s += took
                    backend.breaker.success()
                    attempts.append(RouteAttempt(backend.name, "ok", 200, took * 1000))
                    return RouteResult(backend, value, queue_s * 1000, upstream_s * 1000, gpu_token)
            if saturated == 0 or time.perf_counter() >= deadline:
                break
            # Every open backend is full: wait for a slot, then try the route again.
            q0 = time.perf_counter()
            route.waiters += 1
            route.freed.clear()
            try:
                await asyncio.wait_for(route.freed.wait(), max(0.0, deadline - q0))
            except TimeoutError:
                pass
            finally:
                route.waiters -= 1
                queue_s += time.perf_counter() - q0
        raise _final_error(route.alias, last_error, attempts)


def _final_error(alias: str, last: ProviderError | None, attempts: list[RouteAttempt]) -> UpstreamError:
    tried = ", ".join(f"{a.backend} ({a.outcome})" for a in attempts) or "none available"
    if last is None:
        return NoBackendAvailableError(
            f"no backend of '{alias}' could take the request: {tried}. Retry shortly; if it persists, raise "
            "max_in_flight or add backends"
        )
    if last.outcome == "timeout":
        return UpstreamTimeoutError(
            f"every backend of '{alias}' timed out: {tried}. Retry, or raise the backend timeouts in seedstack.yaml"
        )
    return UpstreamError(f"every backend of '{alias}' failed: {tried}. Check the backends' health and logs")
