"""Benchmark: `gpu import` of 30 days x 64 GPUs x 1-minute nvidia-smi logs (~2.8M rows) and
`advise` over the result, on SQLite and PostgreSQL. Prints JSON.

Baseline (same run): the naive design, one row per sample inserted with executemany into an
indexed SQLite table, and Python's csv module to parse. Ratios are baseline / seedstack.

    .venv/bin/python benchmarks/cost_import.py [--pg URL] [--no-baseline]
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from seedstack.config import load_settings
from seedstack.cost.gpu_batch import SampleBatch
from seedstack.cost.gpu_parsers import parse_file
from seedstack.cost.gpu_store import ingest
from seedstack.cost.ledger import record_job
from seedstack.cost.rules import run_rules
from seedstack.store import open_store

DAYS, NODES, PER_NODE = 30, 8, 8
START = 1_792_540_800  # 2026-10-20 00:00 UTC
HEADER = "timestamp, index, name, uuid, utilization.gpu [%], memory.used [MiB], power.draw [W]\n"


def write_logs(root: Path) -> list[Path]:
    """One nvidia-smi `-l 60` log per node, with units in values and a few [N/A]s."""
    rng = np.random.default_rng(1)
    minutes = DAYS * 1440
    files = []
    for n in range(NODES):
        util = rng.integers(0, 101, size=(minutes, PER_NODE))
        na = rng.random((minutes, PER_NODE)) < 0.001
        lines = [HEADER]
        for m in range(minutes):
            t = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(START + 60 * m)) + ".123"
            for g in range(PER_NODE):
                u = "[N/A]" if na[m, g] else f"{util[m, g]} %"
                lines.append(
                    f"{t}, {g}, NVIDIA H100 80GB HBM3, GPU-{n:02d}{g:02d}, {u}, 40000 MiB, 500.00 W\n"
                )
        f = root / f"node-{n}.csv"
        f.write_text("".join(lines))
        files.append(f)
    return files


def seedstack_import(url: str, files: list[Path]) -> dict[str, float]:
    store = open_store(url)
    t0 = time.perf_counter()
    batch = SampleBatch.concat(parse_file(f) for f in files)
    t1 = time.perf_counter()
    report = ingest(store, batch)
    t2 = time.perf_counter()
    now = START + DAYS * 86400
    for n in range(NODES):
        record_job(
            store,
            name=f"job-{n}",
            kind="training",
            start_ts=START,
            end_ts=now,
            gpu_type="H100",
            gpu_count=PER_NODE,
            provider="aws",
            pricing="on-demand",
            nodes=[f"node-{n}"],
        )
    settings = load_settings()
    t3 = time.perf_counter()
    results = run_rules(store, settings, now=now)
    t4 = time.perf_counter()
    store.close()
    return {
        "rows": report.samples,
        "parse_s": round(t1 - t0, 2),
        "store_s": round(t2 - t1, 2),
        "import_s": round(t2 - t0, 2),
        "advise_s": round(t4 - t3, 3),
        "verdicts": {r.rule: r.verdict for r in results},
    }  # type: ignore[dict-item]


def cli_import(root: Path, files: list[Path]) -> dict[str, float]:
    """The same through the real CLI (process start-up included), on SQLite."""
    import os
    import subprocess
    import sys

    env = os.environ | {"SEEDSTACK_STORE": f"sqlite:///{root / 'cli.db'}"}
    exe = [sys.executable, "-m", "seedstack.cli"]
    t0 = time.perf_counter()
    subprocess.run([*exe, "gpu", "import", *map(str, files)], env=env, check=True, capture_output=True)
    t1 = time.perf_counter()
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(START + DAYS * 86400))
    subprocess.run([*exe, "advise", "--now", now, "--json"], env=env, check=True, capture_output=True)
    t2 = time.perf_counter()
    subprocess.run([*exe, "version"], env=env, check=True, capture_output=True)
    t3 = time.perf_counter()  # the CLI's start-up alone: the floor under every command
    return {"gpu_import_s": round(t1 - t0, 2), "advise_s": round(t2 - t1, 2), "startup_s": round(t3 - t2, 2)}


def naive_import(path: Path, files: list[Path]) -> dict[str, float]:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE s (node TEXT, gpu TEXT, ts BIGINT, util DOUBLE PRECISION, PRIMARY KEY (node, gpu, ts))"
    )
    t0 = time.perf_counter()
    rows = 0
    for f in files:
        with f.open() as fh:
            reader = csv.reader(fh, skipinitialspace=True)
            next(reader)
            batch = []
            for r in reader:
                ts = int(time.mktime(time.strptime(r[0][:19], "%Y/%m/%d %H:%M:%S")))
                u = None if r[4].startswith("[") else float(r[4].split()[0]) / 100
                batch.append((f.stem, r[1], ts // 60 * 60, u))
            conn.executemany("INSERT OR REPLACE INTO s VALUES (?, ?, ?, ?)", batch)
            conn.commit()
            rows += len(batch)
    t1 = time.perf_counter()
    conn.execute(
        "SELECT node, gpu, AVG(util), SUM(util < 0.05) FROM s WHERE ts >= ? GROUP BY node, gpu",
        (START + 2 * 86400,),
    ).fetchall()
    t2 = time.perf_counter()
    conn.close()
    return {"rows": rows, "import_s": round(t1 - t0, 2), "aggregate_s": round(t2 - t1, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    out: dict[str, object] = {"gpus": NODES * PER_NODE, "days": DAYS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = write_logs(root)
        out["csv_mb"] = round(sum(f.stat().st_size for f in files) / 1e6, 1)
        out["sqlite"] = seedstack_import(f"sqlite:///{root / 'bench.db'}", files)
        out["cli_sqlite"] = cli_import(root, files)
        if args.pg:
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.pg, autocommit=True) as c:
                c.execute(f"CREATE SCHEMA {schema}")
            try:
                out["postgres"] = seedstack_import(f"{args.pg}?options=-csearch_path%3D{schema}", files)
            finally:
                with psycopg.connect(args.pg, autocommit=True) as c:
                    c.execute(f"DROP SCHEMA {schema} CASCADE")
        if not args.no_baseline:
            base = naive_import(root / "naive.db", files)
            out["baseline_sqlite_row_per_sample"] = base
            out["import_speedup_vs_baseline"] = round(base["import_s"] / out["sqlite"]["import_s"], 1)  # type: ignore[index]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
