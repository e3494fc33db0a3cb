"""Serve the project's SimulatorEngine over a real socket (OpenAI-compatible), with scripted replies.

It stands in for the gateway in eval tests: scripted replies make the model's answers and the
judge's verdicts deterministic. Requests are logged so tests can count the judge's calls.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from seedstack.config import SimulatorConfig
from seedstack.providers.simulator import SimulatorEngine


@contextmanager
def serve_simulator(replies: dict[str, str], **latency: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield (``http://127.0.0.1:PORT/v1``, request log)."""
    cfg = SimulatorConfig(
        replies=replies,
        ttft_ms=latency.get("ttft_ms", 1),
        itl_ms=latency.get("itl_ms", 0),
        ttft_per_prompt_token_ms=0,
        ttft_per_running_request_ms=0,
    )
    engine = SimulatorEngine(cfg)
    log: list[dict[str, Any]] = []

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        log.append({"body": body, "auth": request.headers.get("Authorization")})
        if body.get("stream"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            async for chunk in engine.stream("chat", body):
                await resp.write(chunk)
            return resp
        return web.json_response(await engine.complete("chat", body))

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        holder["runner"], holder["port"] = runner, runner.addresses[0][1]
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{holder['port']}/v1", log
    finally:
        asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
