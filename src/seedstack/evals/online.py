"""Online evaluation: judge a sample of production requests in the background.

The gateway calls ``maybe_schedule`` after a response is sent; it decides in microseconds and never
waits. Sampling hashes the request id, so every gateway replica makes the same choice for a request
and a re-run of the same traffic samples the same requests. Judgements land in ``eval_scores``
keyed by request id, where ``seedstack why`` reads them. When the judge is slower than the traffic,
the bounded queue drops (and counts) new work instead of growing without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from ..config import Settings
from ..config.bench import OnlineEvalConfig
from ..errors import SeedstackError
from ..store import Store
from .judge import JudgeClient

__all__ = ["OnlineEvaluator", "OnlineStats", "ScoreSink"]

SCORER = "online_judge"


class ScoreSink(Protocol):
    """Where scores go; ``EvalRepository`` is the real one."""

    def save_score(
        self, request_id: str, scorer: str, score: float, judge_model: str | None, detail: dict[str, Any]
    ) -> None: ...


class _Record(Protocol):
    id: str
    status_code: int
    tags: list[str] | None


@dataclass(slots=True)
class OnlineStats:
    scheduled: int = 0
    skipped: int = 0
    dropped: int = 0
    judged: int = 0
    failed: int = 0


class OnlineEvaluator:
    """Start with ``await start()`` inside the gateway's event loop; stop with ``await aclose()``."""

    def __init__(self, judge: JudgeClient, sink: ScoreSink, config: OnlineEvalConfig) -> None:
        self.judge = judge
        self.sink = sink
        self.config = config
        self.stats = OnlineStats()
        self._queue: asyncio.Queue[tuple[str, str, str]] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    def sampled(self, request_id: str) -> bool:
        """Same answer for the same id on every replica: crc32(id) falls in the sampled fraction."""
        return zlib.crc32(request_id.encode()) / 0xFFFFFFFF < self.config.sample_rate

    def maybe_schedule(self, record: _Record, question: str, output: str) -> bool:
        """Queue ``record`` for judging if it is sampled; never blocks. Returns whether it was queued."""
        if (
            self._queue is None
            or not self.config.enabled
            or record.status_code != 200
            or not output
            or _is_eval_traffic(record)
            or not self.sampled(record.id)
        ):
            self.stats.skipped += 1
            return False
        try:
            self._queue.put_nowait((record.id, question, output))
        except asyncio.QueueFull:
            self.stats.dropped += 1
            return False
        self.stats.scheduled += 1
        return True

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> OnlineEvaluator | None:
        """The evaluator ``evals.online`` describes, or ``None`` when it is disabled."""
        from .repository import EvalRepository

        cfg = settings.evals
        if not cfg.online.enabled:
            return None
        repo = EvalRepository(store)
        key = cfg.judge.api_key or cfg.api_key
        judge = JudgeClient(
            cfg.judge.base_url,
            cfg.judge.model,
            api_key=key.get_secret_value() if key is not None else None,
            timeout_s=cfg.judge.timeout_s,
            max_tokens=cfg.judge.max_tokens,
            cache=repo,
        )
        return cls(judge, repo, cfg.online)

    async def start(self) -> None:
        self._queue = asyncio.Queue(self.config.max_pending)
        self._session = aiohttp.ClientSession()
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.config.concurrency)]

    async def _work(self) -> None:
        assert self._queue is not None and self._session is not None
        while True:
            request_id, question, output = await self._queue.get()
            try:
                verdict = await self.judge.grade(
                    self._session,
                    case_id=f"online:{request_id}",
                    question=question,
                    output=output,
                    rubric=self.config.rubric,
                )
                detail = {"verdict": verdict.label, "reply": verdict.reply[:500]}
                await asyncio.to_thread(
                    self.sink.save_score, request_id, SCORER, verdict.score, self.judge.model, detail
                )
                self.stats.judged += 1
            except (SeedstackError, aiohttp.ClientError, TimeoutError, KeyError, ValueError):
                self.stats.failed += 1
            finally:
                self._queue.task_done()

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Wait until everything queued so far is judged (tests, SIGTERM)."""
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout_s)

    async def aclose(self, timeout_s: float = 10.0) -> None:
        await self.drain(timeout_s)
        for w in self._workers:
            w.cancel()
        for w in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await w
        self._workers = []
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._queue = None


def _is_eval_traffic(record: _Record) -> bool:
    """The judge's own calls (and eval runs) go through the gateway too: never judge those."""
    return bool(record.tags) and any(t in ("eval", "eval-judge") for t in record.tags or ())
