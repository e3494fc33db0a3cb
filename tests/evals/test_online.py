"""Online evaluation: a sample of requests is judged in the background and scores attach to them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from seedstack.config.bench import OnlineEvalConfig
from seedstack.evals import EvalRepository, JudgeClient, OnlineEvaluator, grade_prompt

from .sim_http import serve_simulator

pytestmark = pytest.mark.socket


@dataclass
class Rec:
    id: str
    status_code: int = 200
    tags: list[str] | None = None


def test_sampled_requests_get_scores_that_why_can_read(store: object) -> None:
    cfg = OnlineEvalConfig(enabled=True, sample_rate=0.5)
    rubric = cfg.rubric
    ids = [f"req-{i}" for i in range(40)]
    replies = {grade_prompt(rubric, f"question {i}", f"answer {i}", None): "VERDICT: PASS" for i in range(40)}
    repo = EvalRepository(store)  # type: ignore[arg-type]

    async def go(url: str) -> OnlineEvaluator:
        ev = OnlineEvaluator(JudgeClient(url, "judge"), repo, cfg)
        await ev.start()
        for i, rid in enumerate(ids):
            ev.maybe_schedule(Rec(rid), f"question {i}", f"answer {i}")
        ev.maybe_schedule(Rec("req-error", status_code=500), "q", "a")
        for rid in ids:  # the judge's own calls come back through the gateway: never judged
            assert not ev.maybe_schedule(Rec(rid, tags=["eval-judge"]), "q", "a")
        await ev.aclose()
        return ev

    with serve_simulator(replies) as (url, _):
        ev = asyncio.run(go(url))
    sampled = [rid for rid in ids if ev.sampled(rid)]
    assert 8 <= len(sampled) <= 32  # about half, decided by the id alone
    assert ev.stats.judged == len(sampled) and ev.stats.failed == 0
    for rid in ids:
        scores = repo.scores_for_request(rid)
        if rid in sampled:
            assert scores[0]["score"] == 1.0 and scores[0]["detail"]["verdict"] == "pass"
        else:
            assert scores == []
    assert repo.scores_for_request("req-error") == []


def test_a_full_queue_drops_instead_of_blocking(store: object) -> None:
    cfg = OnlineEvalConfig(enabled=True, sample_rate=1.0, max_pending=2, concurrency=1)
    repo = EvalRepository(store)  # type: ignore[arg-type]

    async def go() -> OnlineEvaluator:
        ev = OnlineEvaluator(JudgeClient("http://127.0.0.1:9/v1", "judge"), repo, cfg)
        await ev.start()
        queued = [ev.maybe_schedule(Rec(f"r{i}"), "q", "a") for i in range(10)]
        assert queued.count(True) <= 3
        await ev.aclose()
        return ev

    ev = asyncio.run(go())
    assert ev.stats.dropped >= 7
    assert ev.stats.failed == ev.stats.scheduled  # the judge is unreachable: counted, never raised


def test_from_settings_is_off_unless_enabled(store: object) -> None:
    from seedstack.config import load_settings

    assert OnlineEvaluator.from_settings(load_settings(), store) is None  # type: ignore[arg-type]
    on = load_settings(evals={"online": {"enabled": True, "sample_rate": 0.1}, "judge": {"model": "judge"}})
    ev = OnlineEvaluator.from_settings(on, store)  # type: ignore[arg-type]
    assert ev is not None and ev.judge.model == "judge" and ev.config.sample_rate == 0.1
