"""Shared fixtures: every data dir points at tmp_path; real PostgreSQL / Redis when reachable.

PostgreSQL and Redis tests skip with a reason when the service is unreachable on a developer's
machine, and fail instead when ``CI=true``: CI must never skip them silently.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("SEEDSTACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SEEDSTACK_TEST_REDIS", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "seedstack-home"
    monkeypatch.setenv("SEEDSTACK_HOME", str(home))
    monkeypatch.delenv("SEEDSTACK_CONFIG", raising=False)
    monkeypatch.delenv("SEEDSTACK_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _need(service: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    msg = f"{service} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{msg}, and CI=true: .ci/run must start it")
    pytest.skip(f"{msg}; start it to run this test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    _need("PostgreSQL", "127.0.0.1", 5432)
    psycopg = pytest.importorskip("psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis URL on a test database, flushed before and after."""
    _need("Redis", "127.0.0.1", 6379)
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over every store backend: the store contract suite uses it."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[object]:
    from seedstack.store import open_store

    s = open_store(store_url)
    yield s
    s.close()
