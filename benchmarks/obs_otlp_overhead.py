"""OTLP export overhead on the request path: the gateway with the exporter off vs on, same run.

    .venv/bin/python benchmarks/obs_otlp_overhead.py [--seconds 10] [--rounds 2]

Starts the mock upstream, an OTLP/HTTP receiver that counts spans, and the gateway twice per round
(exporter off, then on; rounds alternate to spread machine noise). Load comes from wrk: latency
p50/p99 at 1 connection, throughput at 32. Prints JSON with the on/off ratios and how many spans the
receiver got (so "on" really exported). Needs the [otel] extra and wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _harness import PY, ROOT, free_port, wait_http, wait_tcp, write_result, wrk

BODY = '{"model":"chat","messages":[{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":16}'


async def _paced(port: int, key: str, rps: float, seconds: float) -> list[float]:
    """Latency of requests sent at a fixed rate on one keep-alive connection (open-loop pacing)."""
    body = BODY.encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer {key}\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    out: list[float] = []
    start = loop.time()
    for i in range(int(rps * seconds)):
        delay = start + i / rps - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        t0 = time.perf_counter()
        writer.write(head + body)
        got = await reader.readuntil(b"\r\n\r\n")
        sizes = [ln.split(b":")[1] for ln in got.lower().split(b"\r\n") if ln.startswith(b"content-length")]
        if sizes:
            await reader.readexactly(int(sizes[0]))
        else:  # chunked
            await reader.readuntil(b"0\r\n\r\n")
        out.append((time.perf_counter() - t0) * 1e6)
    writer.close()
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def receiver(port: int) -> None:
    """An OTLP/HTTP endpoint that keeps each export and counts the spans on GET."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )

    bodies: list[bytes] = []  # parsed only when asked: the receiver should cost the gateway's box ~nothing

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["content-length"])))
            body = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            count = 0
            for raw in bodies:
                req = ExportTraceServiceRequest()
                req.ParseFromString(raw)
                count += sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
            body = str(count).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: Any) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def gateway(port: int, store: str, upstream: int, otlp: str, keyfile: str) -> None:
    from seedstack.config import load_settings
    from seedstack.config.observability import OTLPConfig
    from seedstack.gateway.keys import create_key
    from seedstack.http.app import create_app
    from seedstack.http.serve import serve
    from seedstack.telemetry.otel import OTLPSink

    settings = load_settings(
        store=store,
        models={
            "chat": {
                "backends": [
                    {
                        "provider": "openai",
                        "base_url": f"http://127.0.0.1:{upstream}/v1",
                        "model": "mock-model",
                        "max_in_flight": 1024,
                    }
                ]
            }
        },
    )
    sinks = [OTLPSink(OTLPConfig(enabled=True, endpoint=otlp))] if otlp != "off" else []
    app = create_app(settings, sinks=sinks)
    key, _ = create_key(app.ctx.store, role="app", name="bench")
    Path(keyfile).write_text(key)
    serve(app, host="127.0.0.1", port=port)


def run_gateway(work: Path, upstream: int, otlp: str, tag: str) -> tuple[subprocess.Popen[bytes], int, str]:
    port = free_port()
    keyfile = work / f"key-{tag}"
    proc = subprocess.Popen(
        [
            PY,
            __file__,
            "--serve",
            str(port),
            f"sqlite:///{work / (tag + '.db')}",
            str(upstream),
            otlp,
            str(keyfile),
        ],
        cwd=work,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
    return proc, port, keyfile.read_text()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rate", type=float, default=200, help="requests/s of the paced latency run")
    args = ap.parse_args()
    procs: list[subprocess.Popen[bytes]] = []
    results: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    spans = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        try:
            mport = free_port()
            procs.append(subprocess.Popen([PY, str(ROOT / "benchmarks" / "mock_upstream.py"), str(mport)]))
            wait_tcp(mport)
            rport = free_port()
            procs.append(subprocess.Popen([PY, __file__, "--receiver", str(rport)]))
            wait_tcp(rport)
            for rnd in range(args.rounds):
                for mode in ("off", "on"):
                    otlp = "off" if mode == "off" else f"http://127.0.0.1:{rport}/v1/traces"
                    proc, port, key = run_gateway(work, mport, otlp, f"{mode}{rnd}")
                    procs.append(proc)
                    url = f"http://127.0.0.1:{port}/v1/chat/completions"
                    wrk(url, connections=8, seconds=2, body=BODY, key=key)
                    c1 = wrk(url, connections=1, seconds=args.seconds, body=BODY, key=key)
                    c32 = wrk(url, connections=32, seconds=args.seconds, body=BODY, key=key)
                    paced = asyncio.run(_paced(port, key, args.rate, args.seconds))
                    proc.terminate()
                    proc.wait(30)
                    results[mode].append(
                        {
                            "c1_p50_us": c1["p50_us"],
                            "c1_p99_us": c1["p99_us"],
                            "c32_rps": c32["rps"],
                            "paced_p50_us": _pct(paced, 0.5),
                            "paced_p99_us": _pct(paced, 0.99),
                        }
                    )
                    print(f"round {rnd} otlp {mode}: {results[mode][-1]}", file=sys.stderr)
            spans = int(urllib.request.urlopen(f"http://127.0.0.1:{rport}/").read())
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    summary = {
        "runs": results,
        "spans_received": spans,
        "c1_p50_us": {"off": med("off", "c1_p50_us"), "on": med("on", "c1_p50_us")},
        "c1_p99_us": {"off": med("off", "c1_p99_us"), "on": med("on", "c1_p99_us")},
        "c32_rps": {"off": med("off", "c32_rps"), "on": med("on", "c32_rps")},
        "paced_p50_us": {"off": med("off", "paced_p50_us"), "on": med("on", "paced_p50_us")},
        "paced_p99_us": {"off": med("off", "paced_p99_us"), "on": med("on", "paced_p99_us")},
        "paced_rate_rps": args.rate,
    }
    summary["ratio_on_off"] = {
        k: round(summary[k]["on"] / summary[k]["off"], 3)
        for k in ("c1_p50_us", "c1_p99_us", "c32_rps", "paced_p50_us", "paced_p99_us")
    }
    write_result("obs_otlp_overhead", summary)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--receiver":
        receiver(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--serve":
        gateway(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        main()
