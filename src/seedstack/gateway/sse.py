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
    first_content_at: float | None = None
    error: dict[str, Any] | None = None
    last_piece: str | None = None  # the text the last parsed event carried

    def parse(self, event: bytes) -> tuple[dict[str, Any] | None, bool]:
        """Return (parsed data or None, whether the event carries generated content)."""
        if not event.startswith(b"data:"):
            return None, False
        payload = event[5:].strip()
        if payload == b"[DONE]" or not payload:
            return None, False
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None, False
        if not isinstance(data, dict):
            return None, False
        if data.get("usage"):
            self.usage = data["usage"]
        if "error" in data:
            self.error = data["error"] if isinstance(data["error"], dict) else {"message": str(data["error"])}
        if self.model is None and isinstance(data.get("model"), str):
            self.model = data["model"]
        has_content = False
        self.last_piece = None
        for choice in data.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            if self.chat:
                delta = choice.get("delta") or {}
                piece = delta.get("content") if isinstance(delta, dict) else None
                if piece is None and isinstance(delta, dict) and delta.get("tool_calls"):
                    has_content = True
            else:
                piece = choice.get("text")
            if piece:
                self.text.append(piece)
                self.last_piece = piece if self.last_piece is None else self.last_piece + piece
                has_content = True
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return data, has_content

    @property
    def full_text(self) -> str:
        return "".join(self.text)
