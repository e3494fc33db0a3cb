"""Latency of the whole input guard (injection + PII + secrets) on one core; prints JSON.

    .venv/bin/python benchmarks/guard_latency.py [--iters 3000] [--baseline-ref REV]

- 2 KB prompts: p50/p99 of ``check_input`` on one user message (cycling through 64 distinct prompts
  built from the benign dev texts, some with PII), against a baseline measured in the same run: the
  JSON round trip of the same request body (work the gateway does anyway).
- Scaling: time per KB for 1, 2, 10, 50 and 100 KB inputs; linear means a flat per-KB cost.
- Streaming: the extra delay (``held_ms``) and scan time when a 4 KB answer arrives in 20-char chunks.
- Model load time.

``--baseline-ref REV`` first runs the same measurements on the guard code of git revision ``REV``
(``git archive REV src`` into a temporary directory, imported through ``--src``) in a subprocess on the
same core, then on the working tree, and prints both plus new/old ratios.

Wall-clock figures include time the process waits for the CPU on a shared machine; ``cpu_*`` figures
(thread CPU time) are the guard's own cost on one core. The load average is printed alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[sys.argv.index("--src") + 1]) if "--src" in sys.argv[:-1] else ROOT / "src"
sys.path.insert(0, str(SRC))

from seedstack.config.guard import GuardPolicy  # noqa: E402
from seedstack.guard import GuardEngine  # noqa: E402

# The shared training/dev data sit beside the checkout (../shared); SEEDSTACK_SHARED overrides.
_SHARED = Path(os.environ.get("SEEDSTACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DEV = _SHARED / "data/guard/dev.jsonl"
PII = [
    "Reach me at ann.lee@example.com or (415) 555-0132.",
    "My card is 4111 1111 1111 1111.",
    "SSN 123-45-6789, born 14/03/1985.",
    "Server 10.0.3.17 is down.",
]


def _prompts(size: int, n: int, rng: random.Random) -> list[str]:
    texts = [json.loads(line)["text"] for line in DEV.open() if json.loads(line)["label"] == 0]
    out = []
    for i in range(n):
        buf = []
        while sum(map(len, buf)) < size:
            buf.append(rng.choice(texts)[:800])
            if i % 2 == 0:
                buf.append(rng.choice(PII))
        out.append(" ".join(buf)[:size])
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=3000)
    ap.add_argument("--src", type=Path, default=None, help="import seedstack from this src directory")
    ap.add_argument("--baseline-ref", default=None, help="also measure this git revision first; print ratios")
    args = ap.parse_args()
    baseline = _baseline(args.baseline_ref, args.iters) if args.baseline_ref else None
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rng = random.Random(7)

    t0 = time.perf_counter()
    engine = GuardEngine.default()
    load_ms = (time.perf_counter() - t0) * 1000
    policy = GuardPolicy(input={"injection": "flag", "secrets": "flag", "pii": "redact"})

    prompts = _prompts(2048, 64, rng)
    for p in prompts:  # warm-up
        engine.check_input([{"role": "user", "content": p}], policy)
    guard_ms, guard_cpu_ms, base_ms = [], [], []
    for i in range(args.iters):
        msgs = [{"role": "user", "content": prompts[i % len(prompts)]}]
        c = time.thread_time_ns()
        t = time.perf_counter()
        engine.check_input(msgs, policy)
        guard_ms.append((time.perf_counter() - t) * 1000)
        guard_cpu_ms.append((time.thread_time_ns() - c) / 1e6)
        body = orjson.dumps({"model": "chat", "messages": msgs})
        t = time.perf_counter()
        orjson.loads(body)
        orjson.dumps({"model": "chat", "messages": msgs})
        base_ms.append((time.perf_counter() - t) * 1000)

    scaling = {}
    for kb in (1, 2, 10, 50, 100):
        texts = _prompts(kb * 1024, 4, rng)
        reps = max(3, 200 // kb)
        times = []
        for r in range(reps):
            t = time.perf_counter()
            engine.check_input([{"role": "user", "content": texts[r % 4]}], policy)
            times.append((time.perf_counter() - t) * 1000)
        med = statistics.median(times)
        scaling[f"{kb}KB"] = {"median_ms": round(med, 4), "ms_per_kb": round(med / kb, 4)}
    per_kb = [v["ms_per_kb"] for v in scaling.values()]

    answer = " ".join(_prompts(4096, 1, rng))
    chunks = [answer[i : i + 20] for i in range(0, len(answer), 20)]
    scanner = engine.output_scanner(GuardPolicy(), system_prompt="You are a helpful assistant.", restore=None)
    t = time.perf_counter()
    out = "".join(scanner.feed(c) for c in chunks) + scanner.finish()
    stream_ms = (time.perf_counter() - t) * 1000

    result = {
        "bench": "guard_latency",
        "cpu_pinned": True,
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "model_load_ms": round(load_ms, 1),
        "input_guard_2kb": {
            "p50_ms": round(_pct(guard_ms, 0.5), 4),
            "p99_ms": round(_pct(guard_ms, 0.99), 4),
            "mean_ms": round(statistics.fmean(guard_ms), 4),
            "cpu_p50_ms": round(_pct(guard_cpu_ms, 0.5), 4),
            "cpu_p99_ms": round(_pct(guard_cpu_ms, 0.99), 4),
            "iters": args.iters,
        },
        "baseline_json_roundtrip_2kb": {
            "p50_ms": round(_pct(base_ms, 0.5), 4),
            "p99_ms": round(_pct(base_ms, 0.99), 4),
        },
        "ratio_p50_guard_over_json": round(_pct(guard_ms, 0.5) / max(_pct(base_ms, 0.5), 1e-9), 1),
        "scaling": scaling,
        "per_kb_cost_100kb_over_2kb": round(scaling["100KB"]["ms_per_kb"] / scaling["2KB"]["ms_per_kb"], 2),
        "per_kb_spread_max_over_min": round(max(per_kb) / min(per_kb), 2),
        "stream_4kb_20char_chunks": {
            "chunks": len(chunks),
            "total_scan_ms": round(stream_ms, 3),
            "held_ms_max": round(scanner.held_ms, 3),
            "hold_back_chars": scanner.hold,
            "output_intact": out == answer,
        },
    }
    if baseline is not None:
        new, old = result["input_guard_2kb"], baseline["input_guard_2kb"]
        result = {
            "baseline_ref": args.baseline_ref,
            "baseline": baseline,
            "current": result,
            "ratio_current_over_baseline": {
                k: round(new[k] / max(old[k], 1e-9), 3) for k in ("p50_ms", "p99_ms", "cpu_p50_ms", "cpu_p99_ms")
            },
        }
    print(json.dumps(result, indent=1))


def _baseline(ref: str, iters: int) -> dict:
    """The same benchmark on the guard code of git revision ``ref`` (a subprocess on the same core)."""
    with tempfile.TemporaryDirectory() as d:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", d], input=archive.stdout, check=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--iters", str(iters), "--src", str(Path(d) / "src")],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(proc.stdout)


if __name__ == "__main__":
    main()
