"""One engine per test session: loading the shipped model is the slow part."""

from __future__ import annotations

import pytest

from seedstack.guard import GuardEngine


@pytest.fixture(scope="session")
def engine() -> GuardEngine:
    return GuardEngine.default()


@pytest.fixture(params=["hyperscan", "substring"])
def needle_backend(request: pytest.FixtureRequest):
    """Run a test with the Hyperscan literal pass and with plain substring searches (same findings)."""
    from seedstack.guard import needles

    needles.use_hyperscan(request.param == "hyperscan")
    if needles.backend() != request.param:
        pytest.skip("the hyperscan wheel is not installed on this platform")
    yield request.param
    needles.use_hyperscan(True)
