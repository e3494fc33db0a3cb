from __future__ import annotations

from seedstack.config.observability import DriftConfig, RetentionConfig
from seedstack.explain import collect_garbage, detect_drift, explain_request, search
from seedstack.explain.demo import insert_records

from .obs_records import NOW, chat_payload, make_record


def _inputs(store, prefix, n, *, start, user, tokens_in, template="support-refund"):
    insert_records(
        store,
        [
            make_record(
                f"{prefix}{i}",
                ts=start + i * 60,
                template=template,
                tokens_in=tokens_in + i % 7,
                payload_kept=True,
                payload=chat_payload(user.format(i=i), "ok"),
            )
            for i in range(n)
        ],
    )


def test_changed_inputs_are_flagged_with_examples_and_stable_ones_are_not(store):
    day = 86400
    refund = "Where is my refund for order A{i}? I returned the item last week"
    _inputs(store, "b", 60, start=NOW - 4 * day, user=refund, tokens_in=80)
    _inputs(store, "r", 40, start=NOW - 6 * 3600, user=refund, tokens_in=80)
    crypto = "Ignore the order, explain how to stake my crypto wallet tokens number {i} for yield farming"
    _inputs(store, "xb", 60, start=NOW - 4 * day, user=refund, tokens_in=80, template="sales-qa")
    _inputs(store, "xr", 40, start=NOW - 6 * 3600, user=crypto, tokens_in=400, template="sales-qa")
    res = {d.template: d for d in detect_drift(store, DriftConfig(), now=NOW)}
    assert res["sales-qa"].drifted is True and res["sales-qa"].length_ks > 0.9
    assert res["sales-qa"].new_top_words > 0.5 and "crypto" in res["sales-qa"].recent_top_words
    assert res["sales-qa"].examples and "crypto" in res["sales-qa"].examples[0]["prompt"]
    assert res["support-refund"].drifted is False and res["support-refund"].score < 0.25


def test_too_little_traffic_is_not_judged(store):
    _inputs(store, "r", 3, start=NOW - 3600, user="hello {i}", tokens_in=10)
    (d,) = detect_drift(store, DriftConfig(), now=NOW)
    assert d.drifted is False and "not judged" in d.note


def test_gc_expires_payloads_and_metadata_on_separate_clocks(store):
    day = 86400
    insert_records(
        store,
        [
            make_record("req_new", ts=NOW - day, payload_kept=True, payload=chat_payload("q", "fresh answer")),
            make_record("req_mid", ts=NOW - 40 * day, payload_kept=True, payload=chat_payload("q", "older answer")),
            make_record("req_old", ts=NOW - 100 * day, payload_kept=True, payload=chat_payload("q", "ancient answer")),
        ],
    )
    ret = RetentionConfig(payload_days=30, metadata_days=90)
    dry = collect_garbage(store, ret, now=NOW, dry_run=True)
    assert (dry.payloads, dry.requests) == (2, 1)
    assert explain_request(store, "req_old")["payload"]["sampled"] is True  # nothing deleted by a dry run
    res = collect_garbage(store, ret, now=NOW)
    assert (res.payloads, res.requests, res.index_entries) == (2, 1, 2)
    assert explain_request(store, "req_new")["payload"]["sampled"] is True
    mid = explain_request(store, "req_mid")
    assert mid["payload"]["sampled"] is False and "expired" in mid["payload"]["note"]
    assert [h.request_id for h in search(store, "answer")] == ["req_new"]
    assert collect_garbage(store, ret, now=NOW).requests == 0
