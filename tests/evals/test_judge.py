"""The LLM judge over real HTTP, with the simulator's scripted replies making verdicts deterministic."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from seedstack.errors import UpstreamError
from seedstack.evals import JudgeClient, grade_prompt, pairwise_prompt

from .sim_http import serve_simulator

pytestmark = pytest.mark.socket

RUBRIC = "The answer names the correct city."


async def _grade(judge: JudgeClient, output: str) -> float:
    async with aiohttp.ClientSession() as s:
        v = await judge.grade(s, case_id="c1", question="Capital of France?", output=output, rubric=RUBRIC)
        return v.score


def test_grade_verdicts_follow_the_judge_and_are_cached() -> None:
    replies = {
        grade_prompt(RUBRIC, "Capital of France?", "Paris", None): "Correct city. VERDICT: PASS",
        grade_prompt(RUBRIC, "Capital of France?", "Lyon", None): "Wrong city. VERDICT: FAIL",
    }
    with serve_simulator(replies) as (url, log):
        judge = JudgeClient(url, "judge-model", api_key="sk-test")
        assert asyncio.run(_grade(judge, "Paris")) == 1.0
        assert asyncio.run(_grade(judge, "Lyon")) == 0.0
        assert asyncio.run(_grade(judge, "Paris")) == 1.0  # cached: no third HTTP call
    assert judge.calls == 2 and len(log) == 2
    assert log[0]["auth"] == "Bearer sk-test"
    assert log[0]["body"]["model"] == "judge-model" and log[0]["body"]["temperature"] == 0


def test_pairwise_swaps_positions_so_a_biased_judge_scores_a_tie() -> None:
    q, mine, ref = "Capital of France?", "Paris", "Paris, France"
    biased = {
        pairwise_prompt(RUBRIC, q, mine, ref): "WINNER: A",
        pairwise_prompt(RUBRIC, q, ref, mine): "WINNER: A",
    }
    fair = {
        pairwise_prompt(RUBRIC, q, mine, ref): "WINNER: A",
        pairwise_prompt(RUBRIC, q, ref, mine): "WINNER: B",
    }

    async def run(judge: JudgeClient) -> tuple[float, dict]:
        async with aiohttp.ClientSession() as s:
            v = await judge.pairwise(s, case_id="c", question=q, output=mine, other=ref, rubric=RUBRIC)
            return v.score, v.detail

    with serve_simulator(biased) as (url, _):
        score, detail = asyncio.run(run(JudgeClient(url, "j")))
    assert score == 0.5 and detail["position_bias"] is True
    with serve_simulator(fair) as (url, _):
        score, detail = asyncio.run(run(JudgeClient(url, "j")))
    assert score == 1.0 and detail["position_bias"] is False


def test_unreachable_judge_says_how_to_fix_it() -> None:
    judge = JudgeClient("http://127.0.0.1:9/v1", "j")
    with pytest.raises(UpstreamError, match="seedstack up"):
        asyncio.run(_grade(judge, "Paris"))
