"""The provider contract: how the gateway talks to one backend.

A provider sends an OpenAI-shaped request body to its backend and returns either the whole response
(``send``) or a stream of raw SSE events (``stream``). It raises only the ``ProviderError`` family,
so the router can decide, per failure kind, whether to retry, fall back or give up.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

from ..config import BackendConfig

__all__ = [
    "ENDPOINT_PATHS",
    "Provider",
    "ProviderConnectError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderTimeoutError",
    "UpstreamResponse",
    "UpstreamStream",
]

ENDPOINT_PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}


class ProviderError(Exception):
    """Base of what a provider may raise; ``outcome`` is the route record's reason."""

    outcome = "error"


class ProviderConnectError(ProviderError):
    outcome = "connect"


class ProviderTimeoutError(ProviderError):
    outcome = "timeout"

    def __init__(self, phase: str) -> None:
        super().__init__(f"{phase} timeout")
        self.phase = phase


class ProviderHTTPError(ProviderError):
    """The backend answered with an HTTP error; ``body`` is its (JSON) error body."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body

    @property
    def outcome(self) -> str:  # type: ignore[override]
        return "5xx" if self.status >= 500 else ("429" if self.status == 429 else "4xx")


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    body: bytes  # forwarded to the client untouched
    data: dict[str, Any]  # the parsed body, for usage and payloads


class UpstreamStream(ABC):
    """An open streaming response: iterate raw SSE events (``b"data: {...}\\n\\n"``)."""

    status: int = 200

    @abstractmethod
    def events(self) -> AsyncIterator[bytes]: ...

    @abstractmethod
    async def aclose(self) -> None: ...


class Provider(ABC):
    kind: ClassVar[str]
    simulated: ClassVar[bool] = False

    def __init__(self, config: BackendConfig, *, name: str, alias: str) -> None:
        self.config = config
        self.name = name
        self.alias = alias
        self.upstream_model = config.model or alias

    async def start(self) -> None:
        """Open connection pools; called once at gateway startup."""

    async def close(self) -> None:
        """Release connections; called once at shutdown."""

    @abstractmethod
    async def send(self, endpoint: str, body: dict[str, Any]) -> UpstreamResponse:
        """Non-streaming call. Raises ``ProviderError``."""

    @abstractmethod
    async def stream(self, endpoint: str, body: dict[str, Any]) -> UpstreamStream:
        """Open a streaming call; returns once the first byte (headers) arrived."""

    async def list_models(self) -> list[str]:
        return [self.upstream_model]
