"""Data-layer fixtures: a stand-in PII engine with the guard engine's API, and a service factory.

The stand-in only knows emails and one phone shape: enough to see that the data layer calls the
engine, counts per type and applies the policy. Real detection is tested in tests/guard.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seedstack.access import LOCAL_ADMIN, Actor
from seedstack.data import DatasetService, GuardScrubber, TableLocation

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"\+1 555 \d{3} \d{4}")


@dataclass(frozen=True)
class Finding:
    detector: str
    type: str
    start: int
    end: int
    score: float


class StubEngine:
    version = "stub-1"

    def __init__(self) -> None:
        self.scans = 0

    def scan(self, text: str, detectors: set[str] | None = None) -> list[Finding]:
        self.scans += 1
        out = [Finding("pii", "EMAIL", m.start(), m.end(), 1.0) for m in _EMAIL.finditer(text)]
        out += [Finding("pii", "PHONE", m.start(), m.end(), 1.0) for m in _PHONE.finditer(text)]
        return sorted(out, key=lambda f: f.start)

    def redact(
        self, text: str, findings: list[Any], mode: str = "placeholder", hmac_key: bytes | None = None
    ) -> str:
        for f in sorted(findings, key=lambda f: -f.start):
            if mode == "hmac":
                tag = hmac.new(hmac_key or b"", text[f.start : f.end].encode(), hashlib.sha256).hexdigest()[
                    :10
                ]
                rep = f"<{f.type}_{tag}>"
            else:
                rep = f"<{f.type}>"
            text = text[: f.start] + rep + text[f.end :]
        return text


@pytest.fixture
def engine() -> StubEngine:
    return StubEngine()


@pytest.fixture
def root(tmp_path: Path) -> str:
    return str(tmp_path / "lake")


ServiceFactory = Callable[..., DatasetService]


@pytest.fixture
def make_service(store: Any, root: str, engine: StubEngine, tmp_path: Path) -> ServiceFactory:
    from seedstack.crypto import DataKeyring

    def make(
        actor: Actor = LOCAL_ADMIN,
        *,
        policy: str = "redact",
        keep_raw: bool = False,
        loc: TableLocation | None = None,
        block_bytes: int = 1 << 16,
    ) -> DatasetService:
        scrubber = None if policy == "off" else GuardScrubber(engine, policy=policy, hmac_key=b"k" * 32)
        return DatasetService(
            store,
            loc or TableLocation(root),
            actor,
            scrubber=scrubber,
            keyring=lambda: DataKeyring.open(tmp_path / "home"),
            keep_raw=keep_raw,
            block_bytes=block_bytes,
        )

    return make
