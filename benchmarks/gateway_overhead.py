"""Gateway overhead: direct-to-mock vs through seedstack (auth, routing, recording ON), and LiteLLM
proxy measured the same way in the same run when its throwaway venv exists.

    python benchmarks/gateway_overhead.py [--seconds 10] [--workers N] [--no-guard] [--no-litellm]
        [--writer-baseline]

Measures added latency p50/p99 at concurrency 1, throughput at concurrency 32 and 256, the time an
upstream's first stream chunk takes to reach the client (memory growth: gateway_memory.py). Load
comes from wrk (C, one thread) so the load generator is not the bottleneck.
LiteLLM: python -m venv .bench-venvs/litellm && .bench-venvs/litellm/bin/pip install 'litellm[proxy]'
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from _harness import PY, ROOT, free_port, wait_http, wait_tcp, write_result, wrk

BODY = '{"model":"chat","messages":[{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":16}'
LITELLM = ROOT / ".bench-venvs" / "litellm" / "bin" / "litellm"


def start_mock() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([PY, str(ROOT / "benchmarks" / "mock_upstream.py"), str(port)])
    wait_tcp(port)
    return proc, port


def start_seedstack(
    work: Path, upstream: int, *, guard: bool, workers: int = 1, writer: str = "process"
) -> tuple[subprocess.Popen[bytes], int, str]:
    port = free_port()
    cfg: dict[str, Any] = {
        "store": f"sqlite:///{work / 'bench.db'}",
        "models": {
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
    }
    # The default policy: injection + PII + secrets on input, PII/secrets/leakage on output.
    cfg["guard"] = {"enabled": guard}
    cfg["telemetry"] = {"writer": writer}
    if workers > 1:
        cfg["server"] = {"workers": workers}
        cfg["limits"] = {"backend": "store"}  # budgets shared by the worker processes
    (work / "seedstack.yaml").write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "SEEDSTACK_HOME": str(work / ".seedstack")}
    key = (
        subprocess.run(
            [PY, "-m", "seedstack.cli", "keys", "create", "--role", "app", "--config", str(work / "seedstack.yaml")],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    proc = subprocess.Popen(
        [PY, "-m", "seedstack.cli", "up", "--config", str(work / "seedstack.yaml"), "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
    return proc, port, key


def start_litellm(work: Path, upstream: int, workers: int) -> tuple[subprocess.Popen[bytes], int, str] | None:
    if not LITELLM.exists():
        return None
    port = free_port()
    cfg = {
        "model_list": [
            {
                "model_name": "chat",
                "litellm_params": {
                    "model": "openai/mock-model",
                    "api_base": f"http://127.0.0.1:{upstream}/v1",
                    "api_key": "unused",
                },
            }
        ],
        "general_settings": {"master_key": "sk-litellm-bench"},
    }
    (work / "litellm.yaml").write_text(yaml.safe_dump(cfg))
    proc = subprocess.Popen(
        [str(LITELLM), "--config", str(work / "litellm.yaml"), "--port", str(port), "--num_workers", str(workers)],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "LITELLM_LOG": "ERROR"},
    )
    wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180, proc=proc)
    return proc, port, "sk-litellm-bench"


async def first_chunk_ms(url: str, key: str, n: int) -> list[float]:
    """Time to the first SSE chunk of a stream, sequentially (raw asyncio: least client overhead)."""
    host, port = "127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0])
    body = BODY.replace('"max_tokens":16', '"max_tokens":16,"stream":true').encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n" + (f"authorization: Bearer {key}\r\n" if key else "") + "\r\n"
    ).encode()
    out = []
    reader, writer = await asyncio.open_connection(host, port)
    for _ in range(n):
        t0 = time.perf_counter()
        writer.write(head + body)
        got = b""
        while b"data: " not in got:
            got += await reader.read(65536)
        out.append((time.perf_counter() - t0) * 1000)
        # read the whole response: to the last chunk when chunked (hanging up after "[DONE]" left the
        # server a response it could not finish), else to "[DONE]" (the mock sends a content-length)
        chunked = b"transfer-encoding: chunked" in got.split(b"\r\n\r\n", 1)[0].lower()
        while (b"\r\n0\r\n\r\n" not in got) if chunked else not got.rstrip().endswith(b"[DONE]"):
            got += await reader.read(65536)
    writer.close()
    return out


def measure(name: str, url: str, key: str, seconds: float) -> dict[str, Any]:
    wrk(url, connections=8, seconds=2, body=BODY, key=key)  # warm up connections and caches
    res: dict[str, Any] = {"c1": wrk(url, connections=1, seconds=seconds, body=BODY, key=key)}
    for c in (32, 256):
        res[f"c{c}"] = wrk(url, connections=c, seconds=seconds, body=BODY, key=key)
    ttfc = asyncio.run(first_chunk_ms(url, key, 300))
    res["stream_first_chunk_ms_p50"] = statistics.median(ttfc)
    print(
        f"{name}: c1 p50 {res['c1']['p50_us']}us p99 {res['c1']['p99_us']}us | c32 {res['c32']['rps']:.0f} rps | "
        f"c256 {res['c256']['rps']:.0f} rps err {res['c256']['error_rate']:.4f}",
        file=sys.stderr,
    )
    return res


def served(port: int) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    return sum(float(m) for m in re.findall(r"seedstack_requests_total\{[^}]*\} ([0-9.e+]+)", text))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--no-litellm", action="store_true")
    ap.add_argument("--no-guard", action="store_true", help="turn the guard off in the gateway")
    ap.add_argument("--workers", type=int, default=1, help="seedstack worker processes (LiteLLM gets as many)")
    ap.add_argument(
        "--writer-baseline",
        action="store_true",
        help="also measure c=1 with the recorder as a thread in the gateway process (the old design)",
    )
    args = ap.parse_args()
    procs = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        try:
            mock, mport = start_mock()
            procs.append(mock)
            direct = measure("direct", f"http://127.0.0.1:{mport}/v1/chat/completions", "", args.seconds)
            gw, gport, key = start_seedstack(work, mport, guard=not args.no_guard, workers=args.workers)
            procs.append(gw)
            seed = measure("seedstack", f"http://127.0.0.1:{gport}/v1/chat/completions", key, args.seconds)
            result: dict[str, Any] = {
                "benchmark": "gateway_overhead",
                "date": dt.date.today().isoformat(),
                "seconds": args.seconds,
                "guard": not args.no_guard,
                "workers": args.workers,
                "direct": direct,
                "seedstack": seed,
                "seedstack_added_p50_ms": (seed["c1"]["p50_us"] - direct["c1"]["p50_us"]) / 1000,
                "seedstack_added_p99_ms": (seed["c1"]["p99_us"] - direct["c1"]["p99_us"]) / 1000,
                "seedstack_c256_over_c32": seed["c256"]["rps"] / seed["c32"]["rps"],
                "seedstack_stream_first_chunk_added_ms": seed["stream_first_chunk_ms_p50"]
                - direct["stream_first_chunk_ms_p50"],
            }
            gw.terminate()
            gw.wait(30)
            if args.writer_baseline:
                (work / "bench.db").unlink(missing_ok=True)
                gw, gport, key = start_seedstack(work, mport, guard=not args.no_guard, writer="thread")
                procs.append(gw)
                url = f"http://127.0.0.1:{gport}/v1/chat/completions"
                wrk(url, connections=8, seconds=2, body=BODY, key=key)
                c1 = wrk(url, connections=1, seconds=args.seconds, body=BODY, key=key)
                result["thread_writer_c1"] = c1
                result["thread_writer_added_p50_ms"] = (c1["p50_us"] - direct["c1"]["p50_us"]) / 1000
                result["thread_writer_added_p99_ms"] = (c1["p99_us"] - direct["c1"]["p99_us"]) / 1000
                print(f"thread writer: c1 p50 {c1['p50_us']}us p99 {c1['p99_us']}us", file=sys.stderr)
                gw.terminate()
                gw.wait(30)
            if not args.no_litellm:
                lite = start_litellm(work, mport, args.workers)
                if lite is None:
                    result["litellm"] = "not installed: see this script's docstring"
                else:
                    procs.append(lite[0])
                    ll = measure("litellm", f"http://127.0.0.1:{lite[1]}/v1/chat/completions", lite[2], args.seconds)
                    result["litellm"] = ll
                    result["litellm_added_p50_ms"] = (ll["c1"]["p50_us"] - direct["c1"]["p50_us"]) / 1000
                    result["litellm_added_p99_ms"] = (ll["c1"]["p99_us"] - direct["c1"]["p99_us"]) / 1000
                    result["ratio_added_p50_litellm_over_seedstack"] = result["litellm_added_p50_ms"] / max(
                        1e-6, result["seedstack_added_p50_ms"]
                    )
                    result["ratio_rps_c32_seedstack_over_litellm"] = seed["c32"]["rps"] / ll["c32"]["rps"]
                    result["ratio_rps_c256_seedstack_over_litellm"] = seed["c256"]["rps"] / max(1e-9, ll["c256"]["rps"])
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(30)
                    except subprocess.TimeoutExpired:
                        p.kill()
    name = (
        "gateway_overhead" + ("_no_guard" if args.no_guard else "") + (f"_w{args.workers}" if args.workers > 1 else "")
    )
    write_result(name, result)


if __name__ == "__main__":
    main()
