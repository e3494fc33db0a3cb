"""What the gateway needs from observability, in one place: its recorder sinks and its /metrics collector.

``create_app`` calls these so that turning on OTLP export or search indexing is configuration, not code.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..crypto import DataKeyring
from ..store import Store
from .blind import ensure_blind_index
from .embed import make_embedder
from .index import PayloadIndexSink
from .slo import SLOCollector

__all__ = ["observability_sinks", "register_slo_metrics"]


def observability_sinks(settings: Settings, store: Store) -> list[Any]:
    """Search indexing always; OTLP export when ``observability.otlp.enabled`` (needs the [otel] extra).

    The gateway seals every payload with the data keyring, so the index it feeds is blind: keyed-hash
    tokens, no plaintext (``blind.py``).
    """
    search = settings.observability.search
    blind = ensure_blind_index(store, DataKeyring.from_settings(settings))
    sinks: list[Any] = [
        PayloadIndexSink(store, embedder=make_embedder(search.embedder, search.sentence_model), blind=blind)
    ]
    if settings.observability.otlp.enabled:
        from ..telemetry.otel import OTLPSink

        sinks.append(OTLPSink(settings.observability.otlp))
    return sinks


def register_slo_metrics(registry: Any, settings: Settings, store: Store) -> SLOCollector:
    """Expose SLO status, error budget, burn rate and alerts on a prometheus_client registry."""
    collector = SLOCollector(store, settings)
    registry.register(collector)
    return collector
