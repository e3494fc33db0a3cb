"""The observability bars on a filled store (see obs_generate.py): search ≤ 2 s, why ≤ 300 ms,
dashboard overview ≤ 1 s; each against a baseline query measured in the same run.

    .venv/bin/python benchmarks/obs_bench.py --store sqlite:///benchmarks/results/obs-1m.db
    .venv/bin/python benchmarks/obs_bench.py --store "$PG" --cold 10 --skip-warm
    git archive ab42096 src | tar -x -C /tmp/base   # then --baseline-src /tmp/base/src: before/after

Prints JSON. Timings are medians of --repeat runs (the first run, which warms caches, is reported
separately as ``cold_ms``). The dashboard is timed as a full HTTP render of ``/ui/`` (auth, queries,
Jinja) through an in-process ASGI client. Payloads encrypted at rest (obs_generate.py --encrypt) are
read with the settings' data keyring, as the CLI does.

On PostgreSQL with pgvector (migration m0203), ``search_pgvector_vs_numpy`` times each search
case with the semantic part ranked in SQL (HNSW) and with the numpy scan of the same rows,
alternating the two engines run by run, and the semantic part alone; it reports the top-10 overlap.

``--cold N`` is what a user sees: N fresh processes each run ``seedstack why ID`` and N run
``seedstack why ID --json`` end to end (interpreter start, imports, settings, store, queries,
decryption, rendering), against fresh processes that only start Python, and run ``seedstack
version``; with ``--baseline-src`` the same two lines for the older checkout, run by run in
turn. ``first_call`` is a fresh process timing its first and second ``explain_request`` (the
dashboard's first why view after a restart). Wall time and the children's CPU time (user+sys) are
both reported; the package is byte-compiled first, as an installed one is, unless --no-compile.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import seedstack
from seedstack.config import load_settings
from seedstack.explain import SearchFilters, explain_request, search, sync_index
from seedstack.explain import hybrid_search as hybrid_search_module
from seedstack.explain.embed import HashedNgramEmbedder
from seedstack.explain.payload import Decryptor, keyring_decryptor
from seedstack.explain.rollup import refresh_rollups
from seedstack.store import open_store

PLANTED_ID = "req_bench_complaint"
ADMIN_KEY = "sk-bench-admin-key"


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, Any]:
    t = time.perf_counter()
    result = fn()
    cold = (time.perf_counter() - t) * 1000
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - t) * 1000)
    return {
        "cold_ms": round(cold, 1),
        "median_ms": round(statistics.median(runs), 1),
        "max_ms": round(max(runs), 1),
        "result": result,
    }


def _search(store: Any, q: str, f: SearchFilters, decrypt: Decryptor) -> list[str]:
    sync_index(store, decrypt=decrypt)  # what `seedstack search` does first: catch up on unindexed payloads
    return [h.request_id for h in search(store, q, f, limit=10, decrypt=decrypt)]


def _engine(name: str) -> None:
    """Pick the semantic engine search uses: 'pgvector' (the store's own answer) or 'numpy'."""
    from seedstack.explain.vector_index import pgvector_enabled

    hybrid_search_module.pgvector_enabled = pgvector_enabled if name == "pgvector" else (lambda _store: False)


def _paired(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, dict[str, Any]]:
    """Median ms of each engine's ``fn``, the engines alternating run by run (one warm-up each)."""
    runs: dict[str, list[float]] = {name: [] for name in fns}
    results: dict[str, Any] = {}
    for i in range(repeat + 1):
        for name, fn in fns.items():
            _engine(name)
            t = time.perf_counter()
            results[name] = fn()
            if i:
                runs[name].append((time.perf_counter() - t) * 1000)
    _engine("pgvector")
    return {
        name: {"median_ms": round(statistics.median(r), 1), "max_ms": round(max(r), 1), "result": results[name]}
        for name, r in runs.items()
    }


def pgvector_vs_numpy(store: Any, cases: dict[str, tuple[str, SearchFilters]], repeat: int, decrypt: Decryptor) -> Any:
    out: dict[str, Any] = {}
    both = ("pgvector", "numpy")
    for name, (q, f) in cases.items():
        full = _paired({e: lambda q=q, f=f: _search(store, q, f, decrypt) for e in both}, repeat)
        where, params = f.where("d.")
        qvec = HashedNgramEmbedder().embed([q])[0]
        semantic = _paired(
            {
                e: lambda w=where, p=params, v=qvec: hybrid_search_module._semantic_ids(store, v, w, p, 200, 100_000)
                for e in both
            },
            repeat,
        )
        ids = {e: full[e].pop("result") for e in both}
        sem = {e: semantic[e].pop("result") for e in both}
        out[name] = {
            "search_ms": {e: full[e] for e in both},
            "semantic_only_ms": {e: semantic[e] for e in both},
            "search_ratio_pgvector_vs_numpy": round(full["pgvector"]["median_ms"] / full["numpy"]["median_ms"], 2),
            "semantic_ratio_pgvector_vs_numpy": round(
                semantic["pgvector"]["median_ms"] / semantic["numpy"]["median_ms"], 3
            ),
            "planted_rank": {e: ids[e].index(PLANTED_ID) + 1 if PLANTED_ID in ids[e] else None for e in both},
            "top10_same_order": ids["pgvector"] == ids["numpy"],
            "top10_overlap": len(set(ids["pgvector"]) & set(ids["numpy"])),
            "semantic_top200_overlap": len(set(sem["pgvector"]) & set(sem["numpy"])),
            "semantic_sizes": {e: len(sem[e]) for e in both},
        }
    return out


_CLI = "import sys; from seedstack.cli.main import main; sys.argv[0] = 'seedstack'; main()"
_FIRST_CALL = """
import json, sys, time
from seedstack.config import load_settings
from seedstack.explain import explain_request
from seedstack.explain.payload import keyring_decryptor
from seedstack.store import open_store
settings = load_settings(store=sys.argv[1])
store = open_store(sys.argv[1])
decrypt = keyring_decryptor(settings)
times = []
for rid in sys.argv[2:4]:
    t = time.perf_counter()
    explain_request(store, rid, decrypt=decrypt)
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps(times))
"""


def _spawn(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall ms and CPU ms (user+sys) of one fresh process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=True)
    wall = (time.perf_counter() - t) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu, proc.stdout


def _summary(samples: list[tuple[float, float]]) -> dict[str, Any]:
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    return {
        "n": len(samples),
        "wall_median_ms": round(statistics.median(walls), 1),
        "wall_max_ms": round(max(walls), 1),
        "cpu_median_ms": round(statistics.median(cpus), 1),
    }


def cold(store_url: str, ids: list[str], compile_first: bool, baseline_src: str | None) -> dict[str, Any]:
    """Fresh processes: `seedstack why ID` and `seedstack why ID --json` end to end, against bare
    Python and `seedstack version` (and against an older checkout's `src/`, given one)."""
    pkg = Path(seedstack.__file__).parent
    if compile_first:
        compileall.compile_dir(str(pkg), quiet=1)
        if baseline_src:
            compileall.compile_dir(baseline_src, quiet=1)
    env = {**os.environ, "SEEDSTACK_STORE": store_url}
    old_env = {**env, "PYTHONPATH": baseline_src or ""}
    py = sys.executable
    runs: dict[str, list[tuple[float, float]]] = {
        k: [] for k in ("why_cli", "why_cli_json", "why_cli_baseline_src", "why_cli_json_baseline_src")
    }
    base, version, first = [], [], []
    for rid in ids:
        for suffix, extra in (("", []), ("_json", ["--json"])):
            if baseline_src:
                wall, cpu, text = _spawn([py, "-c", _CLI, "why", rid, *extra], old_env)
                assert rid in text, text[:200]
                runs[f"why_cli{suffix}_baseline_src"].append((wall, cpu))
            wall, cpu, text = _spawn([py, "-c", _CLI, "why", rid, *extra], env)
            assert rid in text, text[:200]
            runs[f"why_cli{suffix}"].append((wall, cpu))
        base.append(_spawn([py, "-c", "pass"], env)[:2])
        version.append(_spawn([py, "-c", _CLI, "version"], env)[:2])
    for i in range(0, len(ids) - 1, 2):
        first.append(json.loads(_spawn([py, "-c", _FIRST_CALL, store_url, ids[i], ids[i + 1]], env)[2]))
    res: dict[str, Any] = {
        "bytecode_compiled": compile_first,
        "why_cli": _summary(runs["why_cli"]),
        "why_cli_json": _summary(runs["why_cli_json"]),
        "baseline_python_start": _summary(base),
        "baseline_cli_version": _summary(version),
        "first_call_in_fresh_process_ms": {
            "first_median": round(statistics.median(f[0] for f in first), 1) if first else None,
            "second_median": round(statistics.median(f[1] for f in first), 1) if first else None,
        },
    }
    if baseline_src:
        for key in ("why_cli_baseline_src", "why_cli_json_baseline_src"):
            res[key] = {"src": baseline_src, **_summary(runs[key])}
    for key in ("why_cli", "why_cli_json"):
        res[key]["ratio_wall_vs_cli_version"] = round(
            res[key]["wall_median_ms"] / res["baseline_cli_version"]["wall_median_ms"], 2
        )
        res[key]["cpu_minus_cli_version_ms"] = round(
            res[key]["cpu_median_ms"] - res["baseline_cli_version"]["cpu_median_ms"], 1
        )
        if baseline_src:
            res[key]["ratio_wall_vs_baseline_src"] = round(
                res[key]["wall_median_ms"] / res[f"{key}_baseline_src"]["wall_median_ms"], 2
            )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cold", type=int, default=0, help="fresh-process `seedstack why` runs (0: skip)")
    ap.add_argument("--no-compile", action="store_true", help="cold runs without byte-compiling first")
    ap.add_argument("--skip-warm", action="store_true", help="only the --cold measurements")
    ap.add_argument("--baseline-src", help="also time cold `why` with this older checkout's src/ first on sys.path")
    ap.add_argument("--search-only", action="store_true", help="stop after the search measurements")
    args = ap.parse_args()
    settings = load_settings(store=args.store)
    decrypt = keyring_decryptor(settings)
    store = open_store(args.store)
    now = time.time()
    out: dict[str, Any] = {"store": store.dialect}
    out["records"] = store.query_one("SELECT COUNT(*) FROM requests")[0]
    out["payloads"] = store.query_one("SELECT COUNT(*) FROM payloads")[0]
    out["payloads_encrypted"] = store.query_one("SELECT COUNT(*) FROM payloads WHERE key_ref IS NOT NULL")[0]
    out["index_rows_blind"] = store.query_one("SELECT COUNT(*) FROM obs_docs WHERE blind = 1")[0]

    if args.cold:
        sampled = [r[0] for r in store.query("SELECT request_id FROM payloads ORDER BY ts DESC LIMIT ?", (args.cold,))]
        meta_only = "SELECT id FROM requests WHERE payload_kept = 0 ORDER BY ts DESC LIMIT ?"
        unsampled = [r[0] for r in store.query(meta_only, (args.cold,))]
        mixed = [rid for pair in zip(sampled, unsampled, strict=False) for rid in pair][: args.cold]
        out["why_cold"] = cold(args.store, mixed, not args.no_compile, args.baseline_src)
        if args.skip_warm:
            store.close()
            print(json.dumps(out, indent=2))
            return

    t = time.perf_counter()
    sync_index(store, decrypt=decrypt)
    out["sync_index_first_ms"] = round((time.perf_counter() - t) * 1000, 1)
    t = time.perf_counter()
    sync_index(store, decrypt=decrypt)
    out["sync_index_noop_ms"] = round((time.perf_counter() - t) * 1000, 1)

    cases = {
        "complaint+customer+2d": ("refund was denied", SearchFilters(customer="acme", since=now - 2 * 86400)),
        "complaint+customer": ("refund was denied", SearchFilters(customer="acme")),
        "text+template+status+7d": (
            "refund order",
            SearchFilters(template="support-refund", status="ok", since=now - 7 * 86400),
        ),
        "text, no filter": ("refund was denied", SearchFilters()),
    }
    out["search"] = {}
    for name, (q, f) in cases.items():
        r = timed(lambda q=q, f=f: _search(store, q, f, decrypt), args.repeat)
        where, params = f.where("d.")
        base = timed(
            lambda w=where, p=params: store.query(f"SELECT COUNT(*) FROM obs_docs d WHERE {w}", p), args.repeat
        )
        ids = r.pop("result")
        base.pop("result")
        out["search"][name] = {
            **r,
            "planted_rank": ids.index(PLANTED_ID) + 1 if PLANTED_ID in ids else None,
            "baseline_count_candidates_ms": base["median_ms"],
            "ratio_vs_baseline": round(r["median_ms"] / max(base["median_ms"], 0.01), 1),
        }

    from seedstack.explain.vector_index import pgvector_enabled

    out["pgvector"] = pgvector_enabled(store)
    if out["pgvector"]:
        out["search_pgvector_vs_numpy"] = pgvector_vs_numpy(store, cases, args.repeat, decrypt)
        if args.search_only:
            store.close()
            print(json.dumps(out, indent=2))
            return

    sampled = [r[0] for r in store.query("SELECT request_id FROM payloads ORDER BY ts DESC LIMIT 20")]
    unsampled = [r[0] for r in store.query("SELECT id FROM requests WHERE payload_kept = 0 ORDER BY ts DESC LIMIT 20")]
    for label, ids in (("why_sampled", sampled), ("why_metadata_only", unsampled)):
        times, pk = [], []
        for rid in ids:
            t = time.perf_counter()
            explain_request(store, rid, decrypt=decrypt)
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            store.query("SELECT * FROM requests WHERE id = ?", (rid,))
            pk.append((time.perf_counter() - t) * 1000)
        out[label] = {
            "n": len(ids),
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "baseline_pk_lookup_ms": round(statistics.median(pk), 2),
            "ratio_vs_baseline": round(statistics.median(times) / max(statistics.median(pk), 0.01), 1),
        }

    from starlette.testclient import TestClient

    from seedstack.http.ui import create_ui_app

    digest = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    if not store.query_one("SELECT 1 FROM api_keys WHERE hash = ?", (digest,)):
        store.execute(
            "INSERT INTO api_keys (id, name, hash, prefix, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("key_bench_admin", "bench", digest, "sk-bench", "admin", now),
        )
    client = TestClient(create_ui_app(SimpleNamespace(settings=settings, store=store)))
    headers = {"authorization": f"Bearer {ADMIN_KEY}"}

    def render() -> int:
        resp = client.get("/ui/", headers=headers)
        assert resp.status_code == 200, resp.status_code
        return len(resp.text)

    t = time.perf_counter()
    hours = refresh_rollups(store)
    out["rollup_build_once"] = {"hours": hours, "ms": round((time.perf_counter() - t) * 1000, 1)}
    r = timed(render, args.repeat)
    r.pop("result")
    why_ids = sampled[:3]

    def render_why() -> int:
        total = 0
        for rid in why_ids:
            resp = client.get(f"/ui/requests/{rid}", headers=headers)
            assert resp.status_code == 200, resp.status_code
            total += len(resp.text)
        return total

    w = timed(render_why, args.repeat)
    w.pop("result")
    out["dashboard_why_view"] = {k: round(v / len(why_ids), 1) for k, v in w.items()}
    since = now - 86400
    base = timed(lambda: store.query("SELECT COUNT(*) FROM requests WHERE ts >= ?", (since,)), args.repeat)
    base.pop("result")
    out["dashboard_overview_24h"] = {
        **r,
        "baseline_count_24h_ms": base["median_ms"],
        "ratio_vs_baseline": round(r["median_ms"] / max(base["median_ms"], 0.01), 1),
    }
    store.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
