"""Streaming Delta commits: Parquet files are written batch by batch, then committed in one go.

delta-rs's ``write_deltalake`` collects a whole record-batch stream in memory before writing it
(measured with deltalake 1.6: peak memory grew ~600 MB per million chat rows), which breaks the
"5 GB input in 1 GB of RAM" promise. So seedstack writes the data files itself through delta-rs's
own object-store file system (same URIs and ``storage_options`` as everything else), one row
group per batch, and then commits them as a single Delta version with the full metadata:
``create_table_with_add_actions`` for a new table, ``create_write_transaction`` otherwise.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable
from deltalake import Schema as DeltaSchema
from deltalake.fs import DeltaStorageHandler
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

__all__ = ["stream_commit"]

_FILE_BYTES = 64 << 20  # a new data file after this much Parquet (the object-store sink buffers a file)
_ROW_GROUP = 65_536


def _stats(rows: int) -> str:
    return json.dumps({"numRecords": rows})


def stream_commit(
    uri: str,
    storage_options: dict[str, str] | None,
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    *,
    mode: str,
    table_exists: bool,
    commit_properties: CommitProperties,
    new_fields: list[pa.Field] | None = None,
    evolve_properties: CommitProperties | None = None,
) -> int:
    """Write ``batches`` as new data files and commit them as one version; returns rows written."""
    if "://" not in uri or uri.startswith("file://"):
        Path(uri.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    fs = pafs.PyFileSystem(DeltaStorageHandler(uri, storage_options))
    tag = uuid.uuid4().hex
    actions: list[AddAction] = []
    written: list[str] = []
    total = 0
    writer: pq.ParquetWriter | None = None
    sink: Any = None
    name = ""
    rows = 0

    def close() -> None:
        nonlocal writer, sink, rows
        if writer is None:
            return
        writer.close()
        sink.close()
        size = fs.get_file_info(name).size
        actions.append(AddAction(name, int(size or 0), {}, int(time.time() * 1000), True, _stats(rows)))
        writer, sink, rows = None, None, 0

    try:
        for batch in batches:
            if writer is None:
                name = f"part-{len(actions):05d}-{tag}.zstd.parquet"
                sink = fs.open_output_stream(name)
                written.append(name)
                writer = pq.ParquetWriter(
                    sink, schema, compression="zstd", coerce_timestamps="us", allow_truncated_timestamps=True
                )
            writer.write_batch(batch, row_group_size=_ROW_GROUP)
            rows += batch.num_rows
            total += batch.num_rows
            if sink.tell() >= _FILE_BYTES:
                close()
        close()
        delta_schema = DeltaSchema.from_arrow(schema)
        if table_exists:
            dt = DeltaTable(uri, storage_options=storage_options)
            if new_fields:
                # A write transaction cannot change the schema, so --evolve is its own commit first.
                dt.alter.add_columns(
                    list(DeltaSchema.from_arrow(pa.schema(new_fields)).fields),
                    commit_properties=evolve_properties,
                )
            dt.create_write_transaction(
                list[AddAction | RemoveAction](actions),
                mode,
                delta_schema,
                commit_properties=commit_properties,
            )
        else:
            create_table_with_add_actions(
                uri,
                delta_schema,
                actions,
                mode="error",
                storage_options=storage_options,
                commit_properties=commit_properties,
            )
    except BaseException:
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
                sink.close()
        for path in written:  # uncommitted files would only waste space until the next vacuum
            with contextlib.suppress(Exception):
                fs.delete_file(path)
        raise
    return total
