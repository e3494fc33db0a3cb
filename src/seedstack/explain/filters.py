"""The metadata filters shared by search, the request explorer and the dashboard, and how
durations like '2d' are read. No numpy here: listing requests must stay cheap to import."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRequestError

__all__ = ["SearchFilters", "parse_since"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str | None, now: float | None = None) -> float | None:
    """'2d', '36h', '15m' → an epoch timestamp that long ago; None stays None."""
    if value is None or value == "":
        return None
    m = _DURATION.match(value)
    if not m:
        raise InvalidRequestError(f"cannot read the duration '{value}': write it like 30m, 36h, 2d or 1w")
    return (now if now is not None else time.time()) - float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class SearchFilters:
    customer: str | None = None
    key_id: str | None = None
    alias: str | None = None
    template: str | None = None
    status: str | None = None  # "ok", "error", or an HTTP code like "429"
    min_latency_ms: float | None = None
    max_latency_ms: float | None = None
    since: float | None = None
    until: float | None = None

    def where(self, prefix: str = "") -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for col, val in (
            ("customer", self.customer),
            ("key_id", self.key_id),
            ("alias", self.alias),
            ("template", self.template),
        ):
            if val is not None:
                clauses.append(f"{prefix}{col} = ?")
                params.append(val)
        if self.status:
            s = self.status.lower()
            if s == "ok":
                clauses.append(f"{prefix}status_code < 400")
            elif s in ("error", "errors", "failed"):
                clauses.append(f"{prefix}status_code >= 400")
            elif s.isdigit():
                clauses.append(f"{prefix}status_code = ?")
                params.append(int(s))
            else:
                raise InvalidRequestError(f"unknown status filter '{self.status}': use ok, error or an HTTP code")
        if self.min_latency_ms is not None:
            clauses.append(f"{prefix}latency_ms >= ?")
            params.append(self.min_latency_ms)
        if self.max_latency_ms is not None:
            clauses.append(f"{prefix}latency_ms <= ?")
            params.append(self.max_latency_ms)
        if self.since is not None:
            clauses.append(f"{prefix}ts >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append(f"{prefix}ts <= ?")
            params.append(self.until)
        return (" AND ".join(clauses) or "1=1"), params
