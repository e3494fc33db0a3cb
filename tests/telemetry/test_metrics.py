"""The request-path metric families render exactly what prometheus_client's Counter and Histogram
render for the same updates, and a scrape from another thread never loses an update."""

from __future__ import annotations

import re
import threading

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from seedstack.telemetry.metrics import GatewayMetrics, RequestCounter, RequestHistogram

BUCKETS = (0.005, 0.01, 0.025, 0.1, 1, 2.5, 10)
OBSERVED = [0.0, 0.004, 0.005, 0.0051, 0.01, 0.3, 1.0, 2.4999, 9.9, 10.0, 11.0, 1e9, 0.1 + 0.2]


def _without_created(text: bytes) -> list[str]:
    return [line for line in text.decode().splitlines() if not re.match(r"^\w+_created[{ ]", line)]


def test_exposition_is_prometheus_clients_own() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    c = RequestCounter("t_requests", "Requests answered", ["alias", "status"], ours)
    pc = Counter("t_requests", "Requests answered", ["alias", "status"], registry=theirs)
    h = RequestHistogram("t_latency_seconds", "Latency", ["alias"], ours, buckets=BUCKETS)
    ph = Histogram("t_latency_seconds", "Latency", ["alias"], buckets=BUCKETS, registry=theirs)
    u = RequestHistogram("t_overhead_seconds", "Overhead", [], ours, buckets=BUCKETS)
    pu = Histogram("t_overhead_seconds", "Overhead", buckets=BUCKETS, registry=theirs)
    n = RequestCounter("t_plain_total", "No labels", [], ours)
    pn = Counter("t_plain_total", "No labels", registry=theirs)
    for i, v in enumerate(OBSERVED):
        alias = "a" if i % 3 else "b"
        c.labels(alias, "2xx").inc()
        pc.labels(alias, "2xx").inc()
        c.labels(alias, "5xx").inc(2.5)
        pc.labels(alias, "5xx").inc(2.5)
        h.labels(alias).observe(v)
        ph.labels(alias).observe(v)
        u.observe(v)
        pu.observe(v)
    n.inc(3)
    pn.inc(3)
    assert _without_created(generate_latest(ours)) == _without_created(generate_latest(theirs))

    def created(text: bytes) -> list[str]:
        return [line.split(" ")[0] for line in text.decode().splitlines() if re.match(r"^\w+_created[{ ]", line)]

    assert created(generate_latest(ours)) == created(generate_latest(theirs))
    assert len(created(generate_latest(ours))) == 4 + 2 + 1 + 1  # one per series


def test_unlabelled_series_exist_before_the_first_update_and_label_counts_are_checked() -> None:
    r = CollectorRegistry()
    RequestHistogram("t_idle_seconds", "Idle", [], r, buckets=BUCKETS)
    text = generate_latest(r).decode()
    assert 't_idle_seconds_bucket{le="+Inf"} 0.0' in text and "t_idle_seconds_count 0.0" in text
    c = RequestCounter("t_c", "C", ["a", "b"], r)
    with pytest.raises(ValueError, match="labels"):
        c.labels("only-one")
    with pytest.raises(ValueError, match="Duplicated"):
        RequestCounter("t_c", "C again", ["a"], r)


def test_a_scrape_while_requests_update_loses_nothing() -> None:
    m = GatewayMetrics()
    stop = threading.Event()
    scrapes = 0

    def scrape() -> None:
        nonlocal scrapes
        while not stop.is_set():
            m.render()
            scrapes += 1

    t = threading.Thread(target=scrape)
    t.start()
    n = 200_000
    for i in range(n):
        m.requests_by(f"alias{i % 7}", "chat", "2xx").inc()  # new children appear during scrapes
        m.latency_by(f"alias{i % 7}", "chat").observe(0.001 * (i % 50))
    stop.set()
    t.join()
    text = m.render().decode()
    total = sum(float(v) for v in re.findall(r"seedstack_requests_total\{[^}]*\} (\S+)", text))
    count = sum(float(v) for v in re.findall(r"seedstack_request_latency_seconds_count\{[^}]*\} (\S+)", text))
    assert scrapes > 0 and total == n and count == n
