"""The LLM judge: a rubric prompt sent to a model alias *through the gateway*.

Why through the gateway: the judge's own calls are then authenticated, traced and costed like any
other traffic, so "what did CI spend on judging?" has an answer. Verdicts are cached by
(case, output, judge model, rubric), so re-running an unchanged suite costs nothing. Pairwise mode
asks twice with the answers' positions swapped and averages, which cancels a judge's preference
for whichever answer comes first.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import orjson

from ..errors import UpstreamError

__all__ = [
    "JudgeCache",
    "JudgeClient",
    "MemoryJudgeCache",
    "Verdict",
    "cache_key",
    "grade_prompt",
    "pairwise_prompt",
]

_VERDICT = re.compile(r"VERDICT:\s*(PASS|FAIL)", re.IGNORECASE)
_SCORE = re.compile(r"SCORE:\s*([0-9]+(?:\.[0-9]+)?)", re.IGNORECASE)
_WINNER = re.compile(r"WINNER:\s*(A|B|TIE)\b", re.IGNORECASE)


@dataclass(slots=True)
class Verdict:
    score: float
    label: str
    reply: str = ""
    cached: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


class JudgeCache(Protocol):
    def get(self, key: str) -> Verdict | None: ...
    def put(self, key: str, judge_model: str, verdict: Verdict) -> None: ...


class MemoryJudgeCache:
    """For tests and one-off runs; ``EvalRepository`` provides the store-backed cache."""

    def __init__(self) -> None:
        self._items: dict[str, Verdict] = {}

    def get(self, key: str) -> Verdict | None:
        return self._items.get(key)

    def put(self, key: str, judge_model: str, verdict: Verdict) -> None:
        self._items[key] = verdict


def cache_key(case_id: str, output: str, judge_model: str, rubric: str, *extra: str) -> str:
    return hashlib.sha256(orjson.dumps([case_id, output, judge_model, rubric, *extra])).hexdigest()


def grade_prompt(rubric: str, question: str, output: str, reference: str | None, scale: int | None = None) -> str:
    """The exact user message the judge receives (tests script the simulator's replies with it)."""
    ending = (
        f'End with a line "SCORE: n" where n is an integer from 1 (worst) to {scale} (best).'
        if scale
        else 'End with a line "VERDICT: PASS" or "VERDICT: FAIL".'
    )
    ref = f"\n\nREFERENCE ANSWER:\n{reference}" if reference else ""
    return (
        "You are a strict, impartial judge. Grade the ANSWER to the QUESTION against the RUBRIC."
        f"\n\nRUBRIC:\n{rubric}\n\nQUESTION:\n{question}{ref}\n\nANSWER:\n{output}\n\n"
        f"Give one sentence of reasoning. {ending}"
    )


def pairwise_prompt(rubric: str, question: str, first: str, second: str) -> str:
    return (
        "You are a strict, impartial judge. Compare two answers to the QUESTION against the RUBRIC."
        f"\n\nRUBRIC:\n{rubric}\n\nQUESTION:\n{question}\n\nANSWER A:\n{first}\n\nANSWER B:\n{second}\n\n"
        'Give one sentence of reasoning. End with a line "WINNER: A", "WINNER: B" or "WINNER: TIE".'
    )


class JudgeClient:
    """Calls ``model`` at an OpenAI-compatible ``base_url`` (the gateway) with temperature 0."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_tokens: int = 64,
        cache: JudgeCache | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.max_tokens = max_tokens
        self.cache = cache if cache is not None else MemoryJudgeCache()
        self.calls = 0

    async def ask(self, session: aiohttp.ClientSession, prompt: str) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": self.max_tokens,
        }
        headers = {"Content-Type": "application/json", "x-seedstack-tags": "eval-judge"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        self.calls += 1
        try:
            async with session.post(self.url, data=orjson.dumps(body), headers=headers, timeout=self.timeout) as r:
                raw = await r.read()
                if r.status != 200:
                    msg = raw[:200].decode(errors="replace")
                    raise UpstreamError(f"judge model {self.model!r} at {self.url} answered {r.status}: {msg}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamError(
                f"cannot reach the judge at {self.url} ({type(exc).__name__}); is the gateway running "
                "(`seedstack up`) and evals.judge.base_url right?"
            ) from None
        data = orjson.loads(raw)
        return str(data["choices"][0]["message"].get("content") or "")

    async def grade(
        self,
        session: aiohttp.ClientSession,
        *,
        case_id: str,
        question: str,
        output: str,
        rubric: str,
        reference: str | None = None,
        scale: int | None = None,
    ) -> Verdict:
        key = cache_key(case_id, output, self.model, rubric, "grade", reference or "", str(scale or ""))
        if (hit := self.cache.get(key)) is not None:
            hit.cached = True
            return hit
        reply = await self.ask(session, grade_prompt(rubric, question, output, reference, scale))
        verdict = _parse_grade(reply, scale)
        if verdict.label != "unparsed":
            self.cache.put(key, self.model, verdict)
        return verdict

    async def pairwise(
        self,
        session: aiohttp.ClientSession,
        *,
        case_id: str,
        question: str,
        output: str,
        other: str,
        rubric: str,
    ) -> Verdict:
        """Score of ``output`` against ``other``: 1 wins both orders, 0 loses both, 0.5 otherwise."""
        key = cache_key(case_id, output, self.model, rubric, "pairwise", other)
        if (hit := self.cache.get(key)) is not None:
            hit.cached = True
            return hit
        first = await self.ask(session, pairwise_prompt(rubric, question, output, other))
        second = await self.ask(session, pairwise_prompt(rubric, question, other, output))
        w1, w2 = _winner(first), _winner(second)
        points = {"A": 1.0, "TIE": 0.5, "B": 0.0}
        if w1 is None or w2 is None:
            return Verdict(0.0, "unparsed", f"{first}\n---\n{second}")
        s1 = points[w1]
        s2 = 1.0 - points[w2]  # the candidate was answer B in the swapped order
        score = (s1 + s2) / 2
        label = "win" if score == 1 else "loss" if score == 0 else "tie"
        verdict = Verdict(
            score,
            label,
            f"{first}\n---\n{second}",
            detail={"order_ab": w1, "order_ba": w2, "position_bias": s1 != s2},
        )
        self.cache.put(key, self.model, verdict)
        return verdict


def _parse_grade(reply: str, scale: int | None) -> Verdict:
    if scale:
        matches = _SCORE.findall(reply)
        if not matches:
            return Verdict(0.0, "unparsed", reply)
        n = min(max(float(matches[-1]), 1.0), float(scale))
        return Verdict((n - 1) / (scale - 1), f"{n:g}/{scale}", reply)
    found = _VERDICT.findall(reply)
    if not found:
        return Verdict(0.0, "unparsed", reply)
    label = found[-1].upper()
    return Verdict(1.0 if label == "PASS" else 0.0, label.lower(), reply)


def _winner(reply: str) -> str | None:
    found = _WINNER.findall(reply)
    return found[-1].upper() if found else None
