"""``create_admin_app(ctx)``: the JSON API under ``/api/``, open to any active key, each endpoint
gated by one permission of ``seedstack.access``.

Mounted by the gateway at ``/api/``; it also works stand-alone (paths are matched with or without
the prefix). Errors use the same ``{"error": {...}}`` shape as ``/v1/*``: 401 for a missing,
unknown or revoked key, 403 (audited) for a role without the permission, 400/404 for bad input.
"""

from __future__ import annotations

from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from ...config import Settings
from ...errors import openai_error_body
from ...store import Store
from .data import registry_routes
from .endpoint import json_response
from .observability import filters_from, observability_routes
from .prefix import StripPrefix

__all__ = ["AppContext", "create_admin_app", "filters_from"]


class AppContext(Protocol):
    settings: Settings
    store: Store


def _not_found(request: Request, exc: Exception) -> Response:
    return json_response(
        openai_error_body(
            f"no admin endpoint {request.url.path}: see docs/observability.md and docs/data.md",
            "not_found_error",
            code="not_found",
        ),
        404,
    )


def _method_not_allowed(request: Request, exc: Exception) -> Response:
    allow = getattr(exc, "headers", None) or {}
    return json_response(
        openai_error_body(
            f"{request.method} is not allowed on {request.url.path} (allowed: {allow.get('Allow', '-')})",
            "invalid_request_error",
            code="method_not_allowed",
        ),
        405,
    )


def create_admin_app(ctx: AppContext) -> StripPrefix:
    store, settings = ctx.store, ctx.settings
    app = Starlette(
        routes=[*observability_routes(store, settings), *registry_routes(store, settings)],
        exception_handlers={404: _not_found, 405: _method_not_allowed},
    )
    return StripPrefix(app, "/api")
