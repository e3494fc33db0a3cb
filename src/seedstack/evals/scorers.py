"""Scorers: each turns (case, model output) into a score in [0, 1] plus a short detail.

Deterministic scorers (exact, contains, regex, json_schema, numeric, embedding) are cheap and run
first; the judge scorers call an LLM through the gateway. All are registered in ``SCORERS`` the same
way a plugin would add one, so a suite can name any of them by ``type``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from ..errors import ConfigError, MissingExtraError
from .embedding import cosine_similarity
from .judge import JudgeClient
from .suite import EvalCase, ScorerSpec

__all__ = ["SCORERS", "ScoreContext", "ScoreResult", "run_scorer"]

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


@dataclass(slots=True)
class ScoreResult:
    score: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ScoreContext:
    """What a scorer may need beyond the case: the judge and an HTTP session to reach it."""

    judge: JudgeClient | None = None
    session: aiohttp.ClientSession | None = None


Scorer = Callable[[ScorerSpec, EvalCase, str, ScoreContext], Awaitable[ScoreResult]]


def _expected(spec: ScorerSpec, case: EvalCase) -> str:
    value = spec.params.get("value", case.reference)
    if value is None:
        raise ConfigError(f"case {case.id!r}: scorer {spec.type!r} needs a 'reference' on the case or a 'value'")
    return str(value)


def _norm(text: str, spec: ScorerSpec) -> str:
    text = text.strip()
    return text.lower() if spec.params.get("ignore_case", False) else text


async def _exact(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    return ScoreResult(float(_norm(output, spec) == _norm(_expected(spec, case), spec)))


async def _contains(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    needle = _expected(spec, case)
    if spec.params.get("ignore_case", True):
        return ScoreResult(float(needle.lower() in output.lower()))
    return ScoreResult(float(needle in output))


async def _regex(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    pattern = spec.params.get("pattern")
    if not isinstance(pattern, str):
        raise ConfigError(f"case {case.id!r}: the regex scorer needs 'pattern'")
    try:
        found = re.search(pattern, output, re.IGNORECASE if spec.params.get("ignore_case") else 0)
    except re.error as exc:
        raise ConfigError(f"case {case.id!r}: bad regex {pattern!r}: {exc}") from None
    return ScoreResult(float(found is not None))


async def _json_schema(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - depends on the install
        raise MissingExtraError("the json_schema scorer", "evals") from None
    schema = spec.params.get("schema", {})
    try:
        doc = orjson.loads(_FENCE.sub("", output.strip()))
    except orjson.JSONDecodeError:
        return ScoreResult(0.0, {"reason": "output is not JSON"})
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as exc:
        return ScoreResult(0.0, {"reason": exc.message[:200]})
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"case {case.id!r}: invalid JSON schema: {exc.message}") from None
    return ScoreResult(1.0)


async def _numeric(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    expected = float(_expected(spec, case).replace(",", ""))
    found = _NUMBER.findall(output)
    if not found:
        return ScoreResult(0.0, {"reason": "no number in output"})
    got = float(found[-1].replace(",", ""))  # the final number is usually the answer
    tol = float(spec.params.get("tolerance", 0.0))
    rel = float(spec.params.get("rel_tolerance", 0.0))
    ok = abs(got - expected) <= max(tol, rel * abs(expected))
    return ScoreResult(float(ok), {"got": got, "expected": expected})


async def _embedding(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    sim = cosine_similarity(output, _expected(spec, case))
    threshold = float(spec.params.get("threshold", 0.8))
    return ScoreResult(float(sim >= threshold), {"similarity": round(sim, 4), "threshold": threshold})


def _judge_ready(spec: ScorerSpec, case: EvalCase, ctx: ScoreContext) -> tuple[JudgeClient, aiohttp.ClientSession, str]:
    if ctx.judge is None or ctx.session is None:
        raise ConfigError("the judge scorer needs a judge model: set evals.judge in seedstack.yaml or --judge")
    rubric = spec.params.get("rubric")
    if not isinstance(rubric, str) or not rubric.strip():
        raise ConfigError(f"case {case.id!r}: the {spec.type} scorer needs a 'rubric'")
    return ctx.judge, ctx.session, rubric


async def _judge(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    judge, session, rubric = _judge_ready(spec, case, ctx)
    scale = spec.params.get("scale")
    v = await judge.grade(
        session,
        case_id=case.id,
        question=case.prompt,
        output=output,
        rubric=rubric,
        reference=case.reference,
        scale=int(scale) if scale else None,
    )
    return ScoreResult(v.score, {"verdict": v.label, "cached": v.cached, **v.detail})


async def _pairwise(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    judge, session, rubric = _judge_ready(spec, case, ctx)
    other = _expected(spec, case)
    v = await judge.pairwise(session, case_id=case.id, question=case.prompt, output=output, other=other, rubric=rubric)
    return ScoreResult(v.score, {"verdict": v.label, "cached": v.cached, **v.detail})


SCORERS: dict[str, Scorer] = {
    "exact": _exact,
    "contains": _contains,
    "regex": _regex,
    "json_schema": _json_schema,
    "numeric": _numeric,
    "embedding": _embedding,
    "judge": _judge,
    "pairwise": _pairwise,
}


async def run_scorer(spec: ScorerSpec, case: EvalCase, output: str, ctx: ScoreContext) -> ScoreResult:
    fn = SCORERS.get(spec.type)
    if fn is None:
        raise ConfigError(f"unknown scorer {spec.type!r}; choose one of: {', '.join(sorted(SCORERS))}")
    return await fn(spec, case, output, ctx)
