"""Let a sub-app be mounted at a prefix by any parent (the gateway's raw ASGI router or Starlette)."""

from __future__ import annotations

from typing import Any

__all__ = ["StripPrefix"]


class StripPrefix:
    """Serve ``app`` whether the parent strips ``prefix`` from the path or passes it through."""

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            path = scope.get("path", "")
            if path == self.prefix or path.startswith(self.prefix + "/"):
                scope = dict(scope, path=path[len(self.prefix) :] or "/", root_path=scope.get("root_path", ""))
        await self.app(scope, receive, send)
