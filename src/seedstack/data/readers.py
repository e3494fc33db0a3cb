"""Streaming readers: input files arrive as bounded Arrow tables, never as one whole file in memory.

JSONL is cut into blocks on line boundaries and each block is parsed by pyarrow's JSON reader, so
the row number of every value is known: a type error can name the exact row. CSV and Parquet use
pyarrow's own streaming readers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq

from ..errors import InvalidRequestError
from .errors import SchemaMismatchError

__all__ = ["FORMATS", "Block", "detect_format", "iter_blocks"]

FORMATS = ("jsonl", "csv", "parquet")
_TYPE_CHANGE = re.compile(
    r"Column\((?P<col>[^)]*)\) changed from (?P<a>\w+) to (?P<b>\w+) in row (?P<row>\d+)"
)


@dataclass(frozen=True)
class Block:
    """A slice of one input file: ``first_row`` is the 1-based row number of its first row."""

    table: pa.Table
    first_row: int
    source: str
    bytes_read: int


def detect_format(path: Path, explicit: str | None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise InvalidRequestError(f"unknown format '{explicit}': use one of {', '.join(FORMATS)}")
        return explicit
    suffixes = [s.lower() for s in path.suffixes]
    for s in reversed(suffixes):
        if s in (".jsonl", ".ndjson", ".json"):
            return "jsonl"
        if s in (".csv", ".tsv"):
            return "csv"
        if s in (".parquet", ".pq"):
            return "parquet"
    raise InvalidRequestError(f"cannot tell the format of {path.name}: pass --format jsonl|csv|parquet")


def iter_blocks(
    path: Path, fmt: str, block_bytes: int, on_bytes: Callable[[int], None] | None = None
) -> Iterator[Block]:
    if not path.is_file():
        raise InvalidRequestError(f"{path} is not a readable file")
    reader = {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet}[fmt]
    for block in reader(path, block_bytes):
        if on_bytes is not None:
            on_bytes(block.bytes_read)
        yield block


def _jsonl(path: Path, block_bytes: int) -> Iterator[Block]:
    row = 1
    carry = b""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(block_bytes)
            if not chunk:
                break
            data = carry + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            carry, body = data[cut + 1 :], data[: cut + 1]
            yield _parse_jsonl(body, row, path.name, len(chunk))
            row += body.count(b"\n")
        if carry.strip():
            yield _parse_jsonl(carry + b"\n", row, path.name, 0)


def _parse_jsonl(body: bytes, first_row: int, source: str, nbytes: int) -> Block:
    lines = body.split(b"\n")
    if any(not ln.strip() for ln in lines[:-1]):
        # Blank lines would shift row numbers: drop them but keep numbering by line.
        body = b"\n".join(ln for ln in lines if ln.strip()) + b"\n"
    try:
        table = pjson.read_json(
            io.BytesIO(body), read_options=pjson.ReadOptions(block_size=max(len(body), 1 << 20))
        )
    except pa.ArrowInvalid as exc:
        raise _explain_jsonl(exc, body, first_row, source) from None
    return Block(table, first_row, source, nbytes)


def _explain_jsonl(exc: Exception, body: bytes, first_row: int, source: str) -> Exception:
    m = _TYPE_CHANGE.search(str(exc))
    lines = body.split(b"\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as err:
            return InvalidRequestError(
                f"{source}: row {first_row + i} is not valid JSON ({err}); fix or remove it"
            )
        if not isinstance(obj, dict):
            return InvalidRequestError(
                f"{source}: row {first_row + i} is not a JSON object; each line must be one"
            )
    if m:
        col = m.group("col").lstrip("/")
        a, b = m.group("a"), m.group("b")
        # pyarrow's row index counts from the block start; re-find the first row that differs.
        first_kind, row = None, first_row + int(m.group("row"))
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            value = orjson.loads(line).get(col.split("/")[0])
            if value is None:
                continue
            kind = type(value).__name__
            if first_kind is None:
                first_kind = kind
            elif kind != first_kind:
                row = first_row + i
                break
        return SchemaMismatchError(
            f"{source}: column '{col}' changed type from {a} to {b} at row {row}; "
            'a column keeps one type: fix the row (e.g. write 5, not "5")',
            column=col,
            row=row,
        )
    return InvalidRequestError(f"{source}: cannot parse as JSON lines: {exc}")


def _csv(path: Path, block_bytes: int) -> Iterator[Block]:
    try:
        reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=block_bytes))
    except pa.ArrowInvalid as exc:
        raise InvalidRequestError(f"{path.name}: cannot read as CSV: {exc}") from None
    row = 1
    size = path.stat().st_size
    done = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            raise SchemaMismatchError(
                f"{path.name}: after row {row - 1}: {exc}; a column keeps one type", row=row
            ) from None
        table = pa.Table.from_batches([batch])
        # CSV readers do not expose byte offsets; estimate progress from the rows' share of the file.
        est = min(size - done, max(int(table.nbytes), 1))
        done += est
        yield Block(table, row, path.name, est)
        row += batch.num_rows


def _parquet(path: Path, block_bytes: int) -> Iterator[Block]:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidRequestError(f"{path.name}: not a Parquet file: {exc}") from None
    row = 1
    per_group = max(pf.metadata.num_rows // max(pf.num_row_groups, 1), 1)
    group_bytes = path.stat().st_size // max(pf.num_row_groups, 1)
    rows_per_batch = max(1024, int(per_group * block_bytes / max(group_bytes, 1)))
    for batch in pf.iter_batches(batch_size=rows_per_batch):
        table = pa.Table.from_batches([batch])
        yield Block(table, row, path.name, int(group_bytes * batch.num_rows / per_group))
        row += batch.num_rows
