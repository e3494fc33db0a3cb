"""Observability services: why a request went the way it did, finding it from a complaint, agent
traces, SLOs, prompt drift and retention. Pure functions over the store, shared by the CLI, the
dashboard and the admin API."""

from .drift import TemplateDrift, detect_drift
from .gc import GCResult, collect_garbage
from .index import index_payloads, sync_index
from .payload import load_payload, payload_texts
from .search import SearchFilters, SearchHit, parse_since, search
from .slo import RECOMMENDATION, SLOCollector, SLOStatus, check_slos, evaluate_slos
from .traces import TraceStep, load_trace
from .why import explain_request

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
