"""The recorder in its own process: the serving process keeps one Python thread on the request path.

A thread that builds rows, seals payloads, binds SQL parameters and indexes payloads for search holds
the GIL in bursts, and every request that arrives during a burst waits for it: that was the gateway's
tail latency at concurrency 1. ``ProcessRecorder`` moves all of that into a child process that runs the
ordinary thread ``Recorder`` (batching, spool and replay, sinks) unchanged.

The serving process pays one ``pickle.dumps`` of the record's plain values per record (~2.5 µs,
spread evenly over requests, never a burst) and a helper thread hands the bytes to the child through
a pipe every ``pipe_interval_s`` (one ``write`` syscall, with the GIL released). Frames are
``kind (1 byte) + length (4 bytes) + body``: ``S`` the child's spec (first frame), ``R`` one pickled
record, ``F`` a flush request whose sequence number the child echoes once everything before it is in
the store.

Shutdown and crashes:
- ``close`` (SIGTERM) sends what is buffered, closes the pipe and waits for the child to drain.
- kill -9 of the serving process loses what it had not yet piped (at most ``pipe_interval_s``); the
  child reads to end of file and drains the rest.
- the child ignores SIGINT/SIGTERM, so a Ctrl-C or a group-wide SIGTERM cannot cut a drain short;
  it exits when its input closes.
- if the child dies, the next hand-off starts a new one (what the dead one held is logged as lost).

The child runs at the idle scheduling class (``SCHED_IDLE``) and the default flush interval is short
(50 ms), so its work comes in small pieces that never delay a request's process on a shared core.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any

import orjson

from .record import RequestRecord
from .recorder import Recorder, RecorderStats

__all__ = ["ProcessRecorder", "run_child"]

log = logging.getLogger("seedstack.recorder")

_HEAD = struct.Struct("<cI")
_SPEC, _RECORD, _FLUSH = b"S", b"R", b"F"
_STATUS_EVERY_S = 1.0
# Records are acyclic and live until their batch is written; thousands of them in flight made the
# default thresholds run full collections over them (~9 µs per record at saturation).
_CHILD_GC_THRESHOLDS = (10_000, 10, 10)


class ProcessRecorder:
    """Same surface as ``Recorder`` (submit, pending, stats, start, flush, close), writer in a child."""

    def __init__(
        self,
        spec: Any,
        *,
        child_module: str,
        pipe_interval_s: float = 0.02,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self._spec = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
        self._argv = [sys.executable, "-m", child_module]
        self.pipe_interval_s = pipe_interval_s
        self.startup_timeout_s = startup_timeout_s
        self.stats = RecorderStats()
        self._buf: deque[bytes] = deque()  # framed records; append/popleft are atomic
        self._in_flight = 0  # records taken from _buf whose write has not returned
        self._carry = b""  # framed records a failed hand-off kept for the next one
        self._carry_n = 0
        self._lock = threading.Lock()  # one writer to the pipe at a time (hand-off thread, flush, close)
        self._wake = threading.Event()
        self._cond = threading.Condition()  # flush acknowledgements and child status
        self._acked = 0
        self._seq = 0
        self._written_seq = 0
        self._child: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._reader: threading.Thread | None = None
        self._stopping = False

    # --- request side ----------------------------------------------------------------------
    def submit(self, record: RequestRecord) -> None:
        body = pickle.dumps(record.to_wire(), protocol=pickle.HIGHEST_PROTOCOL)
        self._buf.append(_HEAD.pack(_RECORD, len(body)) + body)

    @property
    def pending(self) -> int:
        """Records still in this process (the child's own backlog pushes back through the pipe)."""
        return len(self._buf) + self._in_flight + self._carry_n

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._run, name="seedstack-recorder-pipe", daemon=True)
        self._thread.start()

    def flush(self, timeout: float = 30.0) -> None:
        """Block until everything submitted so far is in the store (or the child's spool)."""
        with self._cond:
            self._seq += 1
            seq = self._seq
        self._send(extra=_HEAD.pack(_FLUSH, 8) + struct.pack("<Q", seq), seq=seq)
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._acked < seq:
                left = deadline - time.monotonic()
                if left <= 0 or self._child is None or self._child.poll() is not None:
                    raise TimeoutError("the recorder process did not acknowledge a flush")
                self._cond.wait(min(left, 0.5))

    def close(self, timeout: float = 30.0) -> None:
        """Send what is buffered, close the pipe and wait for the child to drain into the store."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._send()
        if self._carry_n:
            log.error("%d records could not be handed to the recorder process and are lost", self._carry_n)
        child = self._child
        if child is None:
            return
        with contextlib.suppress(OSError):
            assert child.stdin is not None
            child.stdin.close()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:  # its input is closed: it drains to the store or spool, then exits
            log.warning(
                "the recorder process (pid %d) is still draining after %.0f s; it finishes on its own",
                child.pid,
                timeout,
            )
        if self._reader is not None:
            self._reader.join(2)

    # --- hand-off --------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.pipe_interval_s)
            self._wake.clear()
            self._send()

    def _send(self, extra: bytes = b"", seq: int = 0) -> None:
        with self._lock:
            q = self._buf
            n = len(q)
            if not (n or extra or self._carry):
                return
            data = self._carry + b"".join([q.popleft() for _ in range(n)]) + extra
            count = self._carry_n + n
            self._carry, self._carry_n = b"", 0
            self._in_flight = count
            if self._write(data, count):
                if seq:
                    self._written_seq = seq
            else:  # kept for the next hand-off; a resend after a partial write is harmless (idempotent inserts)
                self._carry, self._carry_n = data, count
            self._in_flight = 0

    def _write(self, data: bytes, n: int) -> bool:
        for _attempt in (1, 2):
            try:
                child = self._child
                if child is None or child.poll() is not None:
                    code = child.returncode if child is not None else None
                    log.error("the recorder process is gone (exit code %s); starting a new one", code)
                    self._spawn()
                    child = self._child
                assert child is not None and child.stdin is not None
                child.stdin.write(data)  # blocks while the child is behind: backpressure
                child.stdin.flush()
                return True
            except (OSError, ValueError, RuntimeError) as exc:
                error = exc
        log.error("could not hand %d records to the recorder process (%s); keeping them to retry", n, error)
        return False

    def _spawn(self) -> None:
        child = subprocess.Popen(
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 20, close_fds=True
        )
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(_HEAD.pack(_SPEC, len(self._spec)) + self._spec)
        child.stdin.flush()
        ready = child.stdout.readline()
        if not ready.startswith(b"{"):
            code = child.wait(self.startup_timeout_s)
            raise RuntimeError(f"the recorder process failed to start (exit code {code}); see its log above")
        self._status(ready)
        self._child = child
        # Flushes sent to a dead child will never be acknowledged: release their waiters.
        self._acked = max(self._acked, self._written_seq)
        self._reader = threading.Thread(
            target=self._read_status, args=(child.stdout,), name="seedstack-recorder-status", daemon=True
        )
        self._reader.start()

    def _read_status(self, out: IO[bytes]) -> None:
        for line in out:
            self._status(line)

    def _status(self, line: bytes) -> None:
        try:
            msg = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        with self._cond:
            st = self.stats
            st.written, st.spooled, st.replayed = msg["written"], msg["spooled"], msg["replayed"]
            st.flushes, st.store_healthy = msg["flushes"], msg["healthy"]
            if msg.get("acked", 0) > self._acked:
                self._acked = msg["acked"]
            self._cond.notify_all()


# --- the child --------------------------------------------------------------------------------
def _read_exact(src: IO[bytes], n: int) -> bytes | None:
    data = src.read(n)
    if len(data) < n:
        return None
    return data


def _background_priority() -> None:
    """Run as SCHED_IDLE where the OS has it: a request's process that wakes up on this core takes it
    at once instead of waiting out the scheduler's wake-up granularity behind a write burst (that wait
    was the gateway's p99). The writer still gets every idle cycle, and when it cannot keep up the pipe
    fills and the gateway yields (``telemetry.backlog_high_water``)."""
    setter = getattr(os, "sched_setscheduler", None)
    policy = getattr(os, "SCHED_IDLE", None)
    if setter is None or policy is None:
        return
    try:
        setter(0, policy, os.sched_param(0))
    except OSError as exc:  # a container that forbids it: normal priority still works
        log.info("recorder process keeps normal priority: %s", exc)


def run_child(build: Callable[[Any], tuple[Recorder, Callable[[], None]]]) -> None:
    """The child's main loop: ``build(spec)`` returns the thread recorder and a close hook."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _background_priority()
    src = sys.stdin.buffer
    # The status stream is private: anything a library prints goes to stderr, not into it.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    lock = threading.Lock()

    def status(rec: Recorder, acked: int = 0) -> None:
        st = rec.stats
        line = orjson.dumps(
            {
                "written": st.written,
                "spooled": st.spooled,
                "replayed": st.replayed,
                "flushes": st.flushes,
                "healthy": st.store_healthy,
                "pending": rec.pending,
                "acked": acked,
            }
        )
        with lock, contextlib.suppress(OSError):
            out.write(line + b"\n")
            out.flush()

    head = _read_exact(src, _HEAD.size)
    if head is None:
        return
    kind, size = _HEAD.unpack(head)
    body = _read_exact(src, size)
    if kind != _SPEC or body is None:
        raise SystemExit("seedstack recorder process: expected its spec first")
    recorder, on_close = build(pickle.loads(body))
    gc.collect()
    gc.freeze()  # the store, sinks and libraries live as long as the process: out of every collection
    gc.set_threshold(*_CHILD_GC_THRESHOLDS)
    recorder.start()
    status(recorder)
    stop = threading.Event()
    # Read ahead of the store by a little only: when this process is starved of CPU (it runs at idle
    # priority), records wait as compact bytes in the pipe and the gateway's buffer, whose high-water
    # mark slows requests down, rather than as objects here (a 20,000-record backlog was ~150 MB).
    high_water = min(2_000, recorder.batch_size)

    def report() -> None:
        while not stop.wait(_STATUS_EVERY_S):
            status(recorder)

    threading.Thread(target=report, name="seedstack-recorder-report", daemon=True).start()
    try:
        while True:
            head = _read_exact(src, _HEAD.size)
            if head is None:
                break
            kind, size = _HEAD.unpack(head)
            body = _read_exact(src, size)
            if body is None:
                break  # a frame torn by the parent's kill -9
            if kind == _RECORD:
                recorder.submit(RequestRecord.from_wire(pickle.loads(body)))
                while recorder.pending > high_water:  # the store is slower than the traffic: push back
                    time.sleep(0.005)
            elif kind == _FLUSH:
                recorder.flush()
                status(recorder, struct.unpack("<Q", body)[0])
    finally:
        stop.set()
        recorder.close()
        on_close()
        status(recorder)
        with contextlib.suppress(OSError):
            out.close()
        os._exit(0)
