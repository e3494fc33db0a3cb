"""Throughput at saturation with the recorder as a child process (idle priority) vs as a thread in
each gateway worker, alternating in one run: does an idle-priority writer cost throughput?

    python benchmarks/gateway_writer_ab.py [--workers 2] [--seconds 8] [--reps 2]

Same harness as gateway_overhead.py (mock upstream, auth, routing, guard and recording on). Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path
from typing import Any

from _harness import write_result, wrk
from gateway_overhead import BODY, start_mock, start_seedstack


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--reps", type=int, default=2)
    args = ap.parse_args()
    runs: dict[str, list[dict[str, Any]]] = {"process": [], "thread": []}
    mock, mport = start_mock()
    try:
        for _ in range(args.reps):
            for writer in ("process", "thread"):
                with tempfile.TemporaryDirectory() as tmp:
                    gw, gport, key = start_seedstack(Path(tmp), mport, guard=True, workers=args.workers, writer=writer)
                    try:
                        url = f"http://127.0.0.1:{gport}/v1/chat/completions"
                        wrk(url, connections=32, seconds=2, body=BODY, key=key)
                        c32 = wrk(url, connections=32, seconds=args.seconds, body=BODY, key=key)
                        c256 = wrk(url, connections=256, seconds=args.seconds, body=BODY, key=key)
                    finally:
                        gw.terminate()
                        gw.wait(60)
                    run = {"c32_rps": c32["rps"], "c256_rps": c256["rps"], "c256_error_rate": c256["error_rate"]}
                    runs[writer].append(run)
                    print(writer, {k: round(v, 4) for k, v in run.items()}, file=sys.stderr)
    finally:
        mock.terminate()
    write_result(
        "gateway_writer_ab",
        {
            "benchmark": "gateway_writer_ab",
            "date": dt.date.today().isoformat(),
            "workers": args.workers,
            "seconds": args.seconds,
            "runs": runs,
            "ratio_c32_process_over_thread": sum(r["c32_rps"] for r in runs["process"])
            / sum(r["c32_rps"] for r in runs["thread"]),
            "ratio_c256_process_over_thread": sum(r["c256_rps"] for r in runs["process"])
            / sum(r["c256_rps"] for r in runs["thread"]),
        },
    )


if __name__ == "__main__":
    main()
