"""Does `eval gate` catch a planted 5-point regression in a 200-case suite, and pass an unchanged model?

For each seed, a "model" is a per-case pass probability: most cases are deterministic (always pass
or always fail, as at temperature 0) and a share of them are noisy (re-runs disagree). We record:
  - a baseline run;
  - an unchanged re-run (same probabilities, fresh sampling noise);
  - a regressed run: 10 of the always-passing cases now always fail (an expected 5-point drop).
Each run goes through the real path: EvalRepository writes it to a SQLite store, the gate reads the
per-case scores back and applies the same rule as `seedstack eval gate --max-drop 2%`.

Prints JSON: false-alarm rate (unchanged flagged) and miss rate (regression passed) over 20 seeds,
for several noise levels.

    .venv/bin/python benchmarks/bench_eval_gate.py [--seeds 20] [--cases 200]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from seedstack.evals import EvalRepository, gate
from seedstack.evals.runner import CaseOutcome, EvalRun, aggregate
from seedstack.evals.scorers import ScoreResult
from seedstack.store import open_store


def _probabilities(rng: np.random.Generator, n: int, noisy_share: float, base_rate: float) -> np.ndarray:
    p = (rng.random(n) < base_rate).astype(np.float64)
    noisy = rng.random(n) < noisy_share
    p[noisy] = rng.uniform(0.2, 0.8, size=int(noisy.sum()))
    return p


def _record(repo: EvalRepository, rng: np.random.Generator, p: np.ndarray, tag: str) -> str:
    passed = rng.random(p.size) < p
    outcomes = [CaseOutcome(f"case-{i}", [], "", {"exact": ScoreResult(float(ok))}) for i, ok in enumerate(passed)]
    run = EvalRun(uuid.uuid4().hex, time.time(), "planted", "x", "m", None, tag, outcomes, aggregate(outcomes, 200))
    return repo.save_run(run)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--drop-points", type=float, default=5.0)
    ap.add_argument("--max-drop", type=float, default=0.02)
    args = ap.parse_args()
    planted = round(args.cases * args.drop_points / 100)
    results = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'gate.db'}")
        repo = EvalRepository(store)
        for noisy_share in (0.0, 0.05, 0.10, 0.20):
            false_alarms = misses = 0
            observed_drops = []
            for seed in range(args.seeds):
                rng = np.random.default_rng(seed)
                p = _probabilities(rng, args.cases, noisy_share, base_rate=0.75)
                always = np.flatnonzero(p == 1.0)
                regressed = p.copy()
                regressed[rng.choice(always, size=planted, replace=False)] = 0.0
                base = repo.case_scores(_record(repo, rng, p, "base"))
                same = repo.case_scores(_record(repo, rng, p, "same"))
                worse = repo.case_scores(_record(repo, rng, regressed, "worse"))
                g_same = gate(base, same, max_drop=args.max_drop, seed=seed)
                g_worse = gate(base, worse, max_drop=args.max_drop, seed=seed)
                false_alarms += g_same.failed
                misses += not g_worse.failed
                observed_drops.append(-next(c.delta for c in g_worse.checks if c.metric == "overall"))
            results.append(
                {
                    "noisy_case_share": noisy_share,
                    "seeds": args.seeds,
                    "false_alarm_rate": false_alarms / args.seeds,
                    "miss_rate": misses / args.seeds,
                    "observed_drop_points_mean": round(float(np.mean(observed_drops)) * 100, 2),
                    "observed_drop_points_min": round(float(np.min(observed_drops)) * 100, 2),
                }
            )
        store.close()
    print(
        json.dumps(
            {
                "benchmark": "eval_gate_planted_regression",
                "cases": args.cases,
                "planted_drop_points": args.drop_points,
                "max_drop": args.max_drop,
                "rule": "fail when drop > max_drop and paired sign-flip p < 0.05 (overall and per scorer)",
                "results": results,
                "wall_s": round(time.perf_counter() - t0, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
