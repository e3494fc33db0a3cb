"""Reading OpenAI SSE events as they pass through: usage, text, finish reason, first-token time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["StreamTally"]


@dataclass(slots=True)
class StreamTally:
    """Accumulates what the record needs from a stream without buffering the stream itself."""

    chat: bool
    text: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    model: str | None = None
    error: dict[str, Any] | None = None
    last_piece: str | None = None  # the text the last parsed event carried

    def parse(self, event: bytes) -> dict[str, Any] | None:
        """Return the event's JSON data (None for `[DONE]` and anything else), noting what it carries."""
        self.last_piece = None
        if not event.startswith(b"data:"):
            return None
        payload = event[5:].strip()
        if payload == b"[DONE]" or not payload:
            return None
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        if data.get("usage"):
            self.usage = data["usage"]
        if "error" in data:
            self.error = data["error"] if isinstance(data["error"], dict) else {"message": str(data["error"])}
        if self.model is None and isinstance(data.get("model"), str):
            self.model = data["model"]
        for choice in data.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            if self.chat:
                delta = choice.get("delta") or {}
                piece = delta.get("content") if isinstance(delta, dict) else None
            else:
                piece = choice.get("text")
            if piece:
                self.text.append(piece)
                self.last_piece = piece if self.last_piece is None else self.last_piece + piece
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return data
