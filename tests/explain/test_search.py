from __future__ import annotations

import pytest

from seedstack.errors import InvalidRequestError
from seedstack.explain import SearchFilters, index_payloads, parse_since, search, sync_index
from seedstack.explain.demo import insert_records

from .conftest import SEARCH_STORES
from .obs_records import COMPLAINT_ID, NOW, chat_payload, make_record


@pytest.fixture(params=list(SEARCH_STORES))
def store_url(request: pytest.FixtureRequest) -> str:
    """The search contract runs on SQLite, PostgreSQL 15 (numpy scan) and PostgreSQL 16 with pgvector."""
    return str(request.getfixturevalue(SEARCH_STORES[request.param]))


def test_complaint_text_and_customer_find_the_answer_first(filled):
    hits = search(filled, "my refund was denied", SearchFilters(customer="acme", since=NOW - 2 * 86400))
    assert hits[0].request_id == COMPLAINT_ID
    assert "denied" in hits[0].snippet
    assert set(hits[0].matched) == {"keyword", "semantic"}


def test_filters_exclude_other_customers_statuses_and_time(filled):
    assert all(h.customer == "globex" for h in search(filled, "refund denied", SearchFilters(customer="globex")))
    assert COMPLAINT_ID not in [h.request_id for h in search(filled, "refund denied", SearchFilters(status="error"))]
    errors = search(filled, "", SearchFilters(status="error"), limit=50)
    assert errors and all(h.status_code >= 400 for h in errors)
    old = search(filled, "refund denied", SearchFilters(customer="acme", until=NOW - 2 * 3600))
    assert COMPLAINT_ID not in [h.request_id for h in old]
    slow = search(filled, "", SearchFilters(min_latency_ms=1000), limit=50)
    assert slow and all(h.latency_ms >= 1000 for h in slow)


def test_misspelled_complaint_still_matches_through_subword_embedding(filled):
    hits = search(filled, "refnd denid retrn windw", SearchFilters(customer="acme"))
    assert COMPLAINT_ID in [h.request_id for h in hits[:3]]


def test_empty_query_lists_newest_sampled_first(filled):
    hits = search(filled, "", SearchFilters(customer="acme"), limit=20)
    assert [h.ts for h in hits] == sorted((h.ts for h in hits), reverse=True)


def test_records_indexed_by_the_recorder_hook_and_by_catch_up(store):
    a = make_record("req_a", payload_kept=True, payload=chat_payload("hello", "the warranty covers water damage"))
    b = make_record("req_b", payload_kept=True, payload=chat_payload("hi", "the warranty excludes water damage"))
    insert_records(store, [a, b], index=False)
    assert search(store, "warranty water") == []
    assert index_payloads(store, [a]) == 1
    assert [h.request_id for h in search(store, "warranty water")] == ["req_a"]
    assert sync_index(store) == 1  # b was written by someone else: caught up before searching
    assert sync_index(store) == 0
    assert {h.request_id for h in search(store, "warranty water")} == {"req_a", "req_b"}


def test_durations_and_bad_filters_say_how_to_write_them():
    assert parse_since("2d", now=1_000_000.0) == 1_000_000.0 - 2 * 86400
    assert parse_since(None) is None
    with pytest.raises(InvalidRequestError, match="30m, 36h, 2d"):
        parse_since("two days")
    with pytest.raises(InvalidRequestError, match="ok, error"):
        SearchFilters(status="bad").where()
