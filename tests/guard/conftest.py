"""One engine per test session: loading the shipped model is the slow part."""

from __future__ import annotations

import pytest

from seedstack.guard import GuardEngine


@pytest.fixture(scope="session")
def engine() -> GuardEngine:
    return GuardEngine.default()
