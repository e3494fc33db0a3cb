"""Cloud bill import: AWS CUR (CSV or Parquet, legacy and 2.0 column names), GCP billing export
CSV and FinOps FOCUS 1.x CSV, normalized to FOCUS-like rows with transfer classified.

A bill is re-importable: lines are keyed by the file's content hash, so importing the same export
twice replaces it instead of doubling the bill.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..errors import InvalidRequestError
from ..store import Store
from .egress import TransferClass, classify_aws_usage_type, classify_text

__all__ = ["BILL_FORMATS", "BillImport", "detect_bill_format", "import_bill", "read_bill"]

BILL_FORMATS = ("aws-cur", "gcp", "focus")

# canonical field -> accepted column names, first match wins
_AWS = {
    "usage_type": ("lineItem/UsageType", "line_item_usage_type"),
    "cost": ("lineItem/UnblendedCost", "line_item_unblended_cost", "lineItem/BlendedCost"),
    "start": ("lineItem/UsageStartDate", "line_item_usage_start_date"),
    "end": ("lineItem/UsageEndDate", "line_item_usage_end_date"),
    "quantity": ("lineItem/UsageAmount", "line_item_usage_amount"),
    "service": ("lineItem/ProductCode", "line_item_product_code"),
    "zone": ("lineItem/AvailabilityZone", "line_item_availability_zone"),
    "region": ("product/region", "product/regionCode", "product_region_code", "product_region"),
    "resource": ("lineItem/ResourceId", "line_item_resource_id"),
    "description": ("lineItem/LineItemDescription", "line_item_line_item_description"),
    "currency": ("lineItem/CurrencyCode", "line_item_currency_code"),
    "unit": ("pricing/unit", "pricing_unit"),
}
_GCP = {
    "description": ("sku.description", "sku_description"),
    "cost": ("cost",),
    "start": ("usage_start_time",),
    "end": ("usage_end_time",),
    "service": ("service.description", "service_description"),
    "region": ("location.region", "location_region"),
    "zone": ("location.zone", "location_zone"),
    "quantity": ("usage.amount", "usage_amount"),
    "unit": ("usage.unit", "usage_unit"),
    "currency": ("currency",),
    "resource": ("resource.name", "resource_name", "project.id", "project_id"),
}
_FOCUS = {
    "cost": ("BilledCost",),
    "start": ("ChargePeriodStart",),
    "end": ("ChargePeriodEnd",),
    "service": ("ServiceName",),
    "description": ("ChargeDescription",),
    "usage_type": ("x_UsageType", "x_usage_type", "SkuId"),
    "region": ("RegionId", "RegionName", "Region"),
    "zone": ("AvailabilityZone",),
    "quantity": ("ConsumedQuantity", "UsageQuantity"),
    "unit": ("ConsumedUnit", "UsageUnit"),
    "currency": ("BillingCurrency",),
    "resource": ("ResourceId",),
    "provider": ("ServiceProviderName", "ProviderName"),
}
_SPECS = {"aws-cur": _AWS, "gcp": _GCP, "focus": _FOCUS}
_REQUIRED = {
    "aws-cur": ("usage_type", "cost", "start"),
    "gcp": ("description", "cost", "start"),
    "focus": ("cost", "start"),
}


@dataclass(frozen=True, slots=True)
class BillImport:
    id: str
    path: str
    format: str
    rows: int
    total_usd: float
    transfer_usd: dict[str, float]


def _read_table(path: Path) -> pa.Table:
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path)
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        head = data.split(b"\n", 1)[0].decode("utf-8-sig", "replace")
        names = [c.strip() for c in head.split(",")]
        return pa_csv.read_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidRequestError(f"cannot read the bill {path}: {exc}") from None


def _expected() -> str:
    return "; ".join(f"{fmt}: {', '.join(_SPECS[fmt][f][0] for f in _REQUIRED[fmt])}" for fmt in BILL_FORMATS)


def detect_bill_format(columns: list[str]) -> str:
    cols = set(columns)
    for fmt in ("aws-cur", "focus", "gcp"):
        spec = _SPECS[fmt]
        if all(any(c in cols for c in spec[f]) for f in _REQUIRED[fmt]):
            return fmt
    raise InvalidRequestError(
        f"unknown bill columns ({', '.join(sorted(cols)[:8])}{'…' if len(cols) > 8 else ''}); "
        f"expected the columns of one of: {_expected()}"
    )


def _pick(table: pa.Table, spec: dict[str, tuple[str, ...]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for field, names in spec.items():
        for name in names:
            if name in table.column_names:
                out[field] = table.column(name).to_pylist()
                break
    return out


def _time_parser() -> Callable[[Any], float | None]:
    cache: dict[Any, float | None] = {}

    def parse(value: Any) -> float | None:
        if value in cache:
            return cache[value]
        result: float | None
        if isinstance(value, dt.datetime):
            result = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
        elif not value:
            result = None
        else:
            text = str(value).strip().replace(" UTC", "+00:00")
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                result = None
            else:
                result = (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
        cache[value] = result
        return result

    return parse


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def read_bill(path: Path, fmt: str = "auto") -> tuple[str, list[tuple[Any, ...]]]:
    """Return (format, normalized rows) — rows in ``bill_lines`` column order minus the import id."""
    if not path.is_file():
        raise InvalidRequestError(f"{path} does not exist or is not a file")
    table = _read_table(path)
    kind = detect_bill_format(table.column_names) if fmt == "auto" else fmt
    if kind not in _SPECS:
        raise InvalidRequestError(f"unknown bill format '{fmt}': use auto, {', '.join(BILL_FORMATS)}")
    cols = _pick(table, _SPECS[kind])
    missing = [_SPECS[kind][f][0] for f in _REQUIRED[kind] if f not in cols]
    if missing:
        raise InvalidRequestError(
            f"{path.name} is missing {', '.join(missing)} for a {kind} bill; expected columns: "
            f"{', '.join(_SPECS[kind][f][0] for f in _REQUIRED[kind])}"
        )
    n = table.num_rows
    col = lambda name: cols.get(name) or [None] * n  # noqa: E731
    parse_time = _time_parser()
    provider_default = {"aws-cur": "aws", "gcp": "gcp", "focus": None}[kind]
    rows: list[tuple[Any, ...]] = []
    bad = 0
    for i, (
        cost,
        start,
        end,
        usage,
        desc,
        region,
        zone,
        qty,
        unit,
        service,
        currency,
        resource,
        prov,
    ) in enumerate(
        zip(
            col("cost"),
            col("start"),
            col("end"),
            col("usage_type"),
            col("description"),
            col("region"),
            col("zone"),
            col("quantity"),
            col("unit"),
            col("service"),
            col("currency"),
            col("resource"),
            col("provider"),
            strict=True,
        )
    ):
        c, t0 = _num(cost), parse_time(start)
        if c is None or t0 is None:
            bad += 1
            continue
        t1 = parse_time(end) or t0
        cls = _classify(kind, usage, desc, region, zone)
        rows.append(
            (
                i,
                (prov or provider_default or "unknown").lower(),
                t0,
                t1,
                service,
                usage,
                desc,
                region,
                zone,
                _num(qty),
                unit,
                c,
                currency or "USD",
                cls.kind if cls else None,
                cls.src if cls else None,
                cls.dst if cls else None,
                resource,
            )
        )
    if n and bad == n:
        raise InvalidRequestError(
            f"no line of {path.name} has a numeric cost and a parseable start time "
            f"(columns {_SPECS[kind]['cost'][0]}, {_SPECS[kind]['start'][0]}; ISO 8601 times)"
        )
    return kind, rows


def _classify(kind: str, usage: Any, desc: Any, region: Any, zone: Any) -> TransferClass | None:
    if usage:
        hit = classify_aws_usage_type(str(usage), zone or None)
        if hit:
            return hit
    if kind == "aws-cur":
        return None
    return classify_text(str(desc or ""), region or None, zone or None)


_INSERT = (
    "INSERT INTO bill_lines (import_id, line_no, provider, period_start, period_end, service, usage_type, "
    "description, region, zone, quantity, unit, cost, currency, transfer, src, dst, resource) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def import_bill(store: Store, path: Path, fmt: str = "auto") -> BillImport:
    kind, rows = read_bill(path, fmt)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    store.execute("DELETE FROM bill_lines WHERE import_id = ?", (digest,))
    batch = 20_000
    for i in range(0, len(rows), batch):
        store.executemany(_INSERT, [(digest, *r) for r in rows[i : i + batch]])
    store.execute("DELETE FROM bill_imports WHERE id = ?", (digest,))
    store.execute(
        "INSERT INTO bill_imports (id, path, format, rows_n, imported_at) VALUES (?, ?, ?, ?, ?)",
        (digest, str(path), kind, len(rows), time.time()),
    )
    transfer: dict[str, float] = {}
    for r in rows:
        if r[13]:
            transfer[r[13]] = transfer.get(r[13], 0.0) + r[11]
    return BillImport(digest, str(path), kind, len(rows), sum(r[11] for r in rows), transfer)
