"""Keys, Chromium flags and screenshot helper shared by the dashboard tests."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

ADMIN_KEY = "sk-test-admin-0123456789"
USER_KEY = "sk-test-user-0123456789"
CHROMIUM = os.environ.get("SEEDSTACK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("SEEDSTACK_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts")) / "ui"


def add_key(store: Any, key: str, role: str, *, revoked: bool = False) -> None:
    store.execute(
        "INSERT INTO api_keys (id, name, hash, prefix, role, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            f"key_{role}_{revoked}",
            role,
            hashlib.sha256(key.encode()).hexdigest(),
            key[:8],
            role,
            time.time(),
            time.time() if revoked else None,
        ),
    )


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
