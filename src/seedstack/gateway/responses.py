"""What the gateway hands back to the HTTP layer: a whole body, or a stream of SSE bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import orjson

from ..errors import SeedstackError

__all__ = ["BodyResponse", "StreamResponse", "error_response", "json_response"]

Headers = list[tuple[bytes, bytes]]
JSON = (b"content-type", b"application/json")


@dataclass(slots=True)
class BodyResponse:
    """``then``, when set, must run once the body is sent or could not be sent (request bookkeeping)."""

    status: int
    body: bytes
    headers: Headers = field(default_factory=list)
    then: Callable[[], None] | None = None


@dataclass(slots=True)
class StreamResponse:
    body: AsyncIterator[bytes]
    headers: Headers = field(default_factory=list)
    status: int = 200


def json_response(status: int, obj: object, headers: Headers | None = None) -> BodyResponse:
    return BodyResponse(status, orjson.dumps(obj), [JSON, *(headers or [])])


def error_response(exc: SeedstackError, headers: Headers | None = None) -> BodyResponse:
    extra = list(headers or [])
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        extra.append((b"retry-after", str(max(1, int(retry_after + 0.999))).encode()))
    return json_response(exc.status, exc.to_openai(), extra)
