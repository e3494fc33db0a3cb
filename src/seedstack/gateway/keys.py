"""API keys: created by the CLI, stored as SHA-256 hashes, looked up through a short-lived cache.

Keys are 32 random bytes, so a fast hash is enough (no password stretching needed) and the hot path
pays ~1 µs to hash and a dict lookup; the store is read only on a cache miss.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..access import ROLES as ACCESS_ROLES
from ..errors import InvalidRequestError, NotFoundError
from ..store import Store

__all__ = ["ROLES", "ApiKey", "KeyCache", "create_key", "hash_key", "list_keys", "revoke_key"]

KEY_PREFIX = "sk-ss-"
ROLES = tuple(ACCESS_ROLES)  # the role table lives in seedstack.access

_COLUMNS = "id, name, prefix, role, models, rpm, tpm, budget_usd_day, customer, created_at, revoked_at"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    prefix: str
    role: str
    models: tuple[str, ...] | None = None  # None: every alias
    rpm: int | None = None
    tpm: int | None = None
    budget_usd_day: float | None = None
    customer: str | None = None
    created_at: float = field(default_factory=time.time)
    revoked_at: float | None = None

    def allows(self, alias: str) -> bool:
        return self.models is None or alias in self.models

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "role": self.role,
            "models": list(self.models) if self.models is not None else None,
            "rpm": self.rpm,
            "tpm": self.tpm,
            "budget_usd_day": self.budget_usd_day,
            "customer": self.customer,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _from_row(row: tuple[Any, ...]) -> ApiKey:
    models = orjson.loads(row[4]) if row[4] else None
    return ApiKey(
        id=row[0],
        name=row[1],
        prefix=row[2],
        role=row[3],
        models=tuple(models) if models is not None else None,
        rpm=row[5],
        tpm=row[6],
        budget_usd_day=row[7],
        customer=row[8],
        created_at=row[9],
        revoked_at=row[10],
    )


def create_key(
    store: Store,
    *,
    role: str = "app",
    name: str | None = None,
    models: list[str] | None = None,
    rpm: int | None = None,
    tpm: int | None = None,
    budget_usd_day: float | None = None,
    customer: str | None = None,
) -> tuple[str, ApiKey]:
    """Create a key; return (plaintext, record). The plaintext is shown once and never stored."""
    if role not in ROLES:
        raise InvalidRequestError(f"unknown role '{role}'; choose one of: {', '.join(ROLES)}")
    for label, value in (("rpm", rpm), ("tpm", tpm), ("budget-usd-day", budget_usd_day)):
        if value is not None and value <= 0:
            raise InvalidRequestError(f"--{label} must be positive (leave it out for no limit)")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id="key_" + secrets.token_hex(8),
        name=name or f"{role}-key",
        prefix=plaintext[:12],
        role=role,
        models=tuple(models) if models else None,
        rpm=rpm,
        tpm=tpm,
        budget_usd_day=budget_usd_day,
        customer=customer,
    )
    store.execute(
        f"INSERT INTO api_keys ({_COLUMNS}, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            key.id,
            key.name,
            key.prefix,
            key.role,
            orjson.dumps(list(key.models)).decode() if key.models else None,
            key.rpm,
            key.tpm,
            key.budget_usd_day,
            key.customer,
            key.created_at,
            None,
            hash_key(plaintext),
        ),
    )
    return plaintext, key


def list_keys(store: Store, *, include_revoked: bool = False) -> list[ApiKey]:
    where = "" if include_revoked else " WHERE revoked_at IS NULL"
    return [_from_row(r) for r in store.query(f"SELECT {_COLUMNS} FROM api_keys{where} ORDER BY created_at")]


def revoke_key(store: Store, key_id: str) -> None:
    n = store.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (time.time(), key_id))
    if n == 0:
        raise NotFoundError(f"no active key with id '{key_id}'; see `seedstack keys list`")


def count_keys(store: Store) -> int:
    row = store.query_one("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
    return int(row[0]) if row else 0


class KeyCache:
    """Maps key hashes to ApiKey for ``ttl`` seconds (revocations apply within ``ttl``); bounded LRU."""

    def __init__(self, store: Store, *, ttl: float = 5.0, negative_ttl: float = 1.0, max_entries: int = 10_000):
        self.store = store
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, ApiKey | None]] = OrderedDict()

    async def lookup(self, plaintext: str) -> ApiKey | None:
        h = hash_key(plaintext)
        now = time.monotonic()
        hit = self._entries.get(h)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = await asyncio.to_thread(
            self.store.query_one,
            f"SELECT {_COLUMNS} FROM api_keys WHERE hash = ? AND revoked_at IS NULL",
            (h,),
        )
        key = _from_row(row) if row else None
        self._entries[h] = (now + (self.ttl if key else self.negative_ttl), key)
        self._entries.move_to_end(h)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return key
