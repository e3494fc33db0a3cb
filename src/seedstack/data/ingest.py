"""``data add``: stream files -> strict schema gate -> PII scrub -> one new Delta version.

Blocks are conformed, scrubbed and hashed one at a time and spooled to local Arrow IPC files, so
memory stays bounded by the block size and the whole input is validated before anything is
committed: a schema refusal at row 900,000 writes nothing. The spool is then streamed into a
single Delta commit whose metadata already holds the scrub report and row counts.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties
from deltalake.exceptions import CommitFailedError, DeltaError
from deltalake.exceptions import SchemaMismatchError as DeltaSchemaMismatch

from ..crypto import DataKeyring
from ..errors import InvalidRequestError
from .errors import ConcurrentWriteError, SchemaMismatchError
from .hashing import RowHasher, content_hash
from .readers import detect_format, iter_blocks
from .schema import ROW_HASH, canonical_type, conform, schema_hash
from .scrub import Scrubber, ScrubReport
from .tables import TableLocation
from .writer import stream_commit

__all__ = ["META_KEY", "IngestRequest", "IngestResult", "commit_meta", "ingest"]

META_KEY = "seedstack"
_RAW_SCHEMA = pa.schema(
    [
        ("commit_id", pa.string()),
        ("seq", pa.int64()),
        ("rows", pa.int64()),
        ("key_id", pa.string()),
        ("blob", pa.binary()),
    ]
)


@dataclass
class IngestRequest:
    name: str
    paths: Sequence[Path]
    fmt: str | None = None
    message: str | None = None
    replace: bool = False
    evolve: bool = False
    author: str = "local-admin"


@dataclass
class IngestResult:
    version: int
    commit_id: str
    operation: str
    rows_added: int
    row_count: int
    content_hash: str
    schema_hash: str
    sources: list[dict[str, Any]]
    scrub: dict[str, Any] | None
    schema_change: list[str] = field(default_factory=list)
    raw_kept: bool = False
    created_at: float = 0.0


@dataclass
class _Segment:
    schema: pa.Schema
    path: Path
    writer: pa.ipc.RecordBatchStreamWriter


class _Spool:
    """Local IPC segments; a new segment starts whenever ``--evolve`` widened the schema."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.segments: list[_Segment] = []

    def write(self, table: pa.Table) -> None:
        if not self.segments or not self.segments[-1].schema.equals(table.schema):
            if self.segments:
                self.segments[-1].writer.close()
            p = self.dir / f"seg{len(self.segments):04d}.arrow"
            self.segments.append(_Segment(table.schema, p, pa.ipc.new_stream(str(p), table.schema)))
        self.segments[-1].writer.write_table(table)

    def close(self) -> None:
        if self.segments:
            self.segments[-1].writer.close()

    def batches(self, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        for seg in self.segments:
            with pa.OSFile(str(seg.path)) as fh, pa.ipc.open_stream(fh) as reader:
                for batch in reader:
                    yield _widen(batch, schema)


def _widen(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    if batch.schema.equals(schema):
        return batch
    cols = [
        batch.column(f.name) if f.name in batch.schema.names else pa.nulls(batch.num_rows, f.type)
        for f in schema
    ]
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def ingest(
    req: IngestRequest,
    loc: TableLocation,
    *,
    scrubber: Scrubber | None,
    keyring: DataKeyring | None = None,
    keep_raw: bool = False,
    block_bytes: int = 16 << 20,
    on_bytes: Callable[[int], None] | None = None,
) -> IngestResult:
    uri = loc.uri(req.name)
    exists = loc.exists(uri)
    before = loc.user_schema(loc.open(uri, label=req.name)) if exists else None
    target = before
    report: ScrubReport | None = scrubber.new_report() if scrubber else None
    commit_id = uuid.uuid4().hex
    sources: list[dict[str, Any]] = []
    spool_dir = Path(tempfile.mkdtemp(prefix="seedstack-ingest-"))
    try:
        spool, raw = _Spool(spool_dir), _Spool(spool_dir / "raw") if keep_raw else None
        if raw is not None:
            raw.dir.mkdir()
        added = 0
        seq = 0
        hasher = RowHasher()
        for path in req.paths:
            path = Path(path)
            fmt = detect_format(path, req.fmt)
            rows_in = 0
            for block in iter_blocks(path, fmt, block_bytes, on_bytes):
                if block.table.num_rows == 0:
                    continue
                if target is None:
                    target = _initial_schema(block.table, block.source)
                table, target = conform(
                    block.table, target, source=block.source, first_row=block.first_row, evolve=req.evolve
                )
                rows_in += table.num_rows
                if raw is not None and keyring is not None:
                    raw.write(_raw_row(keyring, table, commit_id, seq))
                    seq += 1
                if scrubber is not None and report is not None:
                    table = scrubber.scrub(table, report)
                table = table.append_column(
                    pa.field(ROW_HASH, pa.int64(), nullable=False), hasher.hashes(table)
                )
                spool.write(table)
                added += table.num_rows
            sources.append({"file": path.name, "bytes": path.stat().st_size, "format": fmt, "rows": rows_in})
        spool.close()
        if raw is not None:
            raw.close()
        if target is None or not spool.segments:
            raise InvalidRequestError("the input holds no rows; nothing was written")
        final = pa.schema([*target, pa.field(ROW_HASH, pa.int64(), nullable=False)])
        change = _schema_change(before, target)
        operation = "replace" if req.replace else ("create" if not exists else "append")
        meta = {
            "commit_id": commit_id,
            "operation": operation,
            "author": req.author,
            "message": req.message,
            "sources": sources,
            "rows_added": added,
            "schema_hash": schema_hash(target),
            "schema_change": change,
            "scrub": report.to_dict() if report else None,
        }
        new_fields = [f for f in target if before is not None and f.name not in before.names]
        _commit(uri, loc, spool.batches(final), final, req, exists, meta, new_fields)
        version = _find_version(loc, uri, commit_id)
        dt = loc.open(uri, version, label=req.name)
        hashes = dt.to_pyarrow_dataset().to_table(columns=[ROW_HASH]).column(ROW_HASH).to_numpy()
        raw_kept = False
        if raw is not None and raw.segments:
            raw_uri = loc.raw_uri(req.name)
            stream_commit(
                raw_uri,
                loc.write_kwargs()["storage_options"],
                raw.batches(_RAW_SCHEMA),
                _RAW_SCHEMA,
                mode="append",
                table_exists=loc.exists(raw_uri),
                commit_properties=CommitProperties(
                    custom_metadata={
                        META_KEY: json.dumps({"commit_id": commit_id, "dataset_version": version})
                    },
                    max_commit_retries=20,
                ),
            )
            raw_kept = True
        return IngestResult(
            version=version,
            commit_id=commit_id,
            operation=operation,
            rows_added=added,
            row_count=len(hashes),
            content_hash=content_hash(hashes, target),
            schema_hash=schema_hash(target),
            sources=sources,
            scrub=meta["scrub"],  # type: ignore[arg-type]
            schema_change=change,
            raw_kept=raw_kept,
            created_at=time.time(),
        )
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)


def _initial_schema(table: pa.Table, source: str) -> pa.Schema:
    for f in table.schema:
        if pa.types.is_null(f.type):
            raise SchemaMismatchError(
                f"{source}: column '{f.name}' is null in every row of the first block, "
                "so its type is unknown; "
                "give it at least one value (or drop it) before creating the dataset",
                column=f.name,
            )
        if f.name == ROW_HASH:
            raise InvalidRequestError(f"{source}: column name '{ROW_HASH}' is reserved by seedstack")
    return pa.schema([f.with_nullable(True) for f in table.schema])


def _schema_change(before: pa.Schema | None, after: pa.Schema) -> list[str]:
    if before is None:
        return []
    return [f"+ {f.name}: {canonical_type(f.type)}" for f in after if f.name not in before.names]


def _raw_row(keyring: DataKeyring, table: pa.Table, commit_id: str, seq: int) -> pa.Table:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    blob = keyring.encrypt(sink.getvalue().to_pybytes())
    return pa.table([[commit_id], [seq], [table.num_rows], [keyring.active_id], [blob]], schema=_RAW_SCHEMA)


def _commit(
    uri: str,
    loc: TableLocation,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    req: IngestRequest,
    exists: bool,
    meta: dict[str, Any],
    new_fields: list[pa.Field],
) -> None:
    props = CommitProperties(
        custom_metadata={META_KEY: json.dumps(meta), "userName": str(meta["author"])}, max_commit_retries=20
    )
    evolve = {k: meta[k] for k in ("author", "message", "schema_change")}
    evolve_props = CommitProperties(
        custom_metadata={
            META_KEY: json.dumps({**evolve, "operation": "evolve", "for_commit": meta["commit_id"]})
        }
    )
    try:
        stream_commit(
            uri,
            loc.write_kwargs()["storage_options"],
            batches,
            schema,
            mode="overwrite" if req.replace else "append",
            table_exists=exists,
            commit_properties=props,
            new_fields=new_fields,
            evolve_properties=evolve_props,
        )
    except CommitFailedError as exc:
        raise ConcurrentWriteError(
            f"another writer changed dataset '{req.name}' at the same time ({exc}); "
            "nothing was written by this "
            "run: run the command again"
        ) from None
    except DeltaSchemaMismatch as exc:
        raise ConcurrentWriteError(
            f"dataset '{req.name}' changed schema while this run was writing ({exc}); run the command again"
        ) from None
    except DeltaError as exc:
        text = str(exc).lower()
        if "conflict" in text or "concurrent" in text or "already exists" in text:
            raise ConcurrentWriteError(
                f"another writer changed dataset '{req.name}' at the same time; run the command again"
            ) from None
        raise


def _find_version(loc: TableLocation, uri: str, commit_id: str) -> int:
    for entry in loc.history(uri, 50):
        raw = entry.get(META_KEY)
        if raw and json.loads(raw).get("commit_id") == commit_id:
            return int(entry["version"])
    raise ConcurrentWriteError(
        "could not find this run's commit in the Delta log; check `seedstack data log`"
    )


def commit_meta(entry: dict[str, Any]) -> dict[str, Any]:
    """The seedstack metadata of one Delta history entry ({} for commits seedstack did not make)."""
    raw = entry.get(META_KEY)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}
