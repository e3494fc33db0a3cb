"""Minimal ASGI plumbing for the hot path (a framework's routing and request objects cost more
than the gateway's whole budget per request)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..errors import PayloadTooLargeError
from ..gateway.responses import BodyResponse, StreamResponse

__all__ = ["ASGIApp", "Receive", "Scope", "Send", "header_dict", "read_body", "send_body", "send_stream"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # (scope, receive, send)


def header_dict(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def read_body(receive: Receive, limit: int, declared: str | None) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            break
        chunk = msg.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"request body is larger than {limit} bytes; send less (e.g. fewer messages) or raise "
        "server.max_body_bytes in seedstack.yaml"
    )


async def send_body(send: Send, resp: BodyResponse) -> None:
    await send({"type": "http.response.start", "status": resp.status, "headers": resp.headers})
    await send({"type": "http.response.body", "body": resp.body})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_stream(send: Send, resp: StreamResponse, receive: Receive | None = None) -> None:
    """Forward chunks as they come; stop (and let the generator record a 499) when the client leaves.

    Servers may drop writes to a closed connection silently, so a watcher waits for the ASGI
    ``http.disconnect`` message and the loop checks it between chunks.
    """
    body = resp.body
    watcher = asyncio.ensure_future(_disconnected(receive)) if receive is not None else None
    try:
        await send({"type": "http.response.start", "status": resp.status, "headers": resp.headers})
        async for chunk in body:
            if watcher is not None and watcher.done():
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        else:
            await send({"type": "http.response.body", "body": b""})
    except (OSError, RuntimeError):  # servers raise either when writing to a connection the client closed
        pass
    finally:
        if watcher is not None:
            watcher.cancel()
        await body.aclose()  # type: ignore[attr-defined]
