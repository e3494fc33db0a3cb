"""Fixtures for the cost advisor: realistic fleets of per-minute GPU telemetry written to the store.

A fleet is 16 GPUs on two 8-GPU nodes for four weeks: jobs come and go (busy blocks near 95%
engine-active, quiet blocks near 0), calibrated so the fleet's mean hits an exact target. Values
are whole basis points, as the store keeps them, so boundaries are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from seedstack.cost.gpu_batch import ENGINE_ACTIVE, Device, SampleBatch, Series
from seedstack.cost.gpu_store import ingest

NOW = 1_795_000_020.0  # 2026-11-19, a few seconds past a minute
WEEKS4 = 28 * 86400
MODEL = "NVIDIA H100 80GB HBM3"


def bursty(rng: np.random.Generator, n_gpu: int, n_min: int) -> np.ndarray:
    """Busy/quiet blocks of 30 min to 12 h per GPU, in basis points."""
    out = np.empty((n_gpu, n_min), dtype=np.int64)
    for g in range(n_gpu):
        pos, busy = 0, bool(rng.integers(0, 2))
        while pos < n_min:
            length = int(rng.integers(30, 720))
            lo, hi = (8500, 10000) if busy else (0, 300)
            out[g, pos : pos + length] = rng.integers(lo, hi, size=min(length, n_min - pos))
            pos += length
            busy = not busy
    return out


def calibrate(bp: np.ndarray, target_bp: int) -> np.ndarray:
    """Shift values (within 0..10000) so the mean is exactly ``target_bp``: each minute moves in
    proportion to its headroom, then the rounding remainder moves one basis point at a time."""
    flat = bp.reshape(-1).copy()
    diff = target_bp * flat.size - int(flat.sum())
    if diff == 0:
        return bp
    step = 1 if diff > 0 else -1
    room = (10000 - flat) if step > 0 else flat
    flat += step * np.floor(room * (abs(diff) / int(room.sum()))).astype(np.int64)
    diff = target_bp * flat.size - int(flat.sum())
    room = (10000 - flat) if step > 0 else flat
    flat[np.flatnonzero(room > 0)[: abs(diff)]] += step
    assert int(flat.sum()) == target_bp * flat.size
    return flat.reshape(bp.shape)


def write_fleet(
    store: Any,
    bp: np.ndarray,
    *,
    start: float,
    nodes: int = 2,
    model: str = MODEL,
    metric: str = ENGINE_ACTIVE,
) -> list[Device]:
    n_gpu, n_min = bp.shape
    per_node = max(1, n_gpu // nodes)
    devices = [
        Device(f"node-{g // per_node}", str(g % per_node), f"GPU-{g:04d}", model, metric)
        for g in range(n_gpu)
    ]
    dev = np.repeat(np.arange(n_gpu, dtype=np.int32), n_min)
    ts = np.tile(start + 60.0 * np.arange(n_min) + 7.0, n_gpu)
    values = bp.reshape(-1).astype(np.float64) / 10000.0
    values[bp.reshape(-1) < 0] = np.nan
    ingest(store, SampleBatch(devices, {"active": Series(dev, ts, values)}))
    return devices


@pytest.fixture
def fleet() -> Callable[..., np.ndarray]:
    """``fleet(store, target_bp=6000)`` writes 4 weeks x 16 GPUs ending at NOW; returns the matrix."""

    def make(
        store: Any,
        target_bp: int | None = None,
        *,
        n_gpu: int = 16,
        seed: int = 7,
        matrix: np.ndarray | None = None,
        **kw: Any,
    ) -> np.ndarray:
        start = (int(NOW) // 60 * 60) - WEEKS4
        n_min = WEEKS4 // 60
        bp = matrix if matrix is not None else bursty(np.random.default_rng(seed), n_gpu, n_min)
        if target_bp is not None:
            bp = calibrate(bp, target_bp)
        write_fleet(store, bp, start=start, **kw)
        return bp

    return make
