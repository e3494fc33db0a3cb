"""Real-socket test servers: run an ASGI app with uvicorn on a free port in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, *, lifespan: str = "on") -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:<free port>; yield its base URL; shut it down (draining) afterwards."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="asyncio",
        lifespan=lifespan,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


class MockUpstream:
    """An OpenAI-compatible upstream whose behaviour tests script: reply, fail, hang, reject.

    ``mode`` is one of "ok", "500", "400", "429", "hang", "hang_stream"; ``seen`` keeps every body
    it received, so tests can check what the gateway forwarded.
    """

    def __init__(
        self,
        mode: str = "ok",
        *,
        text: str = "hello from upstream",
        model: str = "up-model",
        hang_s: float = 2.0,
        chunk_chars: int | None = None,
    ) -> None:
        self.mode = mode
        self.chunk_chars = chunk_chars
        self.hang_s = hang_s
        self.text = text
        self.model = model
        self.seen: list[dict[str, Any]] = []
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        self.calls += 1
        data = orjson.loads(body) if body else {}
        self.seen.append(data)
        mode = self.mode
        if mode in ("500", "400", "429"):
            err = {
                "error": {
                    "message": f"upstream says {mode}",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "upstream_" + mode,
                }
            }
            await self._send(send, int(mode), orjson.dumps(err), b"application/json")
            return
        if mode == "hang":
            await asyncio.sleep(self.hang_s)
        usage = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}
        if scope["path"].endswith("/embeddings"):
            out = {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                "model": self.model,
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            }
            await self._send(send, 200, orjson.dumps(out), b"application/json")
            return
        if data.get("stream"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            if mode == "hang_stream":
                await asyncio.sleep(self.hang_s)
            if self.chunk_chars:
                step = self.chunk_chars
                pieces = [self.text[i : i + step] for i in range(0, len(self.text), step)]
            else:
                pieces = [(" " if i else "") + w for i, w in enumerate(self.text.split(" "))]
            for piece in pieces:
                chunk = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": self.model,
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"data: " + orjson.dumps(chunk) + b"\n\n",
                        "more_body": True,
                    }
                )
            final = {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": self.model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            tail = b"data: " + orjson.dumps(final) + b"\n\n"
            if (data.get("stream_options") or {}).get("include_usage"):
                u = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": self.model,
                    "choices": [],
                    "usage": usage,
                }
                tail += b"data: " + orjson.dumps(u) + b"\n\n"
            await send({"type": "http.response.body", "body": tail + b"data: [DONE]\n\n"})
            return
        out = {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": self.text}, "finish_reason": "stop"}],
            "usage": usage,
            "x_vendor_field": {"kept": True},
        }
        await self._send(send, 200, orjson.dumps(out), b"application/json")

    @staticmethod
    async def _send(send: Any, status: int, body: bytes, ctype: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype)]})
        await send({"type": "http.response.body", "body": body})
