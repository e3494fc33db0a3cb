"""What the gateway needs from observability, in one place: its recorder sinks and its /metrics collector.

``create_app`` calls these so that turning on OTLP export or search indexing is configuration, not code.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..store import Store
from .embed import make_embedder
from .index import PayloadIndexSink
from .slo import SLOCollector

__all__ = ["observability_sinks", "register_slo_metrics"]


def observability_sinks(settings: Settings, store: Store) -> list[Any]:
    """Search indexing always; OTLP export when ``observability.otlp.enabled`` (needs the [otel] extra)."""
    search = settings.observability.search
    sinks: list[Any] = [PayloadIndexSink(store, embedder=make_embedder(search.embedder, search.sentence_model))]
    if settings.observability.otlp.enabled:
        from ..telemetry.otel import OTLPSink

        sinks.append(OTLPSink(settings.observability.otlp))
    return sinks


def register_slo_metrics(registry: Any, settings: Settings, store: Store) -> SLOCollector:
    """Expose SLO status, error budget, burn rate and alerts on a prometheus_client registry."""
    collector = SLOCollector(store, settings)
    registry.register(collector)
    return collector
