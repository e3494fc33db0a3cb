"""Limiter backends: memory (one process), redis and store (shared by replicas)."""

from __future__ import annotations

from ...config import Settings
from ...store import Store
from .base import Limiter, Reservation
from .memory import MemoryLimiter

__all__ = ["Limiter", "MemoryLimiter", "Reservation", "build_limiter"]


def build_limiter(settings: Settings, store: Store) -> Limiter:
    kind = settings.limits.backend
    if kind == "redis":
        from .redis import RedisLimiter

        return RedisLimiter(settings.limits.redis_url)
    if kind == "store":
        from .store import StoreLimiter

        return StoreLimiter(store)

    async def load_spent(key_id: str, since: float) -> float:
        import asyncio

        row = await asyncio.to_thread(
            store.query_one,
            "SELECT COALESCE(SUM(cost_usd), 0) FROM requests WHERE key_id = ? AND ts >= ?",
            (key_id, since),
        )
        return float(row[0]) if row else 0.0

    return MemoryLimiter(load_spent)
