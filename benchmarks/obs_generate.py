"""Fill a store with N realistic synthetic request records (+~10% sampled payloads, indexed for search).

    .venv/bin/python benchmarks/obs_generate.py --store sqlite:///benchmarks/results/obs-1m.db -n 1000000
    PG='postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dobs_bench'
    .venv/bin/python benchmarks/obs_generate.py --store "$PG" -n 1000000
    export SEEDSTACK_DATA_KEY=$(openssl rand -base64 32)   # then, as the gateway stores them:
    .venv/bin/python benchmarks/obs_generate.py --store sqlite:////tmp/obs-1m-enc.db -n 1000000 --encrypt

Prints JSON: records, payloads, seconds, records/s. Records are tagged ``synthetic``; the planted
complaint (customer ``acme``, "refund ... denied") is added last, so benchmarks can look for it.
``--encrypt`` seals payloads with the settings' data keyring and indexes them blind (keyed-hash
tokens), as the gateway does; obs_bench.py needs the same key (``SEEDSTACK_DATA_KEY``) to read them.
"""

from __future__ import annotations

import argparse
import json
import time

from seedstack.config import load_settings
from seedstack.crypto import DataKeyring
from seedstack.explain.demo import generate, insert_records
from seedstack.store import open_store
from seedstack.telemetry.record import RequestRecord

PLANTED_ID = "req_bench_complaint"


def planted(now: float) -> RequestRecord:
    return RequestRecord(
        id=PLANTED_ID,
        ts=now - 5 * 3600,
        endpoint="chat",
        customer="acme",
        key_id="key_01",
        alias="chat",
        backend="vllm-a/llama-3.1-8b-awq",
        provider="openai",
        upstream_model="llama-3.1-8b-awq",
        model_version="v3",
        template="support-refund",
        template_version="4",
        status_code=200,
        tokens_in=180,
        tokens_out=60,
        cost_usd=0.0001,
        queue_ms=3.0,
        ttft_ms=95.0,
        latency_ms=210.0,
        tags=["synthetic"],
        params={"temperature": 0.7, "max_tokens": 256},
        metadata={"template_vars": {"order": "A77777"}},
        payload_kept=True,
        payload_reason="sampled",
        payload={
            "request": {"messages": [{"role": "user", "content": "I sent the blender back, order A77777."}]},
            "response": {
                "choices": [
                    {
                        "message": {
                            "role": "assistant",
                            "content": "Your refund for order A77777 was denied: the 30-day return window had closed.",
                        }
                    }
                ]
            },
        },
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", required=True)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--payload-rate", type=float, default=0.1)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--encrypt", action="store_true", help="seal payloads with the data keyring, index them blind")
    args = ap.parse_args()
    now = time.time()
    store = open_store(args.store)
    ring = DataKeyring.from_settings(load_settings(store=args.store)) if args.encrypt else None
    t0 = time.perf_counter()
    kept = generate(
        store, args.n, batch=args.batch, payload_rate=args.payload_rate, days=args.days, now=now, keyring=ring
    )
    insert_records(store, [planted(now)], keyring=ring)
    if store.dialect == "postgres":
        store.execute("ANALYZE")  # what autovacuum would do after a bulk load: fresh planner statistics
    secs = time.perf_counter() - t0
    store.close()
    print(
        json.dumps(
            {
                "store": args.store.split(":", 1)[0],
                "records": args.n + 1,
                "encrypted": args.encrypt,
                "payloads": kept + 1,
                "seconds": round(secs, 1),
                "records_per_s": round((args.n + 1) / secs),
            }
        )
    )


if __name__ == "__main__":
    main()
