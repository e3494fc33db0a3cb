from __future__ import annotations

import pytest

from seedstack.config import load_settings
from seedstack.explain.demo import insert_records
from seedstack.explain.overview import overview
from seedstack.explain.rollup import refresh_rollups

from .obs_records import NOW, make_record

DAY = 86400.0


def _spend(records):
    return sum(r.cost_usd for r in records)


def test_overview_counts_the_window_and_costs_per_day_match_the_records(store):
    recs = [
        make_record(
            f"req_{i}",
            ts=NOW - i * 3000,
            cost_usd=0.01 * (1 + i % 3),
            alias="chat" if i % 2 else "chat-large",
            customer="acme" if i % 4 == 0 else "globex",
            latency_ms=100.0 + i,
            status_code=502 if i % 10 == 0 else 200,
            guard=[{"detector": "pii", "direction": "output", "action": "redact"}] if i % 5 == 0 else [],
        )
        for i in range(120)  # ~4 days, one every 50 minutes
    ]
    insert_records(store, recs)
    o = overview(store, load_settings(), window_hours=24, now=NOW)
    in_window = [r for r in recs if r.ts >= NOW - DAY]
    assert o["requests"] == len(in_window)
    assert o["error_rate"] == pytest.approx(sum(r.status_code >= 500 for r in in_window) / len(in_window), abs=1e-4)
    assert o["guard_verdicts"] == {"pii:redact": sum(1 for r in in_window if r.guard)}
    assert o["chat_latency"]["slo_ms"] == 300 and o["chat_latency"]["p50_ms"] is not None
    by_alias = {row["name"]: row["total_usd"] for row in o["cost_by_alias"]}
    assert by_alias["chat"] == pytest.approx(_spend(r for r in recs if r.alias == "chat"))
    assert by_alias["chat-large"] == pytest.approx(_spend(r for r in recs if r.alias == "chat-large"))
    assert sum(d["usd"] for row in o["cost_by_customer"] for d in row["per_day"]) == pytest.approx(_spend(recs))


def test_rollups_pick_up_late_records_and_are_not_double_counted(store):
    insert_records(store, [make_record("req_a", ts=NOW - 5 * 3600, cost_usd=1.0)])
    assert refresh_rollups(store, now=NOW) > 0
    assert refresh_rollups(store, now=NOW) == 3  # only the last closed hours are redone
    # a record replayed from the spool into an hour that was already rolled up
    insert_records(store, [make_record("req_late", ts=NOW - 2 * 3600, cost_usd=2.0)])
    o = overview(store, load_settings(), now=NOW)
    assert sum(r["total_usd"] for r in o["cost_by_alias"]) == pytest.approx(3.0)
    o = overview(store, load_settings(), now=NOW)
    assert sum(r["total_usd"] for r in o["cost_by_alias"]) == pytest.approx(3.0)
