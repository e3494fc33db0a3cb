"""A tiny OpenAI-compatible SSE server on a real socket, for load-generator tests.

Fixed TTFT and inter-token time, so the tests can check that the client measures what the server
did. It runs in its own thread and event loop, like a separate process would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from aiohttp import web


def _app(ttft_s: float, itl_s: float, fail_every: int) -> web.Application:
    count = {"n": 0}

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        count["n"] += 1
        if fail_every and count["n"] % fail_every == 0:
            return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=500)
        n = int(body.get("max_tokens", 8))
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        if not body.get("stream"):
            await asyncio.sleep(ttft_s + itl_s * (n - 1))
            return web.json_response(
                {
                    "choices": [{"message": {"role": "assistant", "content": "x " * n}}],
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n},
                }
            )
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n')
        start = time.perf_counter()
        for i in range(n):
            target = start + ttft_s + i * itl_s
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            chunk = {"choices": [{"index": 0, "delta": {"content": f"t{i} "}}]}
            await resp.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
        usage = {"choices": [], "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": n}}
        await resp.write(b"data: " + orjson.dumps(usage) + b"\n\ndata: [DONE]\n\n")
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app


@contextmanager
def serve(ttft_ms: float = 50, itl_ms: float = 10, fail_every: int = 0) -> Iterator[str]:
    """Yield ``http://127.0.0.1:PORT/v1`` while the server runs."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        runner = web.AppRunner(_app(ttft_ms / 1000, itl_ms / 1000, fail_every), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["port"] = runner.addresses[0][1]
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{holder['port']}/v1"
    finally:
        runner = holder["runner"]
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)  # type: ignore[attr-defined]
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
