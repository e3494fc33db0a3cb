"""Rate limits and budgets: reserve before the upstream call, settle after it.

A reservation takes one request from the key's requests-per-minute window, the estimated tokens
from its tokens-per-minute window and the estimated worst-case cost from its daily USD budget, all
or nothing. Settling replaces the estimates with what the call really used. Because the estimate is
an upper bound (prompt bytes ≥ prompt tokens, ``max_tokens`` is enforced), concurrent requests can
never spend more than the budget: the 201st of 200 affordable streams is refused up front.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ...errors import BudgetExceededError, RateLimitError
from ..keys import ApiKey

__all__ = ["Limiter", "Reservation", "day_bucket", "denied", "minute_bucket"]


@dataclass(slots=True)
class Reservation:
    key_id: str
    minute: int
    day: str
    tokens: int
    usd: float
    has_rpm: bool
    has_tpm: bool
    has_budget: bool


def minute_bucket(now: float) -> int:
    return int(now // 60)


def day_bucket(now: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))


def denied(kind: str, key: ApiKey, now: float) -> RateLimitError:
    if kind == "rpm":
        return RateLimitError(
            f"rate limit: key '{key.name}' allows {key.rpm} requests per minute; retry after the minute ends "
            "or ask an admin for a higher --rpm",
            retry_after=60 - now % 60,
        )
    if kind == "tpm":
        return RateLimitError(
            f"rate limit: key '{key.name}' allows {key.tpm} tokens per minute; send fewer or shorter requests, "
            "lower max_tokens, or ask an admin for a higher --tpm",
            retry_after=60 - now % 60,
        )
    return BudgetExceededError(
        f"budget: key '{key.name}' has spent its daily budget of ${key.budget_usd_day:g} (including requests in "
        "flight); it resets at 00:00 UTC, or an admin can raise --budget-usd-day",
        retry_after=86400 - now % 86400,
    )


class Limiter(ABC):
    """One per gateway; the backend decides whether counters are shared between replicas."""

    name: str

    async def reserve(self, key: ApiKey, tokens: int, usd: float, *, now: float | None = None) -> Reservation | None:
        if key.rpm is None and key.tpm is None and key.budget_usd_day is None:
            return None
        now = time.time() if now is None else now
        res = Reservation(
            key.id,
            minute_bucket(now),
            day_bucket(now),
            tokens,
            usd,
            key.rpm is not None,
            key.tpm is not None,
            key.budget_usd_day is not None,
        )
        refused = await self._reserve(key, res)
        if refused is not None:
            raise denied(refused, key, now)
        return res

    @abstractmethod
    async def _reserve(self, key: ApiKey, res: Reservation) -> str | None:
        """Take the reservation atomically; return the refused limit ('rpm'|'tpm'|'usd') or None."""

    @abstractmethod
    async def settle(self, res: Reservation, tokens: int, usd: float) -> None:
        """Replace the reservation's estimates with the real use."""

    async def spent_today(self, key: ApiKey) -> float:
        """USD settled today for this key (reservations excluded)."""
        return 0.0

    async def close(self) -> None:
        pass
