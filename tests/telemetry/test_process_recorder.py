"""The recorder in a child process: records land, flush is acknowledged, close drains, a killed
serving process loses at most what it had not yet piped, and a dead child is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson

from seedstack.config import load_settings
from seedstack.crypto import DataKeyring
from seedstack.http.record_writer import settings_spec
from seedstack.store import Store, open_store
from seedstack.telemetry.process import ProcessRecorder
from seedstack.telemetry.record import RequestRecord, RouteAttempt

CHILD = "seedstack.http.record_writer"


def _rec(i: int, *, kept: bool = False) -> RequestRecord:
    r = RequestRecord(
        id=f"req_{i:024x}",
        ts=time.time(),
        endpoint="chat",
        alias="demo",
        customer="acme",
        status_code=200,
        route=[RouteAttempt("demo/simulator", "ok", 200, 1.5)],
        guard=[{"detector": "pii", "direction": "input", "action": "redact", "count": 1}],
    )
    if kept:
        r.payload_kept, r.payload_reason = True, "sampled"
        r.payload = {"request": {"messages": [{"role": "user", "content": f"refund request number {i}"}]}}
    return r


def _recorder(store_url: str, home: Path, **telemetry: object) -> ProcessRecorder:
    settings = load_settings(store=store_url, home=home, telemetry={"flush_interval_ms": 50, **telemetry})
    return ProcessRecorder(settings_spec(settings), child_module=CHILD, pipe_interval_s=0.01)


def test_records_and_sealed_payloads_land_in_the_store(store: Store, store_url: str, tmp_path: Path) -> None:
    rec = _recorder(store_url, tmp_path)
    rec.start()
    try:
        for i in range(2000):
            rec.submit(_rec(i, kept=i % 10 == 0))
        rec.flush()  # acknowledged only once everything submitted before it is committed
        assert store.query_one("SELECT COUNT(*) FROM requests") == (2000,)
        assert store.query_one("SELECT COUNT(*) FROM payloads") == (200,)
        assert rec.stats.written == 2000 and rec.stats.store_healthy
        row = store.query_dicts("SELECT guard, route, customer FROM requests WHERE id = ?", (_rec(7).id,))[0]
        assert orjson.loads(row["guard"])[0]["detector"] == "pii" and row["customer"] == "acme"
        body, key_ref = store.query_one("SELECT body, key_ref FROM payloads WHERE request_id = ?", (_rec(10).id,))
        assert b"refund" not in bytes(body)  # sealed at rest by the child, with the gateway's keyring
        keyring = DataKeyring.from_settings(load_settings(home=tmp_path))
        assert key_ref == keyring.active_id
        assert b"refund request number 10" in keyring.decrypt(bytes(body))
    finally:
        rec.close()


def test_close_drains_everything(store: Store, store_url: str, tmp_path: Path) -> None:
    rec = _recorder(store_url, tmp_path, flush_interval_ms=5000)  # nothing flushes on its own in time
    rec.start()
    for i in range(5000):
        rec.submit(_rec(i))
    rec.close()
    assert store.query_one("SELECT COUNT(*) FROM requests") == (5000,)
    assert rec.pending == 0


def test_search_index_is_fed_by_the_child(store: Store, store_url: str, tmp_path: Path) -> None:
    rec = _recorder(store_url, tmp_path)
    rec.start()
    for i in range(50):
        rec.submit(_rec(i, kept=True))
    rec.close()
    assert store.query_one("SELECT COUNT(*) FROM obs_docs") == (50,)


def test_a_dead_child_is_replaced(sqlite_url: str, tmp_path: Path) -> None:
    rec = _recorder(sqlite_url, tmp_path)
    rec.start()
    try:
        rec.submit(_rec(1))
        rec.flush()
        assert rec._child is not None
        rec._child.kill()
        rec._child.wait(10)
        for i in range(2, 12):
            rec.submit(_rec(i))
        rec.flush()
    finally:
        rec.close()
    s = open_store(sqlite_url)
    try:
        assert s.query_one("SELECT COUNT(*) FROM requests") == (11,)
    finally:
        s.close()


_KILLED = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.path.insert(0, {root!r})
    from tests.telemetry.test_process_recorder import _recorder, _rec
    from pathlib import Path
    rec = _recorder({url!r}, Path({home!r}), flush_interval_ms=200)
    rec.start()
    for i in range(300):
        rec.submit(_rec(i))
    time.sleep(0.1)  # more than one pipe interval: the child holds them now, not yet the store
    print("child", rec._child.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_kill_9_of_the_serving_process_loses_nothing_already_piped(sqlite_url: str, tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    script = _KILLED.format(root=root, url=sqlite_url, home=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=root)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    child = int(proc.stdout.split()[1])
    deadline = time.time() + 20
    while time.time() < deadline:  # the orphaned child reads to end of file, drains and exits
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    s = open_store(sqlite_url)
    try:
        assert s.query_one("SELECT COUNT(*) FROM requests") == (300,)
    finally:
        s.close()


def test_wire_form_round_trips_every_field() -> None:
    import pickle

    r = _rec(3, kept=True)
    r.tags, r.params, r.metadata, r.tokens_cached, r.simulated = ["a", "b"], {"seed": 1}, {"k": "v"}, 4, True
    back = RequestRecord.from_wire(pickle.loads(pickle.dumps(r.to_wire())))
    assert back == r and back.route[0] == RouteAttempt("demo/simulator", "ok", 200, 1.5)


def test_records_wait_while_the_recorder_process_cannot_start(sqlite_url: str, tmp_path: Path) -> None:
    rec = _recorder(sqlite_url, tmp_path)
    rec.start()
    try:
        good_argv = rec._argv
        assert rec._child is not None
        rec._child.kill()
        rec._child.wait(10)
        rec._argv = [sys.executable, "-c", "import sys; sys.exit(1)"]  # every restart fails
        for i in range(10):
            rec.submit(_rec(i))
        rec._send()
        assert rec.pending == 10  # kept, not dropped
        rec._argv = good_argv
        rec.flush()
        assert rec.pending == 0
    finally:
        rec.close()
    s = open_store(sqlite_url)
    try:
        assert s.query_one("SELECT COUNT(*) FROM requests") == (10,)
    finally:
        s.close()
