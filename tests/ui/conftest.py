"""A real dashboard on a real socket, over a store filled with synthetic traffic, and a headless
Chromium to drive it. Chromium tests skip (with the reason) only off CI; on CI they must run."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from seedstack.config import load_settings
from seedstack.explain.demo import insert_records, synthetic_records
from seedstack.telemetry.record import RequestRecord

from .ui_helpers import ADMIN_KEY, CHROMIUM, CHROMIUM_FLAGS, USER_KEY, add_key


def planted() -> list[RequestRecord]:
    now = time.time()
    return [
        RequestRecord(
            id="req_ui_complaint",
            ts=now - 600,
            endpoint="chat",
            customer="acme",
            template="support-refund",
            template_version="4",
            alias="chat",
            upstream_model="llama-3.1-8b-awq",
            status_code=200,
            latency_ms=180.0,
            ttft_ms=90.0,
            queue_ms=3.0,
            tokens_in=50,
            tokens_out=30,
            cost_usd=0.0001,
            payload_kept=True,
            metadata={"template_vars": {"order": "A55555"}},
            payload={
                "request": {"messages": [{"role": "user", "content": "refund for order A55555?"}]},
                "response": {
                    "choices": [
                        {
                            "message": {
                                "role": "assistant",
                                "content": "Your refund for order A55555 was denied.",
                            }
                        }
                    ]
                },
            },
        )
    ]


@pytest.fixture
def ui_store(store: Any) -> Any:
    insert_records(store, list(synthetic_records(1200, seed=11, days=8)))
    insert_records(store, planted())
    add_key(store, ADMIN_KEY, "admin")
    add_key(store, USER_KEY, "user")
    return store


class _Router:
    """What the gateway does: /ui → dashboard, /api → admin API."""

    def __init__(self, ui: Any, api: Any) -> None:
        self.ui, self.api = ui, api

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            return
        target = self.api if scope["path"].startswith("/api") else self.ui
        await target(scope, receive, send)


@pytest.fixture
def live_ui(ui_store: Any) -> Iterator[str]:
    import uvicorn

    from seedstack.http.admin import create_admin_app
    from seedstack.http.ui import create_ui_app

    ctx = SimpleNamespace(settings=load_settings(), store=ui_store)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            _Router(create_ui_app(ctx), create_admin_app(ctx)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        reason = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: .ci/run must install it)")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()
