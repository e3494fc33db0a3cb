"""Load one sampled payload, decrypting it when it was stored encrypted.

Payloads are ``orjson`` bytes of ``{"request": ..., "response": ...}``; a non-NULL ``key_ref``
means the body went through ``seedstack.crypto.DataKeyring``; callers pass a ``decrypt``
(``keyring_decryptor(settings)`` opens the keyring lazily, so reading plaintext payloads never
touches key material).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import ConfigError
from ..store import Store

if TYPE_CHECKING:
    from ..config import Settings, StoreSettings
    from ..crypto import DataKeyring

__all__ = [
    "Decryptor",
    "KeyringDecryptor",
    "keyring_decryptor",
    "load_payload",
    "load_payloads",
    "payload_texts",
]

Decryptor = Callable[[bytes], bytes]


class KeyringDecryptor:
    """A ``Decryptor`` over the data keyring of ``settings``, opened only when first needed.

    Reading plaintext payloads never touches key material (nor imports the crypto library). The
    search index also uses ``keyring`` to make its key the first time it indexes an encrypted payload.
    """

    def __init__(self, settings: Settings | StoreSettings) -> None:
        self._settings = settings
        self._ring: DataKeyring | None = None

    @property
    def keyring(self) -> DataKeyring:
        if self._ring is None:
            from ..crypto import DataKeyring

            self._ring = DataKeyring.from_settings(self._settings)
        return self._ring

    def __call__(self, blob: bytes) -> bytes:
        return self.keyring.decrypt(blob)


def keyring_decryptor(settings: Settings | StoreSettings) -> KeyringDecryptor:
    """Decrypt with the data keyring of ``settings``, opened only when an encrypted payload is met."""
    return KeyringDecryptor(settings)


def load_payload(store: Store, request_id: str, *, decrypt: Decryptor | None = None) -> dict[str, Any] | None:
    """The payload of ``request_id``, or ``None`` when it was not sampled (or already expired)."""
    row = store.query_one("SELECT body, key_ref FROM payloads WHERE request_id = ?", (request_id,))
    if row is None:
        return None
    return _decode(request_id, bytes(row[0]), row[1], decrypt)


def load_payloads(
    store: Store, request_ids: Sequence[str], *, decrypt: Decryptor | None = None
) -> dict[str, dict[str, Any]]:
    """The payloads of several requests in one query (missing ones are left out)."""
    if not request_ids:
        return {}
    marks = ",".join("?" * len(request_ids))
    out = {}
    for rid, body, key_ref in store.query(
        f"SELECT request_id, body, key_ref FROM payloads WHERE request_id IN ({marks})", list(request_ids)
    ):
        out[rid] = _decode(rid, bytes(body), key_ref, decrypt)
    return out


def _decode(request_id: str, body: bytes, key_ref: str | None, decrypt: Decryptor | None) -> dict[str, Any]:
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
