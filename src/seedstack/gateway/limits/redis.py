"""Redis limiter (the ``[redis]`` extra): counters shared by every gateway replica.

Each reserve and settle is one Lua script, so the check-and-take is atomic in Redis. Money is kept
in integer nano-dollars to avoid float drift.
"""

from __future__ import annotations

import time
from typing import Any

from ...errors import MissingExtraError, StoreError
from ..keys import ApiKey
from .base import Limiter, Reservation, day_bucket

__all__ = ["RedisLimiter"]

_NANO = 1_000_000_000

_RESERVE = """
local rpm = tonumber(ARGV[1]); local tpm = tonumber(ARGV[2]); local tok = tonumber(ARGV[3])
local budget = tonumber(ARGV[4]); local usd = tonumber(ARGV[5])
if rpm >= 0 and tonumber(redis.call('GET', KEYS[1]) or '0') + 1 > rpm then return 1 end
if tpm >= 0 and tonumber(redis.call('GET', KEYS[2]) or '0') + tok > tpm then return 2 end
if budget >= 0 then
  local s = tonumber(redis.call('HGET', KEYS[3], 's') or '0')
  local r = tonumber(redis.call('HGET', KEYS[3], 'r') or '0')
  if s + r + usd > budget then return 3 end
  redis.call('HINCRBY', KEYS[3], 'r', usd); redis.call('EXPIRE', KEYS[3], 172800)
end
if rpm >= 0 then redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], 120) end
if tpm >= 0 then redis.call('INCRBY', KEYS[2], tok); redis.call('EXPIRE', KEYS[2], 120) end
return 0
"""

_SETTLE = """
if tonumber(ARGV[1]) ~= 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[1]) end
if tonumber(ARGV[2]) >= 0 then
  redis.call('HINCRBY', KEYS[2], 'r', -tonumber(ARGV[2])); redis.call('HINCRBY', KEYS[2], 's', ARGV[3])
  redis.call('EXPIRE', KEYS[2], 172800)
end
return 0
"""

_REFUSED = {1: "rpm", 2: "tpm", 3: "usd"}


class RedisLimiter(Limiter):
    name = "redis"

    def __init__(self, url: str, *, prefix: str = "seedstack:limits") -> None:
        try:
            import redis.asyncio as aioredis
            from redis.exceptions import RedisError
        except ImportError:
            raise MissingExtraError("the Redis limiter", "redis") from None
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError)
        # A blocking pool: a burst of requests waits for a connection instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=10)
        self._client: Any = aioredis.Redis(connection_pool=pool)
        self._reserve_script = self._client.register_script(_RESERVE)
        self._settle_script = self._client.register_script(_SETTLE)
        self.prefix = prefix

    def _keys(self, key_id: str, minute: int, day: str) -> tuple[str, str, str]:
        p = f"{self.prefix}:{key_id}"
        return f"{p}:rpm:{minute}", f"{p}:tpm:{minute}", f"{p}:usd:{day}"

    async def _reserve(self, key: ApiKey, res: Reservation) -> str | None:
        keys = self._keys(key.id, res.minute, res.day)
        args = [
            key.rpm if key.rpm is not None else -1,
            key.tpm if key.tpm is not None else -1,
            res.tokens,
            int(key.budget_usd_day * _NANO) if key.budget_usd_day is not None else -1,
            round(res.usd * _NANO),
        ]
        try:
            code = int(await self._reserve_script(keys=keys, args=args))
        except self._errors as exc:
            raise StoreError(f"Redis limiter unavailable: {exc.__class__.__name__}") from None
        return _REFUSED.get(code)

    async def settle(self, res: Reservation, tokens: int, usd: float) -> None:
        _, tpm_key, usd_key = self._keys(res.key_id, res.minute, res.day)
        args = [
            (tokens - res.tokens) if res.has_tpm else 0,
            round(res.usd * _NANO) if res.has_budget else -1,
            round(usd * _NANO),
        ]
        try:
            await self._settle_script(keys=[tpm_key, usd_key], args=args)
        except self._errors as exc:
            raise StoreError(f"Redis limiter unavailable: {exc.__class__.__name__}") from None

    async def spent_today(self, key: ApiKey) -> float:
        _, _, usd_key = self._keys(key.id, 0, day_bucket(time.time()))
        raw = await self._client.hget(usd_key, "s")
        return int(raw or 0) / _NANO

    async def close(self) -> None:
        await self._client.aclose()
