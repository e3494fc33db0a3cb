"""The search index over sampled payloads: one ``obs_docs`` row (+ FTS row on SQLite) per payload.

The recorder's writer thread calls ``index_payloads`` after each batch; ``sync_index`` catches up
on anything it missed (payloads written by another replica, or before the index existed), so a
search is never silently incomplete.

Payloads stored encrypted are indexed blind (``blind.py``): their ``prompt``/``response`` columns
and FTS row hold keyed-hash tokens, never the text, and ``blind`` is 1.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import SeedstackError
from ..store import Store
from ..telemetry.record import RequestRecord
from .blind import BlindIndex, ensure_blind_index, open_blind_index
from .embed import Embedder, HashedNgramEmbedder, quantize
from .payload import Decryptor, KeyringDecryptor, load_payloads, payload_texts

__all__ = ["PayloadIndexSink", "index_payloads", "index_rows", "sync_index"]

_MAX_TEXT = 8000  # characters of prompt/response indexed: complaints match the gist, not page 40
_DOC_SQL = (
    "INSERT INTO obs_docs (request_id, ts, customer, key_id, alias, template, status_code, latency_ms, "
    "prompt, response, vec, blind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_FTS_SQL = "INSERT INTO obs_fts (prompt, response, request_id) VALUES (?, ?, ?)"


def index_rows(
    store: Store,
    docs: Sequence[dict[str, Any]],
    embedder: Embedder | None = None,
    *,
    blind: BlindIndex | None = None,
) -> int:
    """Index already-decoded docs (keys: request_id, ts, customer, key_id, alias, template,
    status_code, latency_ms, payload). Returns how many were new.

    With ``blind`` (payloads encrypted at rest) the text columns get keyed-hash tokens instead.
    """
    if not docs:
        return 0
    embedder = embedder or HashedNgramEmbedder()
    texts = [payload_texts(d.get("payload")) for d in docs]
    prompts = [p[:_MAX_TEXT] for p, _ in texts]
    responses = [r[:_MAX_TEXT] for _, r in texts]
    vecs = quantize(embedder.embed([p + "\n" + r for p, r in zip(prompts, responses, strict=True)]))
    if blind is not None:
        prompts = [blind.text(p) for p in prompts]
        responses = [blind.text(r) for r in responses]
    rows = [
        (
            d["request_id"],
            d["ts"],
            d.get("customer"),
            d.get("key_id"),
            d.get("alias"),
            d.get("template"),
            d.get("status_code"),
            d.get("latency_ms"),
            prompts[i],
            responses[i],
            vecs[i],
            int(blind is not None),
        )
        for i, d in enumerate(docs)
    ]
    ids = [d["request_id"] for d in docs]
    fts = store.dialect == "sqlite"

    def write(tx: Any) -> int:
        marks = ",".join("?" * len(ids))
        done = {r[0] for r in tx.query(f"SELECT request_id FROM obs_docs WHERE request_id IN ({marks})", ids)}
        new = [r for r in rows if r[0] not in done]
        for r in new:
            tx.execute(_DOC_SQL, r)
            if fts:
                tx.execute(_FTS_SQL, (r[8], r[9], r[0]))
        return len(new)

    return store.transaction(write)


def index_payloads(
    store: Store,
    records: Iterable[RequestRecord],
    embedder: Embedder | None = None,
    *,
    blind: BlindIndex | None = None,
) -> int:
    """Index the kept payloads of a batch the recorder just wrote; records without one are skipped.

    Pass ``blind`` when the recorder encrypts payloads, so no plaintext reaches the index."""
    docs = [
        {
            "request_id": r.id,
            "ts": r.ts,
            "customer": r.customer,
            "key_id": r.key_id,
            "alias": r.alias,
            "template": r.template,
            "status_code": r.status_code,
            "latency_ms": r.latency_ms,
            "payload": r.payload,
        }
        for r in records
        if r.payload_kept and r.payload is not None
    ]
    return index_rows(store, docs, embedder, blind=blind)


def sync_index(
    store: Store,
    *,
    embedder: Embedder | None = None,
    decrypt: Decryptor | None = None,
    blind: BlindIndex | None = None,
    batch: int = 2000,
    lookback_s: float | None = 86400.0,
) -> int:
    """Index every payload not yet in ``obs_docs``; cheap when there is nothing to do.

    The recorder's sink indexes new payloads as they are written, so by default only payloads up
    to ``lookback_s`` older than the newest indexed one are checked (late or replayed writes);
    ``lookback_s=None`` checks them all (``seedstack search --reindex``, and once after an upgrade
    that dropped plaintext rows of encrypted payloads). Encrypted payloads are indexed blind; they
    are skipped when ``decrypt`` cannot open them.
    """
    resync = store.query_one("SELECT value FROM obs_state WHERE name = 'index_resync'")
    since = -1.0
    if lookback_s is not None and resync is None:
        row = store.query_one("SELECT MAX(ts) FROM obs_docs")
        if row and row[0] is not None:
            since = float(row[0]) - lookback_s
    total = 0
    while True:
        missing = store.query_dicts(
            "SELECT p.request_id, p.key_ref, r.ts, r.customer, r.key_id, r.alias, r.template, r.status_code, "
            "r.latency_ms FROM payloads p JOIN requests r ON r.id = p.request_id "
            "LEFT JOIN obs_docs d ON d.request_id = p.request_id "
            "WHERE p.ts >= ? AND d.request_id IS NULL LIMIT ?",
            (since, batch),
        )
        if not missing:
            break
        sealed = [d for d in missing if d["key_ref"] is not None]
        if sealed and blind is None:
            blind = _blind_for(store, decrypt)
        added = _index_loaded(store, [d for d in missing if d["key_ref"] is None], embedder, None, None)
        if blind is not None:  # without it, encrypted payloads stay unindexed: never as plaintext
            added += _index_loaded(store, sealed, embedder, decrypt, blind)
        total += added
        if added == 0 or len(missing) < batch:
            break
    if resync is not None:
        store.execute("DELETE FROM obs_state WHERE name = 'index_resync'")
    return total


def _blind_for(store: Store, decrypt: Decryptor | None) -> BlindIndex | None:
    try:
        if isinstance(decrypt, KeyringDecryptor):
            return ensure_blind_index(store, decrypt.keyring)
        return open_blind_index(store, decrypt)
    except SeedstackError:
        return None  # the index key is under a key we lack: search says how to fix it


def _index_loaded(
    store: Store,
    docs: list[dict[str, Any]],
    embedder: Embedder | None,
    decrypt: Decryptor | None,
    blind: BlindIndex | None,
) -> int:
    if not docs:
        return 0
    try:
        bodies = load_payloads(store, [d["request_id"] for d in docs], decrypt=decrypt)
    except SeedstackError:
        bodies = {}
        for d in docs:  # one payload under a key this keyring lacks must not hide the others
            with contextlib.suppress(SeedstackError):
                bodies.update(load_payloads(store, [d["request_id"]], decrypt=decrypt))
    readable = []
    for d in docs:
        if d["request_id"] in bodies:
            d["payload"] = bodies[d["request_id"]]
            readable.append(d)
    return index_rows(store, readable, embedder, blind=blind)


class PayloadIndexSink:
    """A recorder sink: indexes kept payloads in batches on the recorder's writer thread.

    Records arrive one by one after their batch is written; indexing them one by one would cost a
    transaction each, so they are buffered and indexed ``batch`` at a time (and on shutdown).
    ``sync_index`` before each search picks up any still in the buffer's window.
    """

    def __init__(
        self,
        store: Store,
        *,
        batch: int = 500,
        embedder: Embedder | None = None,
        blind: BlindIndex | None = None,
    ) -> None:
        self._store = store
        self._batch = batch
        self._embedder = embedder or HashedNgramEmbedder()
        self._blind = blind
        self._buf: list[RequestRecord] = []
        self._last = time.monotonic()

    def submit(self, record: RequestRecord) -> None:
        if record.payload_kept and record.payload is not None:
            self._buf.append(record)
        if len(self._buf) >= self._batch or (self._buf and time.monotonic() - self._last > 2.0):
            self.flush()

    def flush(self) -> None:
        self._last = time.monotonic()
        buf, self._buf = self._buf, []
        if buf:
            index_payloads(self._store, buf, self._embedder, blind=self._blind)

    def shutdown(self) -> None:
        self.flush()
