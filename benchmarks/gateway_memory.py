"""Gateway memory under sustained load: RSS after 10,000 requests vs after 1,000,000 (the bar: at most
1.5x). Same setup as gateway_overhead.py (mock upstream, auth, routing, guard and recording on). RSS is the
gateway process plus its children (the recorder process).

    python benchmarks/gateway_memory.py [--requests 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from _harness import tree_rss_mb, write_result, wrk
from gateway_overhead import BODY, served, start_mock, start_seedstack


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mock, mport = start_mock()
        gw, gport, key = start_seedstack(Path(tmp), mport, guard=True)
        url = f"http://127.0.0.1:{gport}/v1/chat/completions"
        try:
            while served(gport) < 10_000:
                wrk(url, connections=32, seconds=2, body=BODY, key=key)
            at_10k, n_10k = tree_rss_mb(gw.pid), served(gport)
            samples = [(n_10k, at_10k)]
            while served(gport) < args.requests:
                wrk(url, connections=32, seconds=30, body=BODY, key=key)
                samples.append((served(gport), tree_rss_mb(gw.pid)))
                print(f"  {samples[-1][0]:,.0f} requests, RSS {samples[-1][1]:.1f} MB", file=sys.stderr)
            at_end, n_end = tree_rss_mb(gw.pid), served(gport)
        finally:
            gw.terminate()
            mock.terminate()
            gw.wait(60)
            mock.wait(10)
    write_result(
        "gateway_memory",
        {
            "benchmark": "gateway_memory",
            "date": dt.date.today().isoformat(),
            "rss_mb_after_10k": round(at_10k, 1),
            "requests_at_first_sample": n_10k,
            "rss_mb_at_end": round(at_end, 1),
            "requests_at_end": n_end,
            "ratio": at_end / at_10k,
            "samples": [[int(n), round(r, 1)] for n, r in samples],
        },
    )


if __name__ == "__main__":
    main()
