"""In-process limiter for a single gateway. Today's spend is read back from the store once per key
and day, so a restart does not hand out a fresh budget."""

from __future__ import annotations

import asyncio
import calendar
import time
from collections.abc import Awaitable, Callable

from ..keys import ApiKey
from .base import Limiter, Reservation

__all__ = ["MemoryLimiter"]


class MemoryLimiter(Limiter):
    name = "memory"

    def __init__(self, load_spent: Callable[[str, float], Awaitable[float]] | None = None) -> None:
        self._load_spent = load_spent
        self._minute: dict[str, tuple[int, int, int]] = {}  # key -> (minute, requests, tokens)
        self._day: dict[str, tuple[str, float, float]] = {}  # key -> (day, spent, reserved)
        self._loading: dict[tuple[str, str], asyncio.Future[float]] = {}

    async def _ensure_day(self, key_id: str, day: str) -> None:
        cur = self._day.get(key_id)
        if cur is not None and cur[0] == day:
            return
        spent = 0.0
        if self._load_spent is not None:
            since = calendar.timegm(time.strptime(day, "%Y-%m-%d"))
            fut = self._loading.get((key_id, day))
            if fut is None:
                fut = asyncio.ensure_future(self._load_spent(key_id, since))
                self._loading[(key_id, day)] = fut
            spent = await fut
            self._loading.pop((key_id, day), None)
        cur = self._day.get(key_id)
        if cur is None or cur[0] != day:
            self._day[key_id] = (day, spent, 0.0)

    async def _reserve(self, key: ApiKey, res: Reservation) -> str | None:
        if res.has_budget:
            await self._ensure_day(key.id, res.day)
        # From here on there is no await: the check-and-take is atomic on the event loop.
        m = self._minute.get(key.id)
        if m is None or m[0] != res.minute:
            m = (res.minute, 0, 0)
        if key.rpm is not None and m[1] + 1 > key.rpm:
            return "rpm"
        if key.tpm is not None and m[2] + res.tokens > key.tpm:
            return "tpm"
        if res.has_budget:
            day, spent, reserved = self._day[key.id]
            if spent + reserved + res.usd > (key.budget_usd_day or 0.0) + 1e-12:
                return "usd"
            self._day[key.id] = (day, spent, reserved + res.usd)
        self._minute[key.id] = (m[0], m[1] + 1, m[2] + (res.tokens if key.tpm is not None else 0))
        return None

    async def settle(self, res: Reservation, tokens: int, usd: float) -> None:
        if res.has_tpm:
            m = self._minute.get(res.key_id)
            if m is not None and m[0] == res.minute:
                self._minute[res.key_id] = (m[0], m[1], max(0, m[2] - res.tokens + tokens))
        if res.has_budget:
            cur = self._day.get(res.key_id)
            if cur is not None and cur[0] == res.day:
                self._day[res.key_id] = (cur[0], cur[1] + usd, max(0.0, cur[2] - res.usd))

    async def spent_today(self, key: ApiKey) -> float:
        cur = self._day.get(key.id)
        return cur[1] if cur else 0.0
