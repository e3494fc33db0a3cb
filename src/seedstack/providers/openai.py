"""Any OpenAI-compatible server: vLLM, TGI, SGLang, llama.cpp, Ollama, OpenAI, Fireworks, Together…

aiohttp keeps a keep-alive pool per backend. Timeouts are split: connect, first token (response
headers, or the first SSE event) and total.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
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

__all__ = ["OpenAIProvider"]


class _AiohttpStream(UpstreamStream):
    def __init__(self, resp: aiohttp.ClientResponse, first_token: float, deadline: float) -> None:
        self._resp = resp
        self._first_token = first_token
        self._deadline = deadline
        self.status = resp.status

    async def events(self) -> AsyncIterator[bytes]:
        content = self._resp.content
        loop = asyncio.get_running_loop()
        buf: list[bytes] = []
        first = True
        first_deadline = min(self._deadline, loop.time() + self._first_token)
        while True:
            try:
                async with asyncio.timeout_at(first_deadline if first else self._deadline):
                    line = await content.readline()
            except TimeoutError:
                raise ProviderTimeoutError("first_token" if first else "total") from None
            except aiohttp.ClientError as exc:
                raise ProviderConnectError(f"stream broke: {exc.__class__.__name__}") from None
            if not line:
                if buf:
                    yield b"".join(buf) + b"\n"
                return
            if line in (b"\n", b"\r\n"):
                if buf:
                    first = False
                    buf.append(b"\n")
                    yield b"".join(buf)
                    buf = []
                continue
            buf.append(line if line.endswith(b"\n") else line + b"\n")

    async def aclose(self) -> None:
        self._resp.release()


class OpenAIProvider(Provider):
    kind = "openai"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"content-type": "application/json", **self.config.headers}
        if self.config.api_key is not None:
            self._headers["authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"
        self._base = self.config.base_url or ""

    async def start(self) -> None:
        t = self.config.timeouts
        connector = aiohttp.TCPConnector(limit=self.config.max_in_flight, ttl_dns_cache=300, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, connect=t.connect, sock_connect=t.connect),
            skip_auto_headers=("User-Agent",),
            json_serialize=lambda o: orjson.dumps(o).decode(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _sess(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise ProviderError("provider not started")
        return self._session

    async def _post(self, endpoint: str, body: dict[str, Any]) -> aiohttp.ClientResponse:
        t = self.config.timeouts
        url = self._base + ENDPOINT_PATHS[endpoint]
        try:
            async with asyncio.timeout(min(t.first_token, t.total)):
                return await self._sess().post(url, data=orjson.dumps(body), headers=self._headers)
        except aiohttp.ServerTimeoutError:
            raise ProviderTimeoutError("connect") from None
        except TimeoutError:
            raise ProviderTimeoutError("first_token") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ProviderConnectError(exc.__class__.__name__) from None

    async def send(self, endpoint: str, body: dict[str, Any]) -> UpstreamResponse:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.timeouts.total
        resp = await self._post(endpoint, body)
        try:
            async with asyncio.timeout_at(deadline):
                raw = await resp.read()
        except TimeoutError:
            resp.release()
            raise ProviderTimeoutError("total") from None
        except aiohttp.ClientError as exc:
            raise ProviderConnectError(exc.__class__.__name__) from None
        if resp.status >= 400:
            raise ProviderHTTPError(resp.status, raw)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ProviderHTTPError(502, b'{"error":{"message":"upstream sent invalid JSON"}}') from None
        if not isinstance(data, dict):
            raise ProviderHTTPError(502, b'{"error":{"message":"upstream sent a non-object JSON body"}}')
        return UpstreamResponse(resp.status, raw, data)

    async def stream(self, endpoint: str, body: dict[str, Any]) -> UpstreamStream:
        loop = asyncio.get_running_loop()
        t = self.config.timeouts
        deadline = loop.time() + t.total
        resp = await self._post(endpoint, body)
        if resp.status >= 400:
            try:
                raw = await resp.read()
            finally:
                resp.release()
            raise ProviderHTTPError(resp.status, raw)
        return _AiohttpStream(resp, t.first_token, deadline)

    async def list_models(self) -> list[str]:
        return [self.upstream_model]
