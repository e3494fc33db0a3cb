"""Observability services: why a request went the way it did, finding it from a complaint, agent
traces, SLOs, prompt drift and retention. Pure functions over the store, shared by the CLI, the
dashboard and the admin API.

Names are loaded on first use (PEP 562): ``seedstack why`` runs in a fresh process, and importing
one service must not pay for all the others (nor for numpy). No submodule is named like an exported
function, so an imported submodule never shadows one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

if TYPE_CHECKING:
    from .drift import TemplateDrift, detect_drift
    from .filters import SearchFilters, parse_since
    from .gc import GCResult, collect_garbage
    from .hybrid_search import SearchHit, search
    from .index import index_payloads, sync_index
    from .payload import load_payload, payload_texts
    from .slo import RECOMMENDATION, SLOCollector, SLOStatus, check_slos, evaluate_slos
    from .traces import TraceStep, load_trace
    from .why import explain_request

_HOME = {
    "RECOMMENDATION": "slo",
    "GCResult": "gc",
    "SLOCollector": "slo",
    "SLOStatus": "slo",
    "SearchFilters": "filters",
    "SearchHit": "hybrid_search",
    "TemplateDrift": "drift",
    "TraceStep": "traces",
    "check_slos": "slo",
    "collect_garbage": "gc",
    "detect_drift": "drift",
    "evaluate_slos": "slo",
    "explain_request": "why",
    "index_payloads": "index",
    "load_payload": "payload",
    "load_trace": "traces",
    "parse_since": "filters",
    "payload_texts": "payload",
    "search": "hybrid_search",
    "sync_index": "index",
}

__all__ = [
    "RECOMMENDATION",
    "GCResult",
    "SLOCollector",
    "SLOStatus",
    "SearchFilters",
    "SearchHit",
    "TemplateDrift",
    "TraceStep",
    "check_slos",
    "collect_garbage",
    "detect_drift",
    "evaluate_slos",
    "explain_request",
    "index_payloads",
    "load_payload",
    "load_trace",
    "parse_since",
    "payload_texts",
    "search",
    "sync_index",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
