"""The public surface the gateway and the data pipeline build on."""

from __future__ import annotations

import time

import seedstack.guard as guard
from seedstack.guard import GuardEngine


def test_public_api_is_pinned() -> None:
    assert sorted(guard.__all__) == [
        "DETECTORS",
        "Finding",
        "GuardConfig",
        "GuardEngine",
        "GuardPolicy",
        "InputVerdict",
        "OutputScanner",
        "OutputVerdict",
        "Verdict",
    ]
    for name in guard.__all__:
        assert getattr(guard, name) is not None


def test_shipped_model_is_small_and_loads_without_pickle() -> None:
    from importlib import resources

    ref = resources.files("seedstack.guard").joinpath("model/injection.npz")
    with resources.as_file(ref) as p:
        assert p.stat().st_size <= 10 * 1024 * 1024
    t0 = time.perf_counter()
    engine = GuardEngine.default()
    assert time.perf_counter() - t0 >= 0  # load time is measured in benchmarks, not asserted here
    assert 0 < engine.model.threshold("user") < 1
    assert 0 < engine.model.threshold("document") < 1
