"""When the record writer falls behind (a CPU-bound process), requests cede it the CPU instead of
letting the backlog, and memory, grow without bound."""

from __future__ import annotations

import time

import pytest

from seedstack.config import load_settings
from seedstack.gateway import proxy
from seedstack.gateway.proxy import Gateway
from seedstack.store import open_store
from seedstack.telemetry.record import RequestRecord


def test_requests_yield_to_the_writer_only_above_the_high_water_mark(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(store=sqlite_url, telemetry={"backlog_high_water": 100})
    store = open_store(sqlite_url)
    gw = Gateway(settings, store)  # not started: nothing drains the queue
    slept: list[float] = []
    monkeypatch.setattr(proxy.time, "sleep", slept.append)
    for i in range(150):
        gw.finish(
            RequestRecord(id=f"req_{i:024x}", ts=time.time(), endpoint="chat"), time.perf_counter(), 200, payload=None
        )
    assert len(slept) == 50 and all(s > 0 for s in slept)
    gw.recorder.flush()
    assert store.query_one("SELECT COUNT(*) FROM requests") == (150,)
    store.close()
