"""``seedstack keys rotate-data-key``: re-encrypt sampled payloads and every raw zone under a new key.

Order matters for safety: a new key becomes active first (old keys stay readable), every blob is
re-sealed (and the search index key with them), and only then are the old keys forgotten and the
old raw-zone files vacuumed. An interrupted run can simply be run again: blobs already under the
active key are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties

from ..access import Actor, audit, authorize
from ..crypto import DataKeyring
from ..explain.blind import rekey_search_index
from ..store import Store
from .catalog import DatasetCatalog
from .tables import TableLocation
from .writer import stream_commit

__all__ = ["rotate_data_key"]

_PAGE = 500


def _payloads(store: Store, ring: DataKeyring, on_item: Callable[[int], None] | None) -> int:
    done, last = 0, ""
    while True:
        rows = store.query(
            "SELECT request_id, body FROM payloads WHERE request_id > ? ORDER BY request_id LIMIT ?",
            (last, _PAGE),
        )
        if not rows:
            return done
        updates = []
        for rid, body in rows:
            blob = bytes(body)
            if ring.needs_rotation(blob):
                plain = ring.decrypt(blob) if blob[:4] == b"SSE1" else blob
                updates.append((ring.encrypt(plain), ring.active_id, rid))
        if updates:
            store.executemany("UPDATE payloads SET body = ?, key_ref = ? WHERE request_id = ?", updates)
            done += len(updates)
            if on_item:
                on_item(len(updates))
        last = rows[-1][0]


def _raw_zone(loc: TableLocation, name: str, ring: DataKeyring) -> int:
    uri = loc.raw_uri(name)
    if not loc.exists(uri):
        return 0
    dt = loc.open(uri)
    ds = dt.to_pyarrow_dataset()
    count = [0]

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in ds.to_batches():
            blobs = batch.column("blob").to_pylist()
            fresh = [ring.encrypt(ring.decrypt(b)) for b in blobs]
            count[0] += len(fresh)
            cols = [
                pa.array(fresh, pa.binary())
                if n == "blob"
                else pa.array([ring.active_id] * batch.num_rows, pa.string())
                if n == "key_id"
                else batch.column(n)
                for n in batch.schema.names
            ]
            yield pa.RecordBatch.from_arrays(cols, schema=batch.schema)

    stream_commit(
        uri,
        loc.write_kwargs()["storage_options"],
        batches(),
        ds.schema,
        mode="overwrite",
        table_exists=True,
        commit_properties=CommitProperties(custom_metadata={"seedstack": '{"operation": "rotate-data-key"}'}),
    )
    # Old ciphertext must not outlive the old key: drop every file the new version does not use.
    loc.open(uri).vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False)
    return count[0]


def rotate_data_key(
    store: Store,
    ring: DataKeyring,
    loc: TableLocation,
    actor: Actor,
    on_item: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    authorize(store, actor, "keys.manage", "key:data")
    previous = ring.active_id
    new = ring.rotate() if ring.file_managed else ring.active_id
    payloads = _payloads(store, ring, on_item)
    raw = {name: _raw_zone(loc, name, ring) for name in DatasetCatalog(store).datasets()}
    index = rekey_search_index(store, ring)
    retired = ring.retire_old() if ring.file_managed else []
    result = {
        "previous_key": previous,
        "active_key": new,
        "payloads_reencrypted": payloads,
        "raw_batches_reencrypted": {k: v for k, v in raw.items() if v},
        "search_index": index,
        "retired_keys": retired,
        "note": None if ring.file_managed else "env-managed key: remove data.previous_keys once this succeeded",
    }
    audit(store, actor.label, "keys.rotate_data_key", "key:data", True, result, role=actor.role)
    return result
