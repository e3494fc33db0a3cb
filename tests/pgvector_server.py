"""A throwaway PostgreSQL 16 with pgvector, from the ``pgserver`` wheel (the ``dev`` extra).

Debian 12's PostgreSQL 15 (the ``pg_url`` fixture) has no pgvector, so the SQL path of semantic
search is tested against this server instead: started once per test session in a temporary
directory, on a Unix socket, and deleted afterwards. Without ``pgserver`` the tests that need it
skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def _pgserver() -> Any:
    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR at import time
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        msg = "pgserver (PostgreSQL 16 + pgvector) is not installed: pip install -e '.[dev]'"
        if IN_CI:
            pytest.fail(f"{msg}, and CI=true: the pgvector search tests must run")
        pytest.skip(msg)
    return pgserver


@contextmanager
def pgvector_server(pgdata: Path) -> Iterator[str]:
    """Start a server in ``pgdata`` (a new directory); yield its base URL; stop and delete it."""
    server = _pgserver().get_server(pgdata, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextmanager
def fresh_database(base_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped afterwards: each test's migration
    creates the extension itself, as on a fresh install."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
