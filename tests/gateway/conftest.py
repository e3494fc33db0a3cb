"""Gateway fixtures: an app on a real socket in front of scriptable upstreams."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from seedstack.config import Settings, load_settings
from seedstack.gateway.keys import create_key
from seedstack.http.app import SeedstackApp, create_app
from tests.servers import MockUpstream, serve_in_thread


@dataclass
class RunningGateway:
    url: str
    app: SeedstackApp
    key: str

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {key or self.key}"}

    def records(self, at_least: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Every record so far, oldest first; waits (a little) for streams whose bookkeeping ends after
        the client has read the last byte."""
        deadline = time.time() + timeout
        while True:
            self.app.ctx.gateway.recorder.flush()
            rows = self.app.ctx.store.query_dicts("SELECT * FROM requests ORDER BY ts")
            if len(rows) >= at_least or time.time() > deadline:
                return rows
            time.sleep(0.02)

    def new_key(self, **kw: Any) -> str:
        plaintext, _ = create_key(self.app.ctx.store, **kw)
        return plaintext


@pytest.fixture
def upstream() -> Iterator[tuple[MockUpstream, str]]:
    mock = MockUpstream()
    with serve_in_thread(mock) as url:
        yield mock, url + "/v1"


GatewayFactory = Callable[..., AbstractContextManager[RunningGateway]]


@pytest.fixture
def gateway_factory(sqlite_url: str) -> GatewayFactory:
    @contextmanager
    def make(models: dict[str, Any] | None = None, **overrides: Any) -> Iterator[RunningGateway]:
        overrides.setdefault("store", sqlite_url)
        if models is not None:
            overrides["models"] = models
        settings: Settings = load_settings(**overrides)
        app = create_app(settings)
        key, _ = create_key(app.ctx.store, role="admin", name="test-admin")
        with serve_in_thread(app) as url:
            yield RunningGateway(url, app, key)

    return make


@pytest.fixture
def demo_gateway(gateway_factory: GatewayFactory) -> Iterator[RunningGateway]:
    with gateway_factory() as gw:
        yield gw


def openai_backend(url: str, **kw: Any) -> dict[str, Any]:
    return {"provider": "openai", "base_url": url, "model": "up-model", **kw}
