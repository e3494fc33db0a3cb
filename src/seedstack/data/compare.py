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
import pyarrow.dataset as pds
import pyarrow.parquet as pq

from ..errors import InvalidRequestError
from .schema import ROW_HASH, schema_diff, user_schema

__all__ = ["diff_versions", "export_rows", "read_rows"]


def _hashes(ds: pds.Dataset) -> np.ndarray:
    if ROW_HASH not in ds.schema.names:
        return np.empty(0, dtype=np.int64)
    return ds.to_table(columns=[ROW_HASH]).column(ROW_HASH).to_numpy()


def _member(x: np.ndarray, sorted_y: np.ndarray) -> np.ndarray:
    """``np.isin`` by binary search: several times faster than its hashing path on 1M int64s."""
    if len(sorted_y) == 0:
        return np.zeros(len(x), dtype=bool)
    idx = np.minimum(np.searchsorted(sorted_y, x), len(sorted_y) - 1)
    return sorted_y[idx] == x


def diff_versions(a: pds.Dataset, b: pds.Dataset, *, sample: int = 5) -> dict[str, Any]:
    """Schema diff, rows added/removed by content hash, and up to ``sample`` rows of each (0: none)."""
    ha, hb = _hashes(a), _hashes(b)
    added_at = np.nonzero(~_member(hb, np.sort(ha)))[0]
    removed_at = np.nonzero(~_member(ha, np.sort(hb)))[0]
    added, removed = hb[added_at], ha[removed_at]
    out: dict[str, Any] = {
        "schema": schema_diff(a.schema, b.schema),
        "rows_before": len(ha),
        "rows_after": len(hb),
        "rows_added": len(added),
        "rows_removed": len(removed),
        "rows_unchanged": int(len(hb) - len(added)),
    }
    if sample > 0:
        out["sample_added"] = _rows_at(b, added_at[:sample])
        out["sample_removed"] = _rows_at(a, removed_at[:sample])
    return out


def _rows_at(ds: pds.Dataset, positions: np.ndarray) -> list[dict[str, Any]]:
    """Rows by position (the order ``_hashes`` read them in): only their row groups are decoded."""
    if len(positions) == 0:
        return []
    cols = user_schema(ds.schema).names
    return ds.take(pa.array(positions, pa.int64()), columns=cols).to_pylist()


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
