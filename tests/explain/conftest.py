"""Fixtures for the observability tests: a store filled with synthetic traffic."""

from __future__ import annotations

from typing import Any

import pytest

from seedstack.explain.demo import insert_records, synthetic_records

from .obs_records import NOW, complaint_record


@pytest.fixture
def filled(store: Any) -> Any:
    """A store with 1,500 synthetic requests (~10% sampled) and the planted complaint."""
    insert_records(store, list(synthetic_records(1500, seed=3, now=NOW, days=10)))
    insert_records(store, [complaint_record()])
    return store
