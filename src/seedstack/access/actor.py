"""Turning an API key into an actor, and refusing (with an audit row) what its role may not do.

Keys are stored only as the sha256 hex of the full key string, in the gateway's ``api_keys`` table.
A fresh install with no keys at all acts as a local admin, so ``seedstack data add`` works on day
one; the first key created switches every command to key-checked mode. Over HTTP there is no such
fallback: ``key_actor`` always needs a key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..errors import AuthenticationError, PermissionDeniedError
from ..store import Store
from .audit import audit
from .roles import PERMISSIONS, ROLE_ADMIN, check, holders

__all__ = ["LOCAL_ADMIN", "Actor", "authorize", "hash_key", "key_actor", "resolve_actor"]


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    key_id: str | None = None
    local: bool = False

    @property
    def label(self) -> str:
        """How the actor appears in version metadata and the audit log."""
        return f"key:{self.name}" if self.key_id else self.name


LOCAL_ADMIN = Actor(name="local-admin", role=ROLE_ADMIN, local=True)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _lookup(store: Store, key: str) -> tuple[Any, ...] | None:
    return store.query_one("SELECT id, name, role, revoked_at FROM api_keys WHERE hash = ?", (hash_key(key.strip()),))


def resolve_actor(store: Store, key: str | None) -> Actor:
    """The actor behind ``key``; with no key and no keys in the store, the local admin."""
    if not key:
        row = store.query_one("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
        if row is None or int(row[0]) == 0:
            return LOCAL_ADMIN
        raise AuthenticationError("this store has API keys: pass --key or set SEEDSTACK_API_KEY to act with one")
    row = _lookup(store, key)
    if row is None:
        raise AuthenticationError("unknown API key: check --key / SEEDSTACK_API_KEY (keys list shows prefixes)")
    if row[3] is not None:
        raise AuthenticationError(f"API key '{row[1]}' was revoked: ask an admin for a new one")
    return Actor(name=str(row[1]), role=str(row[2]), key_id=str(row[0]))


def key_actor(store: Store, key: str | None) -> Actor:
    """The actor behind a key sent over HTTP; a missing, unknown or revoked key is refused."""
    if not key:
        raise AuthenticationError(
            "send an API key as 'Authorization: Bearer <key>' (create one with `seedstack keys create`)"
        )
    row = _lookup(store, key)
    if row is None:
        raise AuthenticationError("unknown API key: check it (`seedstack keys list` shows key prefixes)")
    if row[3] is not None:
        raise AuthenticationError(f"API key '{row[1]}' was revoked: ask an admin for a new one")
    return Actor(name=str(row[1]), role=str(row[2]), key_id=str(row[0]))


def authorize(store: Store, actor: Actor, permission: str, target: str, detail: dict[str, Any] | None = None) -> None:
    """Raise ``PermissionDeniedError`` when the role lacks ``permission``; denials are audited."""
    if check(actor.role, permission):
        return
    row = {"key_id": actor.key_id, **(detail or {})} if actor.key_id else detail
    audit(store, actor.label, permission, target, False, row, role=actor.role)
    raise PermissionDeniedError(
        f"role '{actor.role}' may not {PERMISSIONS[permission]} ({permission} on {target}); "
        f"use a key whose role holds {permission}: {', '.join(holders(permission))} "
        "(see docs/data.md#roles-and-permissions)"
    )
