"""Load one sampled payload, decrypting it when it was stored encrypted.

Payloads are ``orjson`` bytes of ``{"request": ..., "response": ...}``; a non-NULL ``key_ref``
means the body went through ``seedstack.crypto.DataKeyring``; callers pass a ``decrypt``
(``keyring_decryptor(settings)`` opens the keyring lazily, so reading plaintext payloads never
touches key material).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..config import Settings
from ..errors import ConfigError
from ..store import Store

__all__ = ["Decryptor", "keyring_decryptor", "load_payload", "payload_texts"]

Decryptor = Callable[[bytes], bytes]


def keyring_decryptor(settings: Settings) -> Decryptor:
    """Decrypt with the data keyring of ``settings``, opened only when an encrypted payload is met."""
    opened: list[Decryptor] = []

    def decrypt(blob: bytes) -> bytes:
        if not opened:
            from ..crypto import DataKeyring

            opened.append(DataKeyring.from_settings(settings).decrypt)
        return opened[0](blob)

    return decrypt


def load_payload(store: Store, request_id: str, *, decrypt: Decryptor | None = None) -> dict[str, Any] | None:
    """The payload of ``request_id``, or ``None`` when it was not sampled (or already expired)."""
    row = store.query_one("SELECT body, key_ref FROM payloads WHERE request_id = ?", (request_id,))
    if row is None:
        return None
    body, key_ref = bytes(row[0]), row[1]
    if key_ref is not None:
        if decrypt is None:
            raise ConfigError(
                f"the payload of {request_id} is encrypted (key {key_ref}); configure the data keyring "
                "(seedstack.crypto) so seedstack can decrypt it"
            )
        body = decrypt(body)
    data = orjson.loads(body)
    return data if isinstance(data, dict) else {"request": data}


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(parts)
    return ""


def payload_texts(payload: dict[str, Any] | None) -> tuple[str, str]:
    """(prompt text, response text) of a payload: what a complaint's words will match against."""
    if not payload:
        return "", ""
    req = payload.get("request") or {}
    prompt_parts: list[str] = []
    if isinstance(req, dict):
        for msg in req.get("messages") or []:
            if isinstance(msg, dict):
                prompt_parts.append(_content_text(msg.get("content")))
        prompt = req.get("prompt")
        if isinstance(prompt, str):
            prompt_parts.append(prompt)
        elif isinstance(prompt, list):
            prompt_parts.extend(p for p in prompt if isinstance(p, str))
        inp = req.get("input")
        if isinstance(inp, str):
            prompt_parts.append(inp)
    resp = payload.get("response") or {}
    response_parts: list[str] = []
    if isinstance(resp, dict):
        if isinstance(resp.get("text"), str):
            response_parts.append(resp["text"])
        for choice in resp.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            msg = choice.get("message") or {}
            if isinstance(msg, dict):
                response_parts.append(_content_text(msg.get("content")))
                for call in msg.get("tool_calls") or []:
                    fn = (call or {}).get("function") or {}
                    response_parts.append(f"{fn.get('name', '')} {fn.get('arguments', '')}")
            if isinstance(choice.get("text"), str):
                response_parts.append(choice["text"])
    return "\n".join(p for p in prompt_parts if p), "\n".join(p for p in response_parts if p)
