"""Key checks shared by the admin API and the dashboard.

Keys live in ``api_keys`` as the sha256 of the full key. The admin API takes any active key and
checks each endpoint's permission against the key's role (``seedstack.access``); the dashboard
still opens only for an ``admin`` key. The dashboard keeps the key in an HttpOnly, SameSite=Strict
cookie scoped to ``/ui``, so page scripts cannot read it and other sites cannot make the browser
send it.
"""

from __future__ import annotations

from typing import Any

from ...access import ROLE_ADMIN, key_actor
from ...errors import AuthenticationError
from ...store import Store

__all__ = ["COOKIE", "bearer_key", "is_admin_key"]

COOKIE = "seedstack_admin"


def is_admin_key(store: Store, key: str | None) -> bool:
    try:
        return key_actor(store, key).role == ROLE_ADMIN
    except AuthenticationError:
        return False


def bearer_key(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
