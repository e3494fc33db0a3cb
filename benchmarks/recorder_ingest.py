"""Record ingest into SQLite: the recorder's batched writer vs one INSERT + commit per record (what a
naive request logger does), on the same records in the same run.

    python benchmarks/recorder_ingest.py [--records 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path

from _harness import write_result

from seedstack.store import open_store
from seedstack.telemetry.record import RequestRecord, RouteAttempt
from seedstack.telemetry.recorder import _INSERT_REQUEST, Recorder


def make_records(n: int) -> list[RequestRecord]:
    out = []
    now = time.time()
    for i in range(n):
        r = RequestRecord(
            id="req_" + secrets.token_hex(12),
            ts=now + i * 1e-3,
            endpoint="chat",
            key_id="key_abc",
            customer=f"cust-{i % 50}",
            tags=["beta"],
            template="support",
            template_version="v3",
            alias="chat",
            backend="chat/openai-0",
            provider="openai",
            upstream_model="llama-3.1-8b",
            status_code=200,
            tokens_in=512,
            tokens_out=128,
            cost_usd=0.00042,
            ttft_ms=85.0,
            latency_ms=640.0,
            upstream_ms=638.0,
            overhead_ms=2.0,
            route=[RouteAttempt("chat/openai-0", "ok", 200, 638.0)],
            params={"temperature": 0.2, "max_tokens": 256},
        )
        if i % 10 == 0:
            r.payload_kept, r.payload_reason = True, "sampled"
            r.payload = {
                "request": {"messages": [{"role": "user", "content": "hello " * 80}]},
                "response": {"text": "world " * 60},
            }
        out.append(r)
    return out


def recorder_rate(records: list[RequestRecord], db: Path) -> float:
    store = open_store(f"sqlite:///{db}")
    rec = Recorder(store, spool_dir=db.parent / "spool", flush_interval_s=0.2)
    rec.start()
    t0 = time.perf_counter()
    for r in records:
        rec.submit(r)
    rec.close()
    took = time.perf_counter() - t0
    n = store.query_one("SELECT COUNT(*) FROM requests")[0]  # type: ignore[index]
    store.close()
    assert n == len(records), (n, len(records))
    return len(records) / took


def naive_rate(records: list[RequestRecord], db: Path) -> float:
    store = open_store(f"sqlite:///{db}")
    store.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    for r in records:
        conn.execute("BEGIN")
        conn.execute(_INSERT_REQUEST, r.row())
        conn.execute("COMMIT")
    took = time.perf_counter() - t0
    conn.close()
    return len(records) / took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    args = ap.parse_args()
    records = make_records(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        batched = recorder_rate(records, Path(tmp) / "a.db")
        naive = naive_rate(records[: max(1000, args.records // 20)], Path(tmp) / "b.db")
    write_result(
        "recorder_ingest",
        {
            "benchmark": "recorder_ingest",
            "date": dt.date.today().isoformat(),
            "records": args.records,
            "payload_share": 0.1,
            "recorder_records_per_s": round(batched),
            "naive_records_per_s": round(naive),
            "ratio_recorder_over_naive": batched / naive,
        },
    )


if __name__ == "__main__":
    main()
