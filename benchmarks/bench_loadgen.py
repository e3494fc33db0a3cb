"""`seedstack bench run` against the simulator, side by side with GuideLLM on the same endpoint.

Three figures, all measured in this one run against one `seedstack simulate` process:
  1. accuracy: the simulator is set to TTFT 100 ms and ITL 20 ms (no prompt or load terms); how
     close are bench's TTFT / ITL / TPOT medians to what the server was told to do?
  2. agreement: bench and GuideLLM at the same constant rate; TTFT, ITL and E2E medians, with
     GuideLLM's per-request "ITL" (its (E2E - TTFT)/(tokens - 1)) compared with vLLM's TPOT;
  3. client capacity: the highest constant rate each tool keeps its own schedule at (client lag
     p95 <= --max-lag-ms, every request sent), each pinned to ONE core (taskset -c 0) while the
     simulator runs on the other core.

    .venv/bin/python benchmarks/bench_loadgen.py --guidellm .bench-venvs/guidellm/bin/guidellm \
        --tokenizer /tmp/tok   # a directory written by benchmarks/make_local_model.py

Prints JSON. Needs `taskset` (util-linux) for the one-core figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEEDSTACK = str(Path(sys.executable).with_name("seedstack"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, timeout: float = 30.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"simulator did not open port {port}")


def _pin(core: int | None) -> list[str]:
    return ["taskset", "-c", str(core)] if core is not None and shutil.which("taskset") else []


def start_simulator(port: int, core: int | None) -> subprocess.Popen[bytes]:
    cmd = [
        *_pin(core),
        SEEDSTACK,
        "simulate",
        "--port",
        str(port),
        "--ttft-ms",
        "100",
        "--itl-ms",
        "20",
        "--ttft-per-prompt-token-ms",
        "0",
        "--ttft-per-running-request-ms",
        "0",
        "--max-concurrency",
        "100000",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(port)
    return proc


def ours(url: str, rate: float, n: int, out_tokens: int, tmp: Path, core: int | None) -> dict[str, Any]:
    out = tmp / f"ours-{rate}.json"
    cmd = [
        *_pin(core),
        SEEDSTACK,
        "bench",
        "run",
        url,
        "--model",
        "simulator",
        "--rate",
        str(rate),
        "--arrival",
        "constant",
        "--requests",
        str(n),
        "--input-tokens",
        "64",
        "--output-tokens",
        str(out_tokens),
        "--no-save",
        "--out",
        str(out),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(tmp))
    doc = json.loads(out.read_text())
    s = doc["summary"]
    rows = doc["requests"]
    lags = np.array([r["lag_ms"] for r in rows])
    return {
        "rate": rate,
        "sent": len(rows),
        "failed": s["failed"],
        "ttft_p50_ms": s["ttft_ms"]["p50"],
        "itl_p50_ms": s["itl_ms"]["p50"],
        "tpot_p50_ms": s["tpot_ms"]["p50"],
        "e2e_p50_ms": s["e2e_ms"]["p50"],
        "lag_p50_ms": float(np.percentile(lags, 50)),
        "lag_p95_ms": float(np.percentile(lags, 95)),
        "lag_p99_ms": float(np.percentile(lags, 99)),
    }


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SEEDSTACK_HOME"] = str(tmp / "home")
    env["COLUMNS"] = "200"
    return env


def guidellm(
    exe: str, tokenizer: str, base: str, rate: float, n: int, out_tokens: int, tmp: Path, core: int | None
) -> dict[str, Any]:
    out = tmp / f"guidellm-{rate}.json"
    cmd = [
        *_pin(core),
        exe,
        "run",
        "--backend",
        f"kind=openai_http,target={base},model=simulator,request_format=/v1/chat/completions,"
        "validate_backend=false",
        "--profile",
        f"kind=constant,rate={rate}",
        "--constraint",
        f"kind=max_requests,count={n}",
        "--data",
        f"kind=synthetic_text,prompt_tokens=64,output_tokens={out_tokens}",
        "--tokenizer",
        f"kind=huggingface_auto,model={tokenizer}",
        "--output",
        f"kind=json,path={out}",
        "--disable-console",
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
    bench = json.loads(out.read_text())["benchmarks"][0]
    ok = bench["requests"]["successful"]
    bad = bench["requests"]["errored"] + bench["requests"]["incomplete"]
    lags = np.array(
        [
            max(0.0, r["info"]["timings"]["request_start"] - r["info"]["timings"]["targeted_start"]) * 1000
            for r in ok + bad
            if r["info"]["timings"].get("request_start")
        ]
    )
    return {
        "rate": rate,
        "sent": len(lags),
        "failed": len(bad),
        "ttft_p50_ms": float(np.median([r["time_to_first_token_ms"] for r in ok])),
        # GuideLLM's per-request ITL is (latency - TTFT) / (tokens - 1): vLLM calls that TPOT.
        "itl_as_tpot_p50_ms": float(np.median([r["inter_token_latency_ms"] for r in ok])),
        "e2e_p50_ms": float(np.median([r["request_latency"] for r in ok])) * 1000,
        "lag_p50_ms": float(np.percentile(lags, 50)),
        "lag_p95_ms": float(np.percentile(lags, 95)),
        "lag_p99_ms": float(np.percentile(lags, 99)),
    }


def _keeps_up(step: dict[str, Any], n: int, max_lag_ms: float) -> bool:
    return step["sent"] >= 0.98 * n and step["failed"] <= 0.01 * n and step["lag_p95_ms"] <= max_lag_ms


def capacity(run: Any, rates: list[float], seconds: float, max_lag_ms: float) -> dict[str, Any]:
    steps, best = [], None
    for rate in rates:
        n = max(20, int(rate * seconds))
        step = run(rate, n)
        step["keeps_up"] = _keeps_up(step, n, max_lag_ms)
        steps.append(step)
        if not step["keeps_up"]:
            break
        best = rate
    return {"max_rate_without_lag": best, "steps": steps}


def _pct(a: float, b: float) -> float:
    return round(abs(a - b) / b * 100, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--guidellm", default=str(ROOT / ".bench-venvs/guidellm/bin/guidellm"))
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--rate", type=float, default=10.0, help="the shared fixed rate for the agreement figure")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--max-lag-ms", type=float, default=10.0)
    ap.add_argument("--step-seconds", type=float, default=5.0)
    ap.add_argument("--skip-capacity", action="store_true")
    args = ap.parse_args()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    sim = start_simulator(port, core=1)
    report: dict[str, Any] = {
        "benchmark": "bench_loadgen",
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
    }
    try:
        with tempfile.TemporaryDirectory() as t:
            tmp = Path(t)
            a = ours(base + "/v1", args.rate, args.requests, 32, tmp, core=0)
            report["accuracy_vs_configured"] = {
                "configured": {"ttft_ms": 100.0, "itl_ms": 20.0},
                "measured": a,
                "ttft_err_pct": _pct(a["ttft_p50_ms"], 100.0),
                "itl_err_pct": _pct(a["itl_p50_ms"], 20.0),
                "tpot_err_pct": _pct(a["tpot_p50_ms"], 20.0),
            }
            g = guidellm(args.guidellm, args.tokenizer, base, args.rate, args.requests, 32, tmp, core=0)
            report["agreement_with_guidellm"] = {
                "rate": args.rate,
                "ours": a,
                "guidellm": g,
                "ttft_diff_pct": _pct(a["ttft_p50_ms"], g["ttft_p50_ms"]),
                "tpot_vs_guidellm_itl_diff_pct": _pct(a["tpot_p50_ms"], g["itl_as_tpot_p50_ms"]),
                "itl_vs_guidellm_itl_diff_pct": _pct(a["itl_p50_ms"], g["itl_as_tpot_p50_ms"]),
                "e2e_diff_pct": _pct(a["e2e_p50_ms"], g["e2e_p50_ms"]),
            }
            if not args.skip_capacity:
                secs, lag = args.step_seconds, args.max_lag_ms
                report["capacity_one_core"] = {
                    "criterion": f"client lag p95 <= {lag} ms and every request sent, {secs:g} s per step, "
                    "4 output tokens per request",
                    "ours": capacity(
                        lambda r, n: ours(base + "/v1", r, n, 4, tmp, core=0),
                        [100, 200, 400, 800, 1600, 3200],
                        secs,
                        lag,
                    ),
                    "guidellm": capacity(
                        lambda r, n: guidellm(args.guidellm, args.tokenizer, base, r, n, 4, tmp, core=0),
                        [5, 10, 20, 40, 80, 160, 320],
                        secs,
                        lag,
                    ),
                }
                o = report["capacity_one_core"]["ours"]["max_rate_without_lag"] or 0
                gg = report["capacity_one_core"]["guidellm"]["max_rate_without_lag"] or 0
                report["capacity_one_core"]["ratio"] = round(o / gg, 1) if gg else None
    finally:
        sim.terminate()
        sim.wait(10)
    report["loadavg_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
