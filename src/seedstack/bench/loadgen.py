"""The load generator: open-loop (Poisson or constant arrivals) or closed-loop load over real HTTP.

Why it is built this way: a benchmark client that falls behind its own schedule under-reports
latency (coordinated omission) and over-reports capacity. So every request records when it was
*scheduled* and when the client actually *sent* it; the difference is the client's lag, reported
with the results. Bodies are serialised once per prompt, SSE is parsed with orjson on raw bytes,
and the event loop is uvloop when available, so one core drives thousands of requests a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import orjson

from ..errors import ConfigError
from .metrics import RequestResult
from .prompts import BenchPrompt

__all__ = ["Endpoint", "LoadResult", "LoadShape", "arrival_times", "run_load", "run_load_sync"]

Progress = Callable[[int, int, int], None]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An OpenAI-compatible endpoint: ``http://host:port/v1`` or a full ``…/chat/completions`` URL."""

    url: str
    model: str
    api_key: str | None = None
    stream: bool = True
    kind: Literal["chat", "completions"] = "chat"
    extra_body: dict[str, Any] = field(default_factory=dict)
    timeout_s: float = 600.0

    @property
    def request_url(self) -> str:
        base = self.url.rstrip("/")
        if base.endswith(("/chat/completions", "/completions")):
            return base
        if not base.endswith("/v1"):
            base += "/v1"
        return base + ("/chat/completions" if self.kind == "chat" else "/completions")

    def body(self, prompt: BenchPrompt) -> bytes:
        payload: dict[str, Any] = {
            "model": self.model,
            "max_tokens": prompt.max_tokens,
            "stream": self.stream,
        }
        if self.kind == "chat":
            payload["messages"] = prompt.messages
        else:
            payload["prompt"] = prompt.text
        if self.stream:
            payload["stream_options"] = {"include_usage": True}
        payload.update(self.extra_body)
        return orjson.dumps(payload)

    def headers(self) -> dict[str, str]:
        h = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if self.stream else "application/json",
        }
        if self.api_key:
            h["Authorization"] = f"Bearer {self.api_key}"
        return h


@dataclass(frozen=True, slots=True)
class LoadShape:
    """Open loop when ``rate`` is set (``concurrency`` then caps requests in flight), else closed loop."""

    rate: float | None = None
    arrival: Literal["poisson", "constant"] = "poisson"
    concurrency: int | None = None
    requests: int | None = None
    duration_s: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.rate is None and self.concurrency is None:
            raise ConfigError("choose a load shape: --rate R (open loop) or --concurrency C (closed loop)")
        if self.rate is not None and self.rate <= 0:
            raise ConfigError("--rate must be positive")
        if self.concurrency is not None and self.concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        if self.requests is None and self.duration_s is None:
            raise ConfigError("say how long to run: --requests N or --duration SECONDS")

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "open" if self.rate is not None else "closed",
            "rate": self.rate,
            "arrival": self.arrival if self.rate is not None else None,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "duration_s": self.duration_s,
            "seed": self.seed,
        }


@dataclass(slots=True)
class LoadResult:
    results: list[RequestResult]
    duration_s: float


def arrival_times(shape: LoadShape) -> list[float]:
    """Offsets (seconds from start) at which an open-loop run sends each request."""
    assert shape.rate is not None
    rng = random.Random(shape.seed)
    limit_n = shape.requests if shape.requests is not None else 10**9
    limit_t = shape.duration_s if shape.duration_s is not None else float("inf")
    out: list[float] = []
    t = 0.0
    while len(out) < limit_n:
        if shape.arrival == "constant":
            t = len(out) / shape.rate
        elif out:
            t += rng.expovariate(shape.rate)
        if t >= limit_t:
            break
        out.append(t)
    return out


class _Client:
    """Sends one request and records its timings; shared by every in-flight request of a run."""

    def __init__(self, endpoint: Endpoint, prompts: Sequence[BenchPrompt], session: aiohttp.ClientSession):
        self.endpoint = endpoint
        self.prompts = prompts
        self.bodies = [endpoint.body(p) for p in prompts]
        self.session = session
        self.url = endpoint.request_url
        self.headers = endpoint.headers()
        self.done = 0
        self.failed = 0

    async def send(self, r: RequestResult, t0: float) -> None:
        body = self.bodies[r.index % len(self.bodies)]
        r.sent_s = time.perf_counter() - t0
        st = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=self.headers) as resp:
                if resp.status != 200:
                    text = (await resp.text())[:200].replace("\n", " ")
                    r.error = f"http {resp.status}: {text}"
                elif self.endpoint.stream:
                    await self._read_stream(resp, r, st)
                else:
                    await self._read_whole(resp, r, st)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            r.error = f"{type(exc).__name__}: {exc}"[:200]
        if r.error is None:
            r.ok = True
            self.done += 1
        else:
            self.failed += 1

    async def _read_stream(self, resp: aiohttp.ClientResponse, r: RequestResult, st: float) -> None:
        last = st
        chunks = 0
        usage_out = 0
        async for line in resp.content:
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            now = time.perf_counter()
            chunk = orjson.loads(data)
            if chunk.get("error"):
                r.error = f"stream error: {str(chunk['error'])[:150]}"
                return
            choices = chunk.get("choices")
            if choices:
                c = choices[0]
                delta = c.get("delta")
                text = delta.get("content") if delta else c.get("text")
                if text:
                    if chunks == 0:
                        r.ttft_s = now - st
                    else:
                        r.itl_s.append(now - last)
                    chunks += 1
            usage = chunk.get("usage")
            if usage:
                usage_out = usage.get("completion_tokens") or 0
                r.prompt_tokens = usage.get("prompt_tokens") or 0
            last = now
        if chunks == 0:
            r.error = "empty stream: the server sent no text"
            return
        r.latency_s = last - st
        r.output_tokens = usage_out or chunks

    async def _read_whole(self, resp: aiohttp.ClientResponse, r: RequestResult, st: float) -> None:
        payload = orjson.loads(await resp.read())
        r.latency_s = r.ttft_s = time.perf_counter() - st
        usage = payload.get("usage") or {}
        r.prompt_tokens = usage.get("prompt_tokens") or 0
        r.output_tokens = usage.get("completion_tokens") or 1


async def _open_loop(client: _Client, shape: LoadShape, progress: Progress | None) -> LoadResult:
    times = arrival_times(shape)
    results = [RequestResult(i, t) for i, t in enumerate(times)]
    cap = asyncio.Semaphore(shape.concurrency) if shape.concurrency else None
    tasks: set[asyncio.Task[None]] = set()
    t0 = time.perf_counter()

    async def one(r: RequestResult) -> None:
        if cap is None:
            await client.send(r, t0)
            return
        lag = time.perf_counter() - t0 - r.scheduled_s
        async with cap:
            await client.send(r, t0)
        r.sent_s = r.scheduled_s + max(0.0, lag)  # waiting for a slot is the shape, not client lag

    for r in results:
        # uvloop's timers have millisecond resolution and may wake early: never send before schedule
        while (delay := t0 + r.scheduled_s - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(r))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if progress is not None:
            progress(client.done, client.failed, len(results))
    while tasks:
        await asyncio.wait(set(tasks), timeout=0.5)
        if progress is not None:
            progress(client.done, client.failed, len(results))
    return LoadResult(results, time.perf_counter() - t0)


async def _closed_loop(client: _Client, shape: LoadShape, progress: Progress | None) -> LoadResult:
    assert shape.concurrency is not None
    results: list[RequestResult] = []
    limit_n = shape.requests if shape.requests is not None else 10**9
    total = shape.requests or 0
    t0 = time.perf_counter()
    deadline = t0 + shape.duration_s if shape.duration_s is not None else float("inf")

    async def worker() -> None:
        while len(results) < limit_n and time.perf_counter() < deadline:
            r = RequestResult(len(results), time.perf_counter() - t0)
            results.append(r)
            await client.send(r, t0)
            if progress is not None:
                progress(client.done, client.failed, total or len(results))

    await asyncio.gather(*(worker() for _ in range(shape.concurrency)))
    return LoadResult(results, time.perf_counter() - t0)


async def run_load(
    endpoint: Endpoint,
    prompts: Sequence[BenchPrompt],
    shape: LoadShape,
    progress: Progress | None = None,
) -> LoadResult:
    """Drive ``shape`` against ``endpoint`` and return every request's timings."""
    if not prompts:
        raise ConfigError("the benchmark needs at least one prompt")
    timeout = aiohttp.ClientTimeout(total=endpoint.timeout_s, sock_connect=10)
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector, auto_decompress=False) as session:
        client = _Client(endpoint, prompts, session)
        if shape.rate is not None:
            return await _open_loop(client, shape, progress)
        return await _closed_loop(client, shape, progress)


def run_load_sync(
    endpoint: Endpoint, prompts: Sequence[BenchPrompt], shape: LoadShape, progress: Progress | None = None
) -> LoadResult:
    """Run on a fresh event loop, uvloop when installed (it halves the client's per-request CPU)."""
    runner_factory: Any = None
    with contextlib.suppress(ImportError):
        import uvloop

        runner_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=runner_factory) as runner:
        return runner.run(run_load(endpoint, prompts, shape, progress))
