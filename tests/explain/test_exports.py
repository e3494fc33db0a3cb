"""The public API of the observability packages is pinned: renaming a name is a visible change."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "seedstack.explain": {
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
    },
    "seedstack.explain.index": {"PayloadIndexSink", "index_payloads", "index_rows", "sync_index"},
    "seedstack.http.ui": {"create_ui_app"},
    "seedstack.http.admin": {"create_admin_app"},
    "seedstack.telemetry.otel": {"OTLPSink", "SpanBuilder", "span_attributes"},
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_exported_and_importable(module):
    mod = importlib.import_module(module)
    assert set(mod.__all__) == PUBLIC[module]
    for name in mod.__all__:
        assert getattr(mod, name) is not None
