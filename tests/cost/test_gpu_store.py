"""Per-minute GPU activity in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seedstack.cost.gpu_batch import ENGINE_ACTIVE, GPU_UTIL, Device, SampleBatch, Series
from seedstack.cost.gpu_parsers import parse_file
from seedstack.cost.gpu_store import MISSING, hourly_rollup, ingest, load_window, prune_minutes

DATA = Path(__file__).parent / "data"
T0 = 1793613600  # 2026-11-02 10:00 UTC, on the hour


def _batch(
    values: list[float], metric: str = ENGINE_ACTIVE, start: float = T0, step: float = 60.0, gpu: str = "0"
) -> SampleBatch:
    n = len(values)
    return SampleBatch(
        [Device("n1", gpu, None, "NVIDIA H100", metric)],
        {
            "active": Series(
                np.zeros(n, np.int32), start + step * np.arange(n), np.array(values, dtype=np.float64)
            )
        },
    )


def test_samples_average_into_minutes_and_round_trip(store) -> None:  # type: ignore[no-untyped-def]
    # 10-second samples: each minute is the mean of its six
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] + [0.9] * 6
    report = ingest(store, _batch(values, step=10.0))
    assert report.minutes == 2 and report.gpu_hours == 1
    win = load_window(store, T0, T0 + 180)
    assert win.active.tolist() == [[3500, 9000, int(MISSING)]]
    assert win.devices[0].model == "NVIDIA H100" and win.devices[0].metric == ENGINE_ACTIVE


def test_a_second_import_fills_gaps_and_never_downgrades_engine_active(store) -> None:  # type: ignore[no-untyped-def]
    ingest(store, _batch([0.4, float("nan"), 0.4]))
    ingest(store, _batch([1.0, 1.0, 1.0, 1.0], metric=GPU_UTIL))  # a "kernel ran" series for the same GPU
    win = load_window(store, T0, T0 + 240)
    assert win.active.tolist() == [[4000, 10000, 4000, 10000]]
    assert win.devices[0].metric == ENGINE_ACTIVE


def test_window_spanning_hours_and_rollups(store) -> None:  # type: ignore[no-untyped-def]
    ingest(store, _batch([0.02] * 30 + [0.8] * 60, start=T0 + 1800))  # 10:30 to 12:00
    win = load_window(store, T0 + 1800, T0 + 1800 + 90 * 60)
    assert (
        win.active.shape == (1, 90)
        and (win.active[0, :30] == 200).all()
        and (win.active[0, 30:] == 8000).all()
    )
    hours = hourly_rollup(store, T0, T0 + 3 * 3600)
    assert [(h["hour"], h["gpu_minutes"], h["idle_minutes"]) for h in hours] == [
        (T0, 30, 30),
        (T0 + 3600, 60, 0),
    ]
    assert hours[1]["engine_active"] == pytest.approx(0.8)


def test_pruned_hours_keep_their_mean(store) -> None:  # type: ignore[no-untyped-def]
    ingest(store, _batch([0.2] * 30 + [0.6] * 30))
    assert prune_minutes(store, T0 + 3600) == 1
    win = load_window(store, T0, T0 + 3600)
    assert int(win.active.astype(np.int64).sum()) == 60 * 4000  # spread evenly from the rollup


def test_imported_files_land_in_the_store(store) -> None:  # type: ignore[no-untyped-def]
    for name in ("nvidia_smi.csv", "dcgm_scrape.prom", "prom_range.json"):
        ingest(store, parse_file(DATA / name, at=float(T0)))
    devices = store.query("SELECT node, gpu, model FROM gpu_devices ORDER BY node, gpu")
    assert [tuple(r) for r in devices] == [
        ("infer-7", "0", "NVIDIA L4"),
        ("infer-7", "1", "NVIDIA L4"),
        ("nvidia_smi", "0", "NVIDIA H100 80GB HBM3"),
        ("nvidia_smi", "1", "NVIDIA H100 80GB HBM3"),
        ("train-1", "0", "NVIDIA A100-SXM4-80GB"),
        ("train-1", "1", "NVIDIA A100-SXM4-80GB"),
    ]
    win = load_window(store, T0, T0 + 180)
    by = {(d.node, d.gpu): row.tolist() for d, row in zip(win.devices, win.active, strict=True)}
    assert by[("nvidia_smi", "0")][:2] == [9000, 10000]
    assert by[("train-1", "0")][0] == 4123
    assert by[("infer-7", "0")] == [2500, 5000, 7500]
