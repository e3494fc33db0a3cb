from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, generate_latest

from seedstack.config import load_settings
from seedstack.explain import RECOMMENDATION, SLOCollector, check_slos, evaluate_slos
from seedstack.explain.demo import insert_records

from .obs_records import NOW, make_record


def _traffic(store, latencies, *, errors=0, age_s=600.0):
    recs = [
        make_record(f"req_{i}", ts=NOW - age_s - i, latency_ms=ms, ttft_ms=ms * 0.3, queue_ms=1.0)
        for i, ms in enumerate(latencies)
    ]
    recs += [make_record(f"req_err{i}", ts=NOW - age_s, status_code=502, latency_ms=50.0) for i in range(errors)]
    insert_records(store, recs)


def test_fast_chat_meets_the_objectives_without_advice(store):
    _traffic(store, [120.0 + i % 50 for i in range(300)])
    lat, err = evaluate_slos(store, load_settings(), now=NOW)
    assert lat.met is True and lat.p99_ms < 300 and lat.recommendation is None
    assert lat.budget_remaining == 1.0 and err.met is True and err.total == 300


def test_slow_p99_recommends_optimizing_the_model_with_evidence(store):
    _traffic(store, [150.0] * 280 + [900.0] * 20)
    lat = evaluate_slos(store, load_settings(), now=NOW)[0]
    assert lat.met is False and lat.p99_ms > 300
    assert lat.recommendation == RECOMMENDATION
    assert "quantize, speculative decoding" in lat.recommendation
    ev = lat.evidence
    assert ev["requests"] == 300 and ev["slow_requests_examined"] == 20
    assert ev["median_of_slow"]["total_ms"] == 900.0
    assert ev["models"][0]["upstream_model"] == "llama-3.1-8b-awq"
    assert lat.budget_remaining < 0  # 6.7% slow against a 1% budget


def test_the_threshold_follows_slo_chat_p99_ms(store):
    _traffic(store, [150.0] * 280 + [900.0] * 20)
    lat = evaluate_slos(store, load_settings(slo={"chat_p99_ms": 1000}), now=NOW)[0]
    assert lat.met is True and lat.recommendation is None


def test_fast_burn_raises_an_alert_in_the_log_and_metrics(store, caplog):
    _traffic(store, [100.0] * 200, errors=60)
    settings = load_settings()
    with caplog.at_level(logging.WARNING, logger="seedstack.slo"):
        statuses = check_slos(store, settings, now=NOW)
    err = statuses[1]
    assert err.alert is True and err.burn_rate_1h > 10
    assert "chat-error-rate is burning its error budget" in caplog.text
    reg = CollectorRegistry()
    reg.register(SLOCollector(store, settings))
    text = generate_latest(reg).decode()
    assert 'seedstack_slo_alert{slo="chat-error-rate"} 1.0' in text
    assert 'seedstack_slo_error_budget_remaining{slo="chat-p99-latency"} 1.0' in text


def test_no_traffic_is_unknown_not_green(store):
    lat, err = evaluate_slos(store, load_settings(), now=NOW)
    assert lat.met is None and lat.total == 0 and err.budget_remaining is None


def test_gateway_wiring_gives_sinks_and_slo_metrics(store):
    from seedstack.explain.index import PayloadIndexSink
    from seedstack.explain.wiring import observability_sinks, register_slo_metrics

    sinks = observability_sinks(load_settings(), store)
    assert [type(s) for s in sinks] == [PayloadIndexSink]
    otlp = observability_sinks(load_settings(observability={"otlp": {"enabled": True, "timeout_s": 1}}), store)
    assert [type(s).__name__ for s in otlp] == ["PayloadIndexSink", "OTLPSink"]
    otlp[1].shutdown()
    reg = CollectorRegistry()
    register_slo_metrics(reg, load_settings(), store)
    assert "seedstack_slo_alert" in generate_latest(reg).decode()
