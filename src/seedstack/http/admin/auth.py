"""Admin-key checks shared by the admin API and the dashboard.

Keys live in ``api_keys`` as the sha256 of the full key; only an unrevoked ``admin`` key passes.
The dashboard keeps the key in an HttpOnly, SameSite=Strict cookie scoped to ``/ui``, so page
scripts cannot read it and other sites cannot make the browser send it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ...store import Store

__all__ = ["COOKIE", "bearer_key", "is_admin_key"]

COOKIE = "seedstack_admin"


def is_admin_key(store: Store, key: str | None) -> bool:
    if not key:
        return False
    digest = hashlib.sha256(key.encode()).hexdigest()
    row = store.query_one("SELECT role FROM api_keys WHERE hash = ? AND revoked_at IS NULL", (digest,))
    return row is not None and row[0] == "admin"


def bearer_key(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
