"""``eval run``: send every case to a model alias through the gateway, score it, aggregate.

Cases go through the gateway like production traffic (tagged ``eval``), so an eval run is traced
and costed too. Aggregates carry bootstrap 95% intervals, because a suite of a few hundred cases
measures a score only to within a few points and the gate must know how far.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from ..errors import ConfigError, SeedstackError
from .judge import JudgeClient
from .scorers import ScoreContext, ScoreResult, run_scorer
from .stats import bootstrap_ci
from .suite import EvalCase, EvalSuite

__all__ = ["CaseOutcome", "EvalRun", "aggregate", "run_suite", "run_suite_sync"]

OVERALL = "overall"


@dataclass(slots=True)
class CaseOutcome:
    case_id: str
    tags: list[str]
    output: str
    scores: dict[str, ScoreResult] = field(default_factory=dict)
    error: str | None = None

    @property
    def overall(self) -> float:
        return sum(s.score for s in self.scores.values()) / len(self.scores) if self.scores else 0.0


@dataclass(slots=True)
class EvalRun:
    id: str
    ts: float
    suite: str
    suite_hash: str
    model: str
    model_version: str | None
    tag: str | None
    outcomes: list[CaseOutcome]
    aggregates: dict[str, Any]


def _stat(values: Sequence[float], samples: int) -> dict[str, float | int]:
    mean, low, high = bootstrap_ci(values, samples=samples)
    return {"mean": mean, "ci_low": low, "ci_high": high, "n": len(values)}


def aggregate(outcomes: Sequence[CaseOutcome], samples: int = 2000) -> dict[str, Any]:
    """Per scorer, overall (a case's mean over its scorers) and per tag, each with a 95% CI."""
    by_scorer: dict[str, list[float]] = {}
    by_tag: dict[str, list[float]] = {}
    for o in outcomes:
        for name, s in o.scores.items():
            by_scorer.setdefault(name, []).append(s.score)
        for t in o.tags:
            by_tag.setdefault(t, []).append(o.overall)
    return {
        OVERALL: _stat([o.overall for o in outcomes], samples),
        "scorers": {k: _stat(v, samples) for k, v in sorted(by_scorer.items())},
        "tags": {k: _stat(v, samples) for k, v in sorted(by_tag.items())},
        "errors": sum(1 for o in outcomes if o.error),
    }


async def _complete(session: aiohttp.ClientSession, url: str, model: str, api_key: str | None, case: EvalCase) -> str:
    body = {"model": model, "messages": case.messages, "temperature": 0, **case.params}
    headers = {"Content-Type": "application/json", "x-seedstack-tags": "eval"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    async with session.post(url, data=orjson.dumps(body), headers=headers) as resp:
        raw = await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"http {resp.status}: {raw[:200].decode(errors='replace')}")
    return str(orjson.loads(raw)["choices"][0]["message"].get("content") or "")


async def run_suite(
    suite: EvalSuite,
    cases: Sequence[EvalCase],
    *,
    base_url: str,
    model: str,
    api_key: str | None = None,
    judge: JudgeClient | None = None,
    concurrency: int = 8,
    timeout_s: float = 120.0,
    progress: Callable[[int, int], None] | None = None,
) -> list[CaseOutcome]:
    """Outcomes in case order. A case whose model call fails scores 0 and carries the error."""
    url = base_url.rstrip("/") + "/chat/completions"
    gate = asyncio.Semaphore(concurrency)
    done = 0
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        ctx = ScoreContext(judge=judge, session=session)

        async def one(case: EvalCase) -> CaseOutcome:
            nonlocal done
            async with gate:
                outcome = CaseOutcome(case.id, case.tags, "")
                try:
                    outcome.output = await _complete(session, url, model, api_key, case)
                except (aiohttp.ClientError, TimeoutError, RuntimeError, KeyError, ValueError) as exc:
                    outcome.error = f"model call failed: {type(exc).__name__}: {exc}"[:300]
                for spec in suite.scorers_for(case):
                    if outcome.error:
                        outcome.scores[spec.name] = ScoreResult(0.0, {"error": outcome.error})
                        continue
                    try:
                        outcome.scores[spec.name] = await run_scorer(spec, case, outcome.output, ctx)
                    except ConfigError:
                        raise
                    except SeedstackError as exc:
                        outcome.scores[spec.name] = ScoreResult(0.0, {"error": str(exc)[:300]})
                        outcome.error = str(exc)[:300]
            done += 1
            if progress is not None:
                progress(done, len(cases))
            return outcome

        return list(await asyncio.gather(*(one(c) for c in cases)))


def run_suite_sync(
    suite: EvalSuite,
    *,
    base_url: str,
    model: str,
    api_key: str | None = None,
    judge: JudgeClient | None = None,
    tags: list[str] | None = None,
    run_tag: str | None = None,
    model_version: str | None = None,
    concurrency: int = 8,
    bootstrap_samples: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    cases = suite.select(tags)
    if not cases:
        raise ConfigError(f"no case in suite {suite.name!r} has any of the tags {tags}")
    outcomes = asyncio.run(
        run_suite(
            suite,
            cases,
            base_url=base_url,
            model=model,
            api_key=api_key,
            judge=judge,
            concurrency=concurrency,
            progress=progress,
        )
    )
    return EvalRun(
        id=uuid.uuid4().hex,
        ts=time.time(),
        suite=suite.name,
        suite_hash=suite.digest,
        model=model,
        model_version=model_version,
        tag=run_tag,
        outcomes=outcomes,
        aggregates=aggregate(outcomes, bootstrap_samples),
    )
