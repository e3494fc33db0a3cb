"""The observability bars on a filled store (see obs_generate.py): search ≤ 2 s, why ≤ 300 ms,
dashboard overview ≤ 1 s; each against a baseline query measured in the same run.

    .venv/bin/python benchmarks/obs_bench.py --store sqlite:///benchmarks/results/obs-1m.db

Prints JSON. Timings are medians of --repeat runs (the first run, which warms caches, is reported
separately as ``cold_ms``). The dashboard is timed as a full HTTP render of ``/ui/`` (auth, queries,
Jinja) through an in-process ASGI client.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from seedstack.config import load_settings
from seedstack.explain import SearchFilters, explain_request, search, sync_index
from seedstack.explain.rollup import refresh_rollups
from seedstack.store import open_store

PLANTED_ID = "req_bench_complaint"
ADMIN_KEY = "sk-bench-admin-key"


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, Any]:
    t = time.perf_counter()
    result = fn()
    cold = (time.perf_counter() - t) * 1000
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - t) * 1000)
    return {
        "cold_ms": round(cold, 1),
        "median_ms": round(statistics.median(runs), 1),
        "max_ms": round(max(runs), 1),
        "result": result,
    }


def _search(store: Any, q: str, f: SearchFilters) -> list[str]:
    sync_index(store)  # what `seedstack search` does first: catch up on unindexed payloads
    return [h.request_id for h in search(store, q, f, limit=10)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    settings = load_settings(store=args.store)
    store = open_store(args.store)
    now = time.time()
    out: dict[str, Any] = {"store": store.dialect}
    out["records"] = store.query_one("SELECT COUNT(*) FROM requests")[0]
    out["payloads"] = store.query_one("SELECT COUNT(*) FROM payloads")[0]

    t = time.perf_counter()
    sync_index(store)
    out["sync_index_noop_ms"] = round((time.perf_counter() - t) * 1000, 1)

    cases = {
        "complaint+customer+2d": ("refund was denied", SearchFilters(customer="acme", since=now - 2 * 86400)),
        "complaint+customer": ("refund was denied", SearchFilters(customer="acme")),
        "text+template+status+7d": (
            "refund order",
            SearchFilters(template="support-refund", status="ok", since=now - 7 * 86400),
        ),
        "text, no filter": ("refund was denied", SearchFilters()),
    }
    out["search"] = {}
    for name, (q, f) in cases.items():
        r = timed(lambda q=q, f=f: _search(store, q, f), args.repeat)
        where, params = f.where("d.")
        base = timed(
            lambda w=where, p=params: store.query(f"SELECT COUNT(*) FROM obs_docs d WHERE {w}", p), args.repeat
        )
        ids = r.pop("result")
        base.pop("result")
        out["search"][name] = {
            **r,
            "planted_rank": ids.index(PLANTED_ID) + 1 if PLANTED_ID in ids else None,
            "baseline_count_candidates_ms": base["median_ms"],
            "ratio_vs_baseline": round(r["median_ms"] / max(base["median_ms"], 0.01), 1),
        }

    sampled = [r[0] for r in store.query("SELECT request_id FROM payloads ORDER BY ts DESC LIMIT 20")]
    unsampled = [r[0] for r in store.query("SELECT id FROM requests WHERE payload_kept = 0 ORDER BY ts DESC LIMIT 20")]
    for label, ids in (("why_sampled", sampled), ("why_metadata_only", unsampled)):
        times, pk = [], []
        for rid in ids:
            t = time.perf_counter()
            explain_request(store, rid)
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            store.query("SELECT * FROM requests WHERE id = ?", (rid,))
            pk.append((time.perf_counter() - t) * 1000)
        out[label] = {
            "n": len(ids),
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "baseline_pk_lookup_ms": round(statistics.median(pk), 2),
            "ratio_vs_baseline": round(statistics.median(times) / max(statistics.median(pk), 0.01), 1),
        }

    from starlette.testclient import TestClient

    from seedstack.http.ui import create_ui_app

    digest = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    if not store.query_one("SELECT 1 FROM api_keys WHERE hash = ?", (digest,)):
        store.execute(
            "INSERT INTO api_keys (id, name, hash, prefix, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("key_bench_admin", "bench", digest, "sk-bench", "admin", now),
        )
    client = TestClient(create_ui_app(SimpleNamespace(settings=settings, store=store)))
    headers = {"authorization": f"Bearer {ADMIN_KEY}"}

    def render() -> int:
        resp = client.get("/ui/", headers=headers)
        assert resp.status_code == 200, resp.status_code
        return len(resp.text)

    t = time.perf_counter()
    hours = refresh_rollups(store)
    out["rollup_build_once"] = {"hours": hours, "ms": round((time.perf_counter() - t) * 1000, 1)}
    r = timed(render, args.repeat)
    r.pop("result")
    since = now - 86400
    base = timed(lambda: store.query("SELECT COUNT(*) FROM requests WHERE ts >= ?", (since,)), args.repeat)
    base.pop("result")
    out["dashboard_overview_24h"] = {
        **r,
        "baseline_count_24h_ms": base["median_ms"],
        "ratio_vs_baseline": round(r["median_ms"] / max(base["median_ms"], 0.01), 1),
    }
    store.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
