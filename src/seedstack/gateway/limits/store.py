"""Limiter on the store (PostgreSQL for several replicas): guarded UPDATEs in one transaction."""

from __future__ import annotations

import asyncio
import time

from ...store import Store, Tx
from ..keys import ApiKey
from .base import Limiter, Reservation, day_bucket

__all__ = ["StoreLimiter"]


class _Refused(Exception):
    def __init__(self, kind: str) -> None:
        self.kind = kind


_ENSURE = (
    "INSERT INTO limit_counters (key_id, kind, bucket, used, reserved, expires_at) VALUES (?, ?, ?, 0, 0, ?) "
    "ON CONFLICT (key_id, kind, bucket) DO NOTHING"
)
_TAKE = (
    "UPDATE limit_counters SET used = used + ?, reserved = reserved + ? "
    "WHERE key_id = ? AND kind = ? AND bucket = ? AND used + reserved + ? <= ?"
)


class StoreLimiter(Limiter):
    name = "store"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._last_gc = 0.0

    def _take(self, key: ApiKey, res: Reservation) -> None:
        now = time.time()

        def tx(t: Tx) -> None:
            checks: list[tuple[str, str, float, float, float, float]] = []
            if key.rpm is not None:
                checks.append(("rpm", str(res.minute), 1, 0, float(key.rpm), now + 120))
            if key.tpm is not None:
                checks.append(("tpm", str(res.minute), res.tokens, 0, float(key.tpm), now + 120))
            if key.budget_usd_day is not None:
                checks.append(("usd", res.day, 0, res.usd, key.budget_usd_day + 1e-12, now + 172800))
            for kind, bucket, used, reserved, limit, expires in checks:
                t.execute(_ENSURE, (key.id, kind, bucket, expires))
                amount = used + reserved
                if t.execute(_TAKE, (used, reserved, key.id, kind, bucket, amount, limit)) == 0:
                    raise _Refused(kind)

        self.store.transaction(tx)

    async def _reserve(self, key: ApiKey, res: Reservation) -> str | None:
        try:
            await asyncio.to_thread(self._take, key, res)
        except _Refused as r:
            return r.kind
        return None

    def _settle(self, res: Reservation, tokens: int, usd: float) -> None:
        def tx(t: Tx) -> None:
            if res.has_tpm:
                t.execute(
                    "UPDATE limit_counters SET used = used + ? WHERE key_id = ? AND kind = 'tpm' AND bucket = ?",
                    (tokens - res.tokens, res.key_id, str(res.minute)),
                )
            if res.has_budget:
                t.execute(
                    "UPDATE limit_counters SET used = used + ?, reserved = reserved - ? "
                    "WHERE key_id = ? AND kind = 'usd' AND bucket = ?",
                    (usd, res.usd, res.key_id, res.day),
                )
            now = time.time()
            if now - self._last_gc > 300:
                self._last_gc = now
                t.execute("DELETE FROM limit_counters WHERE expires_at < ?", (now,))

        self.store.transaction(tx)

    async def settle(self, res: Reservation, tokens: int, usd: float) -> None:
        await asyncio.to_thread(self._settle, res, tokens, usd)

    async def spent_today(self, key: ApiKey) -> float:
        row = await asyncio.to_thread(
            self.store.query_one,
            "SELECT used FROM limit_counters WHERE key_id = ? AND kind = 'usd' AND bucket = ?",
            (key.id, day_bucket(time.time())),
        )
        return float(row[0]) if row else 0.0
