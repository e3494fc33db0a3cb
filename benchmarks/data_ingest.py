"""Ingest + PII scrub throughput and peak memory, against a parse-only baseline in the same run.

Each measurement runs in its own process pinned to ONE CPU core (sched_setaffinity), so peak RSS
(ru_maxrss) and MB/s belong to that step alone. Modes:
  parse      pyarrow's JSON parser over the same blocks (the floor: no scrub, no hashing, no write)
  ingest     ``DatasetService.add`` with ``data.scrub.policy: off``
  scrub      ``DatasetService.add`` with the guard engine redacting PII (the bar: >= 20 MB/s)
Usage: python benchmarks/data_ingest.py /tmp/chats.jsonl [--modes parse,ingest,scrub]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BLOCK = 16 << 20


def _engine() -> tuple[Any, str]:
    try:
        from seedstack.guard import GuardEngine  # type: ignore[attr-defined]

        return GuardEngine.default(), "seedstack.guard.GuardEngine.default()"
    except Exception as exc:  # the engine is optional here: fall back to its PII detector alone
        why = f"{type(exc).__name__}: {exc}"
        from seedstack.guard.pii import find_pii

        class _PiiOnly:
            """Until GuardEngine lands: the guard's own PII detector behind the same two calls."""

            version = "guard.pii.find_pii"

            def scan(self, text: str, detectors: set[str] | None = None) -> list[Any]:
                return find_pii(text)

            def redact(
                self, text: str, findings: list[Any], mode: str = "placeholder", hmac_key: Any = None
            ) -> str:
                for f in sorted(findings, key=lambda f: -f.start):
                    text = text[: f.start] + f"<{f.type}>" + text[f.end :]
                return text

        return _PiiOnly(), f"seedstack.guard.pii.find_pii (adapter; GuardEngine.default() failed: {why})"


def worker(mode: str, path: Path) -> dict[str, Any]:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    t0 = time.perf_counter()
    out: dict[str, Any] = {"mode": mode}
    if mode == "parse":
        from seedstack.data.readers import iter_blocks

        rows = sum(b.table.num_rows for b in iter_blocks(path, "jsonl", BLOCK))
        out["rows"] = rows
    else:
        from seedstack.access import LOCAL_ADMIN
        from seedstack.data import DatasetService, GuardScrubber, TableLocation
        from seedstack.store import open_store

        work = Path(tempfile.mkdtemp(prefix="seedstack-bench-"))
        try:
            store = open_store(f"sqlite:///{work / 'store.db'}")
            scrubber = None
            if mode == "scrub":
                engine, label = _engine()
                scrubber = GuardScrubber(engine, policy="redact")
                out["engine"] = label
            svc = DatasetService(
                store, TableLocation(str(work / "lake")), LOCAL_ADMIN, scrubber=scrubber, block_bytes=BLOCK
            )
            rec = svc.add("bench", [path])
            out.update(rows=rec.row_count, scrub=rec.scrub)
            store.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    secs = time.perf_counter() - t0
    size = path.stat().st_size
    out.update(
        seconds=round(secs, 2),
        mb_per_s=round(size / 1e6 / secs, 2),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--modes", default="parse,ingest,scrub")
    ap.add_argument("--worker", default=None)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.path)))
        return
    results = {}
    for mode in args.modes.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, str(args.path), "--worker", mode],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            results[mode] = {"error": proc.stderr.strip().splitlines()[-1:]}
            continue
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    report: dict[str, Any] = {
        "input": str(args.path),
        "input_mb": round(args.path.stat().st_size / 1e6, 1),
        "cpu_cores_used": 1,
        "results": results,
    }
    base = results.get("parse", {}).get("seconds")
    if base:
        report["ratio_vs_parse"] = {
            m: round(r["seconds"] / base, 2) for m, r in results.items() if "seconds" in r
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
