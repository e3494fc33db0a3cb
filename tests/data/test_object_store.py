"""Datasets on a real S3 API: moto in server mode on a local port, delta-rs pointed at it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedstack.data import TableLocation

from .data_helpers import chat_rows, write_jsonl

pytestmark = pytest.mark.socket


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto in its own process: delta-rs holds the GIL during I/O, so an in-thread server deadlocks."""
    pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    for k, v in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("moto server did not start")
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="lake")
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _s3_location(endpoint: str) -> TableLocation:
    return TableLocation(
        "s3://lake/datasets",
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_CONDITIONAL_PUT": "etag",
        },
    )


def test_versions_diff_export_and_raw_zone_on_s3(make_service, s3_endpoint: str, tmp_path: Path) -> None:
    import boto3

    loc = _s3_location(s3_endpoint)
    svc = make_service(loc=loc, keep_raw=True)
    v0 = svc.add("chats", [write_jsonl(tmp_path / "a.jsonl", chat_rows(30, pii_every=10))], message="on s3")
    v1 = svc.add("chats", [write_jsonl(tmp_path / "b.jsonl", chat_rows(10, start=30))])
    assert (v0.version, v1.version, v1.row_count) == (0, 1, 40)
    assert v0.scrub["entities"] == {"EMAIL": 3}
    d = svc.diff("chats@v0", "chats@v1")
    assert (d["rows_added"], d["rows_removed"]) == (10, 0)
    assert svc.export("chats@v0", tmp_path / "v0.jsonl") == 30
    assert "user0@example.com" in str(svc.read_raw("chats@v0").to_pylist())
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket="lake")["Contents"]
    ]
    assert any(k.startswith("datasets/chats/_delta_log/") for k in keys)
    assert any(k.startswith("datasets/_raw/chats/") for k in keys)
    assert [e["message"] for e in svc.log("chats")] == [None, "on s3"]


def test_two_writers_on_s3_both_land_with_conditional_put(
    make_service, s3_endpoint: str, tmp_path: Path
) -> None:
    import threading

    loc = _s3_location(s3_endpoint)
    make_service(loc=loc).add("chats", [write_jsonl(tmp_path / "seed.jsonl", chat_rows(5))])
    files = [write_jsonl(tmp_path / f"w{i}.jsonl", chat_rows(50, start=100 * (i + 1))) for i in range(2)]
    barrier, results = threading.Barrier(2), [None, None]

    def run(i: int) -> None:
        svc = make_service(loc=loc)
        barrier.wait()
        try:
            results[i] = svc.add("chats", [files[i]])
        except Exception as exc:  # asserted below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.version for r in results) == [1, 2], results  # type: ignore[union-attr]
    assert make_service(loc=loc).show("chats")["row_count"] == 105
