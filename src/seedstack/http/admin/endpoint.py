"""One wrapper for every admin endpoint: key → actor → permission → handler → JSON.

The permission named on the route is checked (and a refusal audited) before the handler runs, so
an endpoint cannot forget it and a key without it learns nothing, not even whether the dataset or
model it asked about exists. Services still check their own finer permissions (rows, artifacts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...access import Actor, authorize, key_actor
from ...errors import InvalidRequestError, PayloadTooLargeError, SeedstackError, openai_error_body
from ...store import Store
from .auth import bearer_key

__all__ = ["Call", "Handler", "Target", "error_json", "guarded", "int_param", "json_response"]

log = logging.getLogger("seedstack.http.admin")

_MAX_TARGET = 200
_MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, who is asking, and the JSON body of a POST."""

    request: Request
    actor: Actor
    body: dict[str, Any]

    @property
    def query(self) -> Any:
        return self.request.query_params

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])


Handler = Callable[[Call], Any]


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, default=str), status_code=status, media_type="application/json")


def error_json(exc: SeedstackError) -> Response:
    return json_response(exc.to_openai(), exc.status)


def int_param(params: Any, name: str, default: int, *, low: int, high: int) -> int:
    """An integer query parameter in [low, high], or a 400 that names it."""
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequestError(f"{name} must be a whole number, got '{raw}'", param=name) from None
    if not low <= value <= high:
        raise InvalidRequestError(f"{name} must be between {low} and {high}, got {value}", param=name)
    return value


async def _read(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY:
            raise PayloadTooLargeError(f"admin API request bodies are limited to {_MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("the request body must be a JSON object")
    return body


Target = Callable[[Request, dict[str, Any]], str]


def guarded(store: Store, permission: str, target: Target, handler: Handler) -> Callable[[Request], Any]:
    """An endpoint that needs ``permission`` on ``target(request, body)``; refusals are 403 and audited."""

    def run(request: Request, key: str | None, raw: bytes) -> Any:
        actor = key_actor(store, key)
        try:
            body, bad = _body(raw), None
        except InvalidRequestError as exc:
            body, bad = {}, exc  # still check (and audit) the permission before saying so
        where = target(request, body)[:_MAX_TARGET]
        authorize(store, actor, permission, where, {"via": f"{request.method} /api{request.url.path}"})
        if bad is not None:
            raise bad
        return handler(Call(request, actor, body))

    async def endpoint(request: Request) -> Response:
        try:
            raw = await _read(request) if request.method == "POST" else b""
            return json_response(await run_in_threadpool(run, request, bearer_key(request.headers), raw))
        except SeedstackError as exc:
            return error_json(exc)
        except Exception:
            log.exception("admin API: unhandled error in %s %s", request.method, request.url.path)
            return json_response(openai_error_body("Internal Server Error", "server_error"), 500)

    return endpoint
