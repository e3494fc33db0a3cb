"""Any OpenAI-compatible server: vLLM, TGI, SGLang, llama.cpp, Ollama, OpenAI, Fireworks, Together…

Requests go over a keep-alive pool per backend (``http1``: one write per request, llhttp parsing).
Timeouts are split: connect, first token (response headers, or the first SSE event) and total.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson

from .base import (
    ENDPOINT_PATHS,
    Provider,
    ProviderConnectError,
    ProviderError,
    ProviderHTTPError,
    ProviderTimeoutError,
    UpstreamResponse,
    UpstreamStream,
)
from .http1 import ConnectTimeout, Http1Error, Http1Pool, Http1Response

__all__ = ["OpenAIProvider"]


class _Http1Stream(UpstreamStream):
    def __init__(self, resp: Http1Response, first_token: float, deadline: float) -> None:
        self._resp = resp
        self._first_token = first_token
        self._deadline = deadline
        self.status = resp.status

    async def events(self) -> AsyncIterator[bytes]:
        """Whole SSE events (lines up to a blank line), each line ending in ``\\n``."""
        resp = self._resp
        loop = asyncio.get_running_loop()
        first = True
        first_deadline = min(self._deadline, loop.time() + self._first_token)
        event: list[bytes] = []
        partial = b""
        while True:
            try:
                data = await resp.next_chunk(first_deadline if first else self._deadline)
            except TimeoutError:
                raise ProviderTimeoutError("first_token" if first else "total") from None
            except (Http1Error, OSError) as exc:
                raise ProviderConnectError(f"stream broke: {exc.__class__.__name__}") from None
            if not data:
                if partial:
                    event.append(partial + b"\n")
                if event:
                    yield b"".join(event) + b"\n"
                return
            lines = (partial + data).split(b"\n") if partial else data.split(b"\n")
            partial = lines.pop()
            for line in lines:
                if line == b"" or line == b"\r":
                    if event:
                        first = False
                        event.append(b"\n")
                        yield b"".join(event)
                        event = []
                    continue
                event.append(line + b"\n")

    async def aclose(self) -> None:
        self._resp.release()


class OpenAIProvider(Provider):
    kind = "openai"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool: Http1Pool | None = None
        self._headers = dict(self.config.headers)
        if self.config.api_key is not None:
            self._headers["authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"

    async def start(self) -> None:
        self._pool = Http1Pool(
            self.config.base_url or "",
            headers=self._headers,
            connect_timeout=self.config.timeouts.connect,
            max_idle=self.config.max_in_flight,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _post(self, endpoint: str, body: dict[str, Any], first_deadline: float, *, stream: bool) -> Http1Response:
        pool = self._pool
        if pool is None:
            raise ProviderError("provider not started")
        try:
            return await pool.post(ENDPOINT_PATHS[endpoint], orjson.dumps(body), first_deadline, stream=stream)
        except ConnectTimeout:
            raise ProviderTimeoutError("connect") from None
        except TimeoutError:
            raise ProviderTimeoutError("first_token") from None
        except (Http1Error, OSError) as exc:
            raise ProviderConnectError(exc.__class__.__name__) from None

    async def send(self, endpoint: str, body: dict[str, Any]) -> UpstreamResponse:
        loop = asyncio.get_running_loop()
        t = self.config.timeouts
        now = loop.time()
        deadline = now + t.total
        resp = await self._post(endpoint, body, min(deadline, now + t.first_token), stream=False)
        try:
            raw = await resp.read(deadline)
        except TimeoutError:
            raise ProviderTimeoutError("total") from None
        except (Http1Error, OSError) as exc:
            raise ProviderConnectError(exc.__class__.__name__) from None
        finally:
            resp.release()
        status = resp.status
        if status >= 400:
            raise ProviderHTTPError(status, raw)
        if status >= 300:
            raise _redirected(resp)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ProviderHTTPError(502, b'{"error":{"message":"upstream sent invalid JSON"}}') from None
        if not isinstance(data, dict):
            raise ProviderHTTPError(502, b'{"error":{"message":"upstream sent a non-object JSON body"}}')
        return UpstreamResponse(status, raw, data)

    async def stream(self, endpoint: str, body: dict[str, Any]) -> UpstreamStream:
        loop = asyncio.get_running_loop()
        t = self.config.timeouts
        now = loop.time()
        deadline = now + t.total
        resp = await self._post(endpoint, body, min(deadline, now + t.first_token), stream=True)
        if resp.status >= 300:
            try:
                raw = await resp.read(deadline)
            except TimeoutError:
                raise ProviderTimeoutError("total") from None
            except (Http1Error, OSError) as exc:
                raise ProviderConnectError(exc.__class__.__name__) from None
            finally:
                resp.release()
            if resp.status < 400:
                raise _redirected(resp)
            raise ProviderHTTPError(resp.status, raw)
        return _Http1Stream(resp, t.first_token, deadline)

    async def list_models(self) -> list[str]:
        return [self.upstream_model]


def _redirected(resp: Http1Response) -> ProviderHTTPError:
    """A 3xx: base_url points at the wrong place (requests are never re-sent elsewhere)."""
    location = (resp.header(b"location") or b"").decode("latin-1")
    message = (
        f"the upstream answered HTTP {resp.status} (redirect to {location or 'nowhere'}); "
        "set the backend's base_url to the final URL"
    )
    return ProviderHTTPError(502, orjson.dumps({"error": {"message": message}}))
