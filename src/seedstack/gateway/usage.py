"""Token counts from an OpenAI ``usage`` object, and the up-front estimates limits reserve against."""

from __future__ import annotations

from typing import Any

__all__ = ["estimate_prompt_tokens", "read_usage"]


def read_usage(usage: dict[str, Any] | None) -> tuple[int, int, int | None, int | None]:
    """(tokens_in, tokens_out, cached, reasoning) from OpenAI or Responses-style usage."""
    if not usage:
        return 0, 0, None, None
    tin = int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
    tout = int(usage.get("completion_tokens") or usage.get("output_tokens") or 0)
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cdetails = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
    reasoning = cdetails.get("reasoning_tokens") if isinstance(cdetails, dict) else None
    return tin, tout, cached, reasoning


def _text_bytes(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, list):
        return sum(_text_bytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_text_bytes(v) for k, v in value.items() if k in ("text", "content", "arguments"))
    return 0


def estimate_prompt_tokens(endpoint: str, body: dict[str, Any]) -> int:
    """An upper bound: a byte-level BPE token covers at least one byte of UTF-8 text."""
    if endpoint == "chat":
        messages = body.get("messages") or []
        return sum(_text_bytes(m.get("content")) + 4 for m in messages if isinstance(m, dict)) + 8
    if endpoint == "completions":
        return _text_bytes(body.get("prompt")) + 8
    return _text_bytes(body.get("input")) + 8
