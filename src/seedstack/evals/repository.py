"""Eval runs, per-case results, the judge cache and online scores, in the store.

Per-case rows are what make the gate paired (same case, two runs) and what lets it name the cases
that flipped; ``eval_scores`` is keyed by request id so ``why`` can show a request's judgement.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from ..errors import NotFoundError
from ..store import Store
from .judge import Verdict
from .runner import EvalRun

__all__ = ["EvalRepository"]


class EvalRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    # --- runs ------------------------------------------------------------------------------
    def save_run(self, run: EvalRun) -> str:
        def write(tx: Any) -> None:
            tx.execute(
                "INSERT INTO eval_runs (id, ts, suite, suite_hash, model, model_version, tag, n_cases, "
                "aggregates) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.id,
                    run.ts,
                    run.suite,
                    run.suite_hash,
                    run.model,
                    run.model_version,
                    run.tag,
                    len(run.outcomes),
                    orjson.dumps(run.aggregates).decode(),
                ),
            )
            for o in run.outcomes:
                for name, s in o.scores.items():
                    tx.execute(
                        "INSERT INTO eval_results (run_id, case_id, scorer, score, output, detail) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (run.id, o.case_id, name, s.score, o.output, orjson.dumps(s.detail).decode()),
                    )

        self.store.transaction(write)
        return run.id

    def get_run(self, run_id: str) -> dict[str, Any]:
        rows = self.store.query_dicts("SELECT * FROM eval_runs WHERE id = ?", (run_id,))
        if not rows:
            raise NotFoundError(f"no eval run {run_id}; list runs with `seedstack eval list`")
        row = rows[0]
        row["aggregates"] = orjson.loads(row["aggregates"])
        return row

    def resolve(self, run_or_tag: str, *, suite: str | None = None, exclude: str | None = None) -> dict[str, Any]:
        """A run id, else the newest run carrying that tag (in ``suite`` when given)."""
        if self.store.query_one("SELECT 1 FROM eval_runs WHERE id = ?", (run_or_tag,)):
            return self.get_run(run_or_tag)
        sql, params = "SELECT id FROM eval_runs WHERE tag = ?", [run_or_tag]
        if suite:
            sql += " AND suite = ?"
            params.append(suite)
        if exclude:
            sql += " AND id <> ?"
            params.append(exclude)
        row = self.store.query_one(sql + " ORDER BY ts DESC LIMIT 1", params)
        if row is None:
            raise NotFoundError(
                f"no eval run or tag {run_or_tag!r}; record one with `seedstack eval run SUITE --tag {run_or_tag}`"
            )
        return self.get_run(row[0])

    def latest(self, *, suite: str | None = None, exclude: str | None = None) -> dict[str, Any]:
        sql, params = "SELECT id FROM eval_runs WHERE 1 = 1", []
        if suite:
            sql += " AND suite = ?"
            params.append(suite)
        if exclude:
            sql += " AND id <> ?"
            params.append(exclude)
        row = self.store.query_one(sql + " ORDER BY ts DESC LIMIT 1", params)
        if row is None:
            raise NotFoundError("no eval run to gate; run `seedstack eval run SUITE --model ALIAS` first")
        return self.get_run(row[0])

    def list_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.store.query_dicts(
            "SELECT id, ts, suite, model, model_version, tag, n_cases, aggregates FROM eval_runs "
            "ORDER BY ts DESC LIMIT ?",
            (limit,),
        )

    def case_scores(self, run_id: str) -> dict[str, dict[str, float]]:
        """{scorer: {case_id: score}} for one run."""
        out: dict[str, dict[str, float]] = {}
        for case_id, scorer, score in self.store.query(
            "SELECT case_id, scorer, score FROM eval_results WHERE run_id = ?", (run_id,)
        ):
            out.setdefault(scorer, {})[case_id] = float(score)
        return out

    def outputs(self, run_id: str) -> dict[str, str]:
        return {
            r[0]: r[1] or ""
            for r in self.store.query("SELECT DISTINCT case_id, output FROM eval_results WHERE run_id = ?", (run_id,))
        }

    # --- judge cache (implements evals.judge.JudgeCache) -----------------------------------
    def get(self, key: str) -> Verdict | None:
        row = self.store.query_one("SELECT score, verdict FROM judge_cache WHERE key = ?", (key,))
        if row is None:
            return None
        data = orjson.loads(row[1])
        return Verdict(float(row[0]), data["label"], data.get("reply", ""), True, data.get("detail", {}))

    def put(self, key: str, judge_model: str, verdict: Verdict) -> None:
        blob = orjson.dumps({"label": verdict.label, "reply": verdict.reply, "detail": verdict.detail}).decode()

        def write(tx: Any) -> None:
            tx.execute("DELETE FROM judge_cache WHERE key = ?", (key,))
            tx.execute(
                "INSERT INTO judge_cache (key, ts, judge_model, score, verdict) VALUES (?, ?, ?, ?, ?)",
                (key, time.time(), judge_model, verdict.score, blob),
            )

        self.store.transaction(write)

    # --- online scores ---------------------------------------------------------------------
    def save_score(
        self, request_id: str, scorer: str, score: float, judge_model: str | None, detail: dict[str, Any]
    ) -> None:
        def write(tx: Any) -> None:
            tx.execute("DELETE FROM eval_scores WHERE request_id = ? AND scorer = ?", (request_id, scorer))
            tx.execute(
                "INSERT INTO eval_scores (request_id, scorer, ts, score, judge_model, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (request_id, scorer, time.time(), score, judge_model, orjson.dumps(detail).decode()),
            )

        self.store.transaction(write)

    def scores_for_request(self, request_id: str) -> list[dict[str, Any]]:
        """What ``why`` shows: every judgement attached to one request."""
        rows = self.store.query_dicts(
            "SELECT scorer, ts, score, judge_model, detail FROM eval_scores WHERE request_id = ? ORDER BY scorer",
            (request_id,),
        )
        for r in rows:
            r["detail"] = orjson.loads(r["detail"]) if r["detail"] else {}
        return rows
