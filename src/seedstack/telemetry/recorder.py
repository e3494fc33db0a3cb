"""The recorder: every finished request leaves a record, and no request waits on the database.

Requests call ``submit`` (a deque append). A writer thread wakes every flush interval, writes what
is queued in batches, one transaction per batch (requests + kept payloads), and then hands each
record to the sinks (OTLP export, search indexing). When the store fails, the batch is appended to a
spool file and replayed once the store answers again; inserts are idempotent, so a replay after a
write that did land is harmless. ``close`` drains everything (SIGTERM); kill -9 loses at most what
arrived in the last flush interval.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from ..errors import StoreError
from ..store import Store, Tx
from .record import RECORD_COLUMNS, RequestRecord

__all__ = ["PayloadEncoder", "RecordSink", "RecordWriter", "Recorder", "RecorderStats"]

log = logging.getLogger("seedstack.recorder")

_INSERT_REQUEST = (
    f"INSERT INTO requests ({', '.join(RECORD_COLUMNS)}) VALUES ({', '.join('?' * len(RECORD_COLUMNS))}) "
    "ON CONFLICT (id) DO NOTHING"
)
_INSERT_PAYLOAD = (
    "INSERT INTO payloads (request_id, ts, body, key_ref) VALUES (?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING"
)

PayloadEncoder = Callable[[bytes], tuple[bytes, str | None]]


class RecordSink(Protocol):
    """Receives finished records off the request path (must not block)."""

    def submit(self, record: RequestRecord) -> None: ...
    def shutdown(self) -> None: ...


class RecordWriter(Protocol):
    """What the gateway needs of a recorder: ``Recorder`` (a thread) or ``ProcessRecorder`` (a child)."""

    stats: RecorderStats

    def submit(self, record: RequestRecord) -> None: ...
    @property
    def pending(self) -> int: ...
    def start(self) -> None: ...
    def flush(self) -> None: ...
    def close(self, timeout: float = 30.0) -> None: ...


@dataclass
class RecorderStats:
    written: int = 0
    spooled: int = 0
    replayed: int = 0
    flushes: int = 0
    store_healthy: bool = True


def _plain(body: bytes) -> tuple[bytes, str | None]:
    return body, None


class Recorder:
    def __init__(
        self,
        store: Store,
        *,
        spool_dir: Path,
        flush_interval_s: float = 0.2,
        batch_size: int = 5000,
        sinks: Sequence[RecordSink] = (),
        encode_payload: PayloadEncoder | None = None,
        replay_interval_s: float = 5.0,
    ) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        self.sinks = list(sinks)
        self.encode_payload = encode_payload or _plain
        self.replay_interval_s = replay_interval_s
        self.stats = RecorderStats()
        self._queue: deque[RequestRecord] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_replay = 0.0
        self._flushing = threading.Lock()  # flush() returns only once an in-progress batch is written

    # --- request side ----------------------------------------------------------------------
    def submit(self, record: RequestRecord) -> None:
        self._queue.append(record)

    @property
    def pending(self) -> int:
        return len(self._queue)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        for orphan in self.spool_dir.glob("spool-*.replaying"):  # a replay cut short by a crash
            orphan.rename(orphan.with_name(f"{orphan.stem}-{time.time_ns()}.jsonl"))
        self._thread = threading.Thread(target=self._run, name="seedstack-recorder", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Drain the queue to the store (or the spool) and stop the writer."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._flush()  # anything that raced the join
        for sink in self.sinks:
            try:
                sink.shutdown()
            except Exception:  # a sink must never break the drain
                log.exception("record sink failed to shut down")

    def flush(self) -> None:
        """Write everything queued now (tests and the CLI use it; the gateway never waits on it)."""
        self._flush()

    # --- writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            self._flush()
            if time.monotonic() - self._last_replay > self.replay_interval_s:
                self._replay()
        self._flush()
        self._replay()

    def _take(self) -> list[RequestRecord]:
        batch = []
        q = self._queue
        for _ in range(min(self.batch_size, len(q))):
            batch.append(q.popleft())
        return batch

    def _flush(self) -> None:
        with self._flushing:
            self._flush_locked()

    def _flush_locked(self) -> None:
        while self._queue:
            batch = self._take()
            rows, payloads = self._rows(batch)
            try:
                self._write(rows, payloads)
                self.stats.written += len(rows)
                self.stats.store_healthy = True
            except StoreError as exc:
                if self.stats.store_healthy:
                    log.warning("store unavailable, spooling records to %s: %s", self.spool_dir, exc)
                self.stats.store_healthy = False
                self._spool(rows, payloads)
                self.stats.spooled += len(rows)
            self.stats.flushes += 1
            for sink in self.sinks:
                for record in batch:
                    try:
                        sink.submit(record)
                    except Exception:
                        log.exception("record sink failed")

    def _rows(self, batch: list[RequestRecord]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        rows = []
        payloads = []
        for rec in batch:
            rows.append(rec.row())
            if rec.payload_kept and rec.payload is not None:
                body, key_ref = self.encode_payload(orjson.dumps(rec.payload))
                payloads.append((rec.id, rec.ts, body, key_ref))
        return rows, payloads

    def _write(self, rows: list[tuple[Any, ...]], payloads: list[tuple[Any, ...]]) -> None:
        def tx(t: Tx) -> None:
            t.executemany(_INSERT_REQUEST, rows)
            if payloads:
                t.executemany(_INSERT_PAYLOAD, payloads)

        self.store.transaction(tx)

    # --- spool -----------------------------------------------------------------------------
    def _spool(self, rows: list[tuple[Any, ...]], payloads: list[tuple[Any, ...]]) -> None:
        by_id = {p[0]: p for p in payloads}
        path = self.spool_dir / f"spool-{os.getpid()}.jsonl"
        with path.open("ab") as fh:
            for row in rows:
                p = by_id.get(row[0])
                entry = {"r": row, "p": [p[0], p[1], base64.b64encode(p[2]).decode(), p[3]] if p else None}
                fh.write(orjson.dumps(entry) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _replay(self) -> None:
        self._last_replay = time.monotonic()
        for path in sorted(self.spool_dir.glob("spool-*.jsonl")):
            claimed = path.with_suffix(".replaying")
            try:
                path.rename(claimed)
            except OSError:
                continue
            rows, payloads = [], []
            for line in claimed.read_bytes().splitlines():
                if not line.strip():
                    continue
                try:
                    entry = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # a torn last line after kill -9
                rows.append(tuple(entry["r"]))
                if entry["p"]:
                    p = entry["p"]
                    payloads.append((p[0], p[1], base64.b64decode(p[2]), p[3]))
            try:
                for i in range(0, len(rows), self.batch_size):
                    chunk = rows[i : i + self.batch_size]
                    ids = {r[0] for r in chunk}
                    self._write(chunk, [p for p in payloads if p[0] in ids])
            except StoreError:
                claimed.rename(path)
                return
            claimed.unlink()
            self.stats.replayed += len(rows)
            log.info("replayed %d spooled records from %s", len(rows), path.name)
