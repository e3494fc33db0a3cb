"""Row and content hashes: what lets ``data diff`` say which rows were added or removed.

Every row gets a 64-bit hash, stored in a hidden column at ingest. It is computed column-wise
with numpy, never row by row in Python: variable-length values (strings, lists) use a polynomial
hash over a prefix sum, normalised by the value's start so equal values hash equally wherever
they sit, then each value goes through a splitmix64 finaliser. It is not cryptographic: it is
for telling rows apart, not for resisting someone who crafts collisions.

A version's content hash is BLAKE2b over its schema hash and its sorted row hashes, so it does
not depend on file layout or row order.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import schema_hash

__all__ = ["RowHasher", "content_hash", "row_hashes"]

_U = np.uint64
_P = 0x100000001B3  # odd, so it is invertible mod 2**64
_P_INV = pow(_P, -1, 1 << 64)
_NULL = _U(0x6A09E667F3BCC908)
_CHUNK = 1 << 21  # bytes of string data per vectorised pass (bounds temporary memory)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads every input bit over the output."""
    x = x + _U(0x9E3779B97F4A7C15)
    x = (x ^ (x >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U(27))) * _U(0x94D049BB133111EB)
    return x ^ (x >> _U(31))


def _powers(base: int, n: int) -> np.ndarray:
    out = np.full(max(n, 1), _U(base), dtype=np.uint64)
    out[0] = _U(1)
    return np.cumprod(out, dtype=np.uint64)


class _Powers:
    """P**j and P**-j for j < n, computed once per ``row_hashes`` call and grown on demand."""

    def __init__(self) -> None:
        self.pw = self.ipw = np.ones(1, dtype=np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.pw) < n:
            size = max(n, _CHUNK + 2)
            self.pw, self.ipw = _powers(_P, size), _powers(_P_INV, size)
        return self.pw, self.ipw


def _segments(values: np.ndarray, offsets: np.ndarray, powers: _Powers) -> np.ndarray:
    """Hash each run ``values[offsets[i]:offsets[i+1]]`` (offsets start at 0)."""
    n = len(values)
    pw, ipw = powers.upto(n + 1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(values.astype(np.uint64, copy=False) * pw[:n], dtype=np.uint64, out=prefix[1:])
    starts, ends = offsets[:-1], offsets[1:]
    seg = (prefix[ends] - prefix[starts]) * ipw[starts]
    return _mix(seg ^ _mix((ends - starts).astype(np.uint64)))


def _binary(arr: pa.Array, powers: _Powers) -> np.ndarray:
    if len(arr) == 0:
        return np.zeros(0, dtype=np.uint64)
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int64 if large else np.int32)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    off = off.astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, dtype=np.uint8)
    out = np.empty(len(arr), dtype=np.uint64)
    i = 0
    while i < len(arr):
        # Take values until about _CHUNK bytes, always at least one.
        j = int(np.searchsorted(off, off[i] + _CHUNK, side="right")) - 1
        j = min(max(j, i + 1), len(arr))
        base = off[i]
        out[i:j] = _segments(data[base : off[j]], off[i : j + 1] - base, powers)
        i = j
    return out


def _fixed(arr: pa.Array) -> np.ndarray:
    t = arr.type
    if pa.types.is_boolean(t):
        vals = pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(np.uint64)
    elif pa.types.is_floating(t):
        vals = pc.fill_null(pc.cast(arr, pa.float64()), 0.0).to_numpy(zero_copy_only=False).view(np.uint64)
    else:
        vals = pc.fill_null(pc.cast(arr, pa.int64()), 0).to_numpy(zero_copy_only=False).view(np.uint64)
    return _mix(vals ^ _U(0x5BD1E995))


def _column(arr: pa.Array, powers: _Powers) -> np.ndarray:
    t = arr.type
    if pa.types.is_dictionary(t):
        return _column(arr.cast(t.value_type), powers)
    if pa.types.is_string_view(t) or pa.types.is_binary_view(t):
        return _column(
            arr.cast(pa.large_string() if pa.types.is_string_view(t) else pa.large_binary()), powers
        )
    if pa.types.is_null(t):
        return np.full(len(arr), _NULL, dtype=np.uint64)
    if (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    ):
        h = _binary(arr, powers)
    elif pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t):
        off = arr.offsets.to_numpy().astype(np.int64)
        child = arr.values.slice(off[0], off[-1] - off[0])
        h = _segments(_column(child, powers), off - off[0], powers)
    elif pa.types.is_struct(t):
        h = np.full(len(arr), _U(t.num_fields), dtype=np.uint64)
        for i in range(t.num_fields):
            h = _mix(h * _U(_P) + _column(arr.field(i), powers))
    elif pa.types.is_primitive(t) or pa.types.is_temporal(t):
        h = _fixed(arr)
    else:  # decimals, fixed-size lists, unions: rare enough to go through their string form
        as_text = (
            pa.array([str(v) for v in arr.to_pylist()], pa.large_string())
            if pa.types.is_fixed_size_list(t)
            else pc.cast(arr, pa.large_string())
        )
        h = _binary(as_text, powers)
    if arr.null_count:
        h = np.where(arr.is_valid().to_numpy(zero_copy_only=False), h, _NULL)
    return h


class RowHasher:
    """Row hashes for a stream of blocks; keeps the power tables between blocks (they cost ~20 ms)."""

    def __init__(self) -> None:
        self._powers = _Powers()

    def hashes(self, table: pa.Table) -> pa.Array:
        """One signed int64 per row (Delta has no unsigned types), equal for equal rows."""
        out = np.full(table.num_rows, _U(table.num_columns), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for col in table.columns:
                arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
                out = _mix(out * _U(_P) + _column(arr, self._powers))
        return pa.array(out.view(np.int64), type=pa.int64())


def row_hashes(table: pa.Table) -> pa.Array:
    """One signed int64 per row, equal for equal rows (see ``RowHasher`` for streams)."""
    return RowHasher().hashes(table)


def content_hash(hashes: np.ndarray, schema: pa.Schema) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(schema_hash(schema).encode())
    h.update(np.sort(hashes.astype(np.int64, copy=False)).tobytes())
    return h.hexdigest()
