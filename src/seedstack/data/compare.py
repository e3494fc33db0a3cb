"""``data diff`` and ``data export``: read one or two versions without loading them whole.

Diff reads only the hidden row-hash column of each side (8 bytes a row) and compares them with
numpy; the sample rows are then fetched with a filter on that column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pds
import pyarrow.parquet as pq

from ..errors import InvalidRequestError
from .schema import ROW_HASH, schema_diff, user_schema

__all__ = ["diff_versions", "export_rows", "read_rows"]


def _hashes(ds: pds.Dataset) -> np.ndarray:
    if ROW_HASH not in ds.schema.names:
        return np.empty(0, dtype=np.int64)
    return ds.to_table(columns=[ROW_HASH]).column(ROW_HASH).to_numpy()


def diff_versions(a: pds.Dataset, b: pds.Dataset, *, sample: int = 5) -> dict[str, Any]:
    """Schema diff, rows added/removed by content hash, and up to ``sample`` rows of each (0: none)."""
    ha, hb = _hashes(a), _hashes(b)
    added = hb[~np.isin(hb, ha, kind="sort")] if len(hb) else hb
    removed = ha[~np.isin(ha, hb, kind="sort")] if len(ha) else ha
    out: dict[str, Any] = {
        "schema": schema_diff(a.schema, b.schema),
        "rows_before": len(ha),
        "rows_after": len(hb),
        "rows_added": len(added),
        "rows_removed": len(removed),
        "rows_unchanged": int(len(hb) - len(added)),
    }
    if sample > 0:
        out["sample_added"] = _rows_with(b, added[:sample])
        out["sample_removed"] = _rows_with(a, removed[:sample])
    return out


def _rows_with(ds: pds.Dataset, hashes: np.ndarray) -> list[dict[str, Any]]:
    if len(hashes) == 0:
        return []
    cols = user_schema(ds.schema).names
    t = ds.to_table(columns=cols, filter=pc.field(ROW_HASH).isin(pa.array(hashes, pa.int64())))
    return t.slice(0, len(hashes)).to_pylist()


def read_rows(ds: pds.Dataset, limit: int) -> list[dict[str, Any]]:
    cols = user_schema(ds.schema).names
    return ds.head(limit, columns=cols).to_pylist()


def export_rows(
    ds: pds.Dataset, out: Path, fmt: str | None = None, on_rows: Callable[[int], None] | None = None
) -> int:
    """Stream a version to JSONL or Parquet (by ``fmt`` or the file suffix); returns rows written."""
    fmt = fmt or ("parquet" if out.suffix.lower() in (".parquet", ".pq") else "jsonl")
    if fmt not in ("jsonl", "parquet"):
        raise InvalidRequestError(f"cannot export as '{fmt}': use jsonl or parquet")
    cols = user_schema(ds.schema).names
    schema = user_schema(ds.schema)
    n = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        with pq.ParquetWriter(out, schema) as w:
            for batch in ds.to_batches(columns=cols):
                w.write_batch(batch)
                n += batch.num_rows
                if on_rows:
                    on_rows(batch.num_rows)
        return n
    with out.open("wb") as fh:
        for batch in ds.to_batches(columns=cols):
            fh.write(b"".join(orjson.dumps(r, default=str) + b"\n" for r in batch.to_pylist()))
            n += batch.num_rows
            if on_rows:
                on_rows(batch.num_rows)
    return n
