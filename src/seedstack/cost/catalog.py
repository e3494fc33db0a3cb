"""The GPU price catalog: shipped, dated rows with their source, plus the user's overrides.

Prices move every quarter, so every row carries the page it came from and the day it was true,
and ``stale_rows`` lets the CLI warn before anyone commits money on an old figure.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from dataclasses import dataclass
from importlib import resources

from ..config.cost import CostConfig

__all__ = ["GPU_TYPES", "PRICINGS", "GpuPrice", "PriceCatalog", "normalize_gpu"]

GPU_TYPES = ("H100", "H200", "B200", "A100-80GB", "L4", "A10G")
PRICINGS = ("on-demand", "reserved", "spot", "serverless")

_GPU_PATTERNS = (
    (re.compile(r"\bB200\b", re.I), "B200"),
    (re.compile(r"\bH200\b", re.I), "H200"),
    (re.compile(r"\bH100\b", re.I), "H100"),
    (re.compile(r"\bA100\b", re.I), "A100-80GB"),
    (re.compile(r"\bA10G\b", re.I), "A10G"),
    (re.compile(r"\bL4\b", re.I), "L4"),
)


def normalize_gpu(name: str | None) -> str | None:
    """Map a device name ("NVIDIA H100 80GB HBM3", "a100-80gb") to its catalog key, or None."""
    if not name:
        return None
    upper = name.strip().upper()
    if upper in GPU_TYPES:
        return upper
    for pattern, key in _GPU_PATTERNS:
        if pattern.search(name):
            return key
    return None


@dataclass(frozen=True, slots=True)
class GpuPrice:
    gpu: str
    provider: str
    pricing: str
    usd_per_gpu_hour: float
    source: str
    as_of: dt.date
    region: str | None = None
    note: str | None = None

    def age_days(self, today: dt.date) -> int:
        return (today - self.as_of).days


class PriceCatalog:
    """Rows keyed by (gpu, provider, pricing); an override replaces the shipped row it matches."""

    def __init__(self, rows: list[GpuPrice], preferred_provider: str | None = None) -> None:
        keyed: dict[tuple[str, str, str], GpuPrice] = {}
        for row in rows:
            keyed[(row.gpu, row.provider, row.pricing)] = row
        self.rows = tuple(sorted(keyed.values(), key=lambda r: (r.gpu, r.pricing, r.usd_per_gpu_hour)))
        self.preferred_provider = preferred_provider

    @staticmethod
    def shipped_rows() -> list[GpuPrice]:
        text = resources.files("seedstack.cost").joinpath("gpu_prices.json").read_text(encoding="utf-8")
        return [
            GpuPrice(
                gpu=r["gpu"],
                provider=r["provider"],
                pricing=r["pricing"],
                usd_per_gpu_hour=float(r["usd_per_gpu_hour"]),
                source=r["source"],
                as_of=dt.date.fromisoformat(r["as_of"]),
                region=r.get("region"),
                note=r.get("note"),
            )
            for r in json.loads(text)["rows"]
        ]

    @classmethod
    def from_config(cls, config: CostConfig, *, today: dt.date | None = None) -> PriceCatalog:
        today = today or dt.date.today()
        rows = cls.shipped_rows()
        for o in config.prices:
            gpu = normalize_gpu(o.gpu) or o.gpu
            rows.append(
                GpuPrice(
                    gpu,
                    o.provider.lower(),
                    o.pricing,
                    o.usd_per_gpu_hour,
                    o.source,
                    o.as_of or today,
                    note="user override",
                )
            )
        return cls(rows, preferred_provider=config.provider.lower() if config.provider else None)

    def find(
        self, gpu: str | None = None, pricing: str | None = None, provider: str | None = None
    ) -> list[GpuPrice]:
        key = normalize_gpu(gpu) or gpu if gpu else None
        return [
            r
            for r in self.rows
            if (key is None or r.gpu == key)
            and (pricing is None or r.pricing == pricing)
            and (provider is None or r.provider == provider.lower())
        ]

    def price(self, gpu: str | None, pricing: str, provider: str | None = None) -> GpuPrice | None:
        """The price the advisor uses: the named (or preferred) provider's row, else the median
        across providers, which is a fairer default than the cheapest 'from' price."""
        if not gpu:
            return None
        for who in (provider, self.preferred_provider):
            if who:
                hit = self.find(gpu, pricing, who)
                if hit:
                    return hit[0]
        rows = self.find(gpu, pricing)
        if not rows:
            return None
        if len(rows) == 1:
            return rows[0]
        median = statistics.median(r.usd_per_gpu_hour for r in rows)
        return GpuPrice(
            gpu=rows[0].gpu,
            provider="median",
            pricing=pricing,
            usd_per_gpu_hour=round(median, 4),
            source=f"median of {len(rows)} catalog rows ({', '.join(r.provider for r in rows)})",
            as_of=min(r.as_of for r in rows),
        )

    def stale_rows(self, today: dt.date, max_age_days: int) -> list[GpuPrice]:
        return [r for r in self.rows if r.age_days(today) > max_age_days]
