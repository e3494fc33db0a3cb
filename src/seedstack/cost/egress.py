"""Data-transfer classification and the arithmetic of the egress rule.

A bill line is transfer when its usage type / SKU says so; it is then ``internet`` (leaves the
cloud: co-location does not remove it), ``cross-zone`` or ``cross-region`` (both disappear when
compute moves next to the data lake). The source and destination are named when the bill says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..store import Store

__all__ = [
    "AWS_REGION_CODES",
    "TransferClass",
    "TransferSummary",
    "classify_aws_usage_type",
    "classify_text",
    "transfer_cost_usd",
    "transfer_summary",
    "yearly_usd",
]

GB = 1000**3  # clouds bill transfer in decimal GB
KINDS = ("internet", "cross-zone", "cross-region")
AVOIDABLE = ("cross-zone", "cross-region")

AWS_REGION_CODES = {
    "USE1": "us-east-1",
    "USE2": "us-east-2",
    "USW1": "us-west-1",
    "USW2": "us-west-2",
    "CAN1": "ca-central-1",
    "SAE1": "sa-east-1",
    "EUW1": "eu-west-1",
    "EUW2": "eu-west-2",
    "EUW3": "eu-west-3",
    "EUC1": "eu-central-1",
    "EUC2": "eu-central-2",
    "EUN1": "eu-north-1",
    "EUS1": "eu-south-1",
    "EUS2": "eu-south-2",
    "APN1": "ap-northeast-1",
    "APN2": "ap-northeast-2",
    "APN3": "ap-northeast-3",
    "APS1": "ap-southeast-1",
    "APS2": "ap-southeast-2",
    "APS3": "ap-south-1",
    "APS4": "ap-southeast-3",
    "APS5": "ap-south-2",
    "APE1": "ap-east-1",
    "MES1": "me-south-1",
    "MEC1": "me-central-1",
    "AFS1": "af-south-1",
    "ILC1": "il-central-1",
    "UGW1": "us-gov-west-1",
}


@dataclass(frozen=True, slots=True)
class TransferClass:
    kind: str  # internet | cross-zone | cross-region
    src: str | None = None
    dst: str | None = None


_AWS_PAIR = re.compile(r"^([A-Z]{2,4}\d)-([A-Z]{2,4}\d)-AWS-(Out|In)-Bytes$")
_AWS_OUT = re.compile(r"^(?:([A-Z]{2,4}\d)-)?DataTransfer-(Out|In)-Bytes$")
_AWS_REGIONAL = re.compile(r"^(?:([A-Z]{2,4}\d)-)?DataTransfer-(?:Regional|xAZ-In|xAZ-Out)-Bytes$")
_AWS_CLOUDFRONT = re.compile(r"^(?:([A-Z]{2,4}\d)-)?CloudFront-Out-Bytes$")


def _aws_region(code: str | None) -> str:
    code = code or "USE1"  # AWS omits the prefix for us-east-1
    return AWS_REGION_CODES.get(code, code)


def classify_aws_usage_type(usage_type: str, zone: str | None = None) -> TransferClass | None:
    """``USE1-USW2-AWS-Out-Bytes`` → cross-region us-east-1 → us-west-2, and so on."""
    ut = (usage_type or "").strip()
    if m := _AWS_PAIR.match(ut):
        a, b, direction = _aws_region(m.group(1)), _aws_region(m.group(2)), m.group(3)
        return (
            TransferClass("cross-region", a, b) if direction == "Out" else TransferClass("cross-region", b, a)
        )
    if m := _AWS_REGIONAL.match(ut):
        return TransferClass(
            "cross-zone", zone or _aws_region(m.group(1)), f"another zone in {_aws_region(m.group(1))}"
        )
    if m := _AWS_OUT.match(ut):
        region = _aws_region(m.group(1))
        return (
            TransferClass("internet", region, "internet")
            if m.group(2) == "Out"
            else TransferClass("internet", "internet", region)
        )
    if m := _AWS_CLOUDFRONT.match(ut):
        return TransferClass("internet", "cloudfront", "internet")
    return None


_FROM_TO = re.compile(r"\bfrom\s+(.+?)\s+to\s+(.+?)\s*$", re.I)
_FROM = re.compile(r"\bfrom\s+(.+?)\s*$", re.I)


def classify_text(text: str, region: str | None = None, zone: str | None = None) -> TransferClass | None:
    """GCP SKU descriptions and FOCUS ChargeDescriptions ("Network Inter Region Data Transfer Out
    from Americas to EMEA", "Network Inter Zone Egress", "Network Internet Egress from …")."""
    t = (text or "").strip()
    low = t.lower().replace("-", " ")
    pair = _FROM_TO.search(t)
    if "inter zone" in low or "cross zone" in low or "inter availability zone" in low:
        return TransferClass("cross-zone", zone or region, f"another zone in {region}" if region else None)
    if "inter region" in low or "cross region" in low or "between regions" in low:
        if pair:
            return TransferClass("cross-region", pair.group(1), pair.group(2))
        return TransferClass("cross-region", region, None)
    if "internet" in low and ("egress" in low or "transfer" in low or "data out" in low):
        src = _FROM.search(t)
        return TransferClass("internet", src.group(1).split(" to ")[0] if src else region, "internet")
    if "download worldwide" in low or ("egress" in low and "network" in low):
        return TransferClass("internet", region, "internet")
    return None


def transfer_cost_usd(gigabytes: float, usd_per_gb: float) -> float:
    """The guide's arithmetic: 5 TB (5,000 GB) at $0.09/GB is $450."""
    return gigabytes * usd_per_gb


def yearly_usd(per_transfer_usd: float, transfers_per_day: float = 1.0, days: float = 365.0) -> float:
    """Daily copies add up: $450 a day is $164,250 a year, not the '$13,000+' sometimes quoted."""
    return per_transfer_usd * transfers_per_day * days


@dataclass(slots=True)
class TransferSummary:
    start: float
    end: float
    total_usd: float = 0.0
    by_kind: dict[str, float] = field(default_factory=dict)
    pairs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def transfer_usd(self) -> float:
        return sum(self.by_kind.values())

    @property
    def avoidable_usd(self) -> float:
        return sum(self.by_kind.get(k, 0.0) for k in AVOIDABLE)

    @property
    def share(self) -> float | None:
        return round(self.transfer_usd / self.total_usd, 9) if self.total_usd > 0 else None

    @property
    def days(self) -> float:
        return max(self.end - self.start, 0.0) / 86400.0


def transfer_summary(store: Store, start: float, end: float, top: int = 5) -> TransferSummary:
    """Bill totals for charge periods starting in [start, end), with the costliest transfer pairs."""
    span = store.query_one(
        "SELECT MIN(period_start), MAX(period_end), SUM(cost) FROM bill_lines "
        "WHERE period_start >= ? AND period_start < ?",
        (start, end),
    )
    if span is None or span[0] is None:
        return TransferSummary(start, end)
    out = TransferSummary(float(span[0]), float(span[1]), float(span[2] or 0.0))
    rows = store.query(
        "SELECT transfer, src, dst, SUM(cost), SUM(quantity), COUNT(*) FROM bill_lines "
        "WHERE period_start >= ? AND period_start < ? AND transfer IS NOT NULL "
        "GROUP BY transfer, src, dst",
        (start, end),
    )
    for kind, src, dst, cost, qty, n in rows:
        out.by_kind[kind] = out.by_kind.get(kind, 0.0) + float(cost or 0.0)
        out.pairs.append(
            {
                "kind": kind,
                "src": src,
                "dst": dst,
                "usd": round(float(cost or 0.0), 2),
                "quantity": float(qty or 0.0),
                "lines": int(n),
            }
        )
    out.pairs.sort(key=lambda p: -p["usd"])
    out.pairs = out.pairs[:top]
    return out
