"""The GPU agent through a fake NVML module (no GPU in CI) and a fake nvidia-smi binary."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from seedstack.cost.gpu_agent import NVML_UTIL_METRIC, NvidiaSmiSampler, NvmlSampler, open_sampler, run_agent
from seedstack.cost.gpu_store import load_window
from seedstack.errors import MissingExtraError


class _NVMLError(Exception):
    pass


def _fake_pynvml(utils: list[int | None]) -> types.ModuleType:
    """The slice of the nvidia-ml-py API the agent uses; ``None`` util = not supported."""
    m = types.ModuleType("pynvml")
    state = {"init": 0, "shutdown": 0}

    def util(h: int) -> object:
        if utils[h] is None:
            raise _NVMLError("Not Supported")
        return types.SimpleNamespace(gpu=utils[h], memory=10)

    m.NVMLError = _NVMLError  # type: ignore[attr-defined]
    m.nvmlInit = lambda: state.__setitem__("init", state["init"] + 1)  # type: ignore[attr-defined]
    m.nvmlShutdown = lambda: state.__setitem__("shutdown", state["shutdown"] + 1)  # type: ignore[attr-defined]
    m.nvmlDeviceGetCount = lambda: len(utils)  # type: ignore[attr-defined]
    m.nvmlDeviceGetHandleByIndex = lambda i: i  # type: ignore[attr-defined]
    m.nvmlDeviceGetName = lambda h: b"NVIDIA H100 80GB HBM3"  # type: ignore[attr-defined]
    m.nvmlDeviceGetUUID = lambda h: f"GPU-{h:08d}"  # type: ignore[attr-defined]
    m.nvmlDeviceGetUtilizationRates = util  # type: ignore[attr-defined]
    m.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=2**30 * (h + 1), total=80 * 2**30)  # type: ignore[attr-defined]
    m.nvmlDeviceGetPowerUsage = lambda h: 350_000  # type: ignore[attr-defined]
    m.state = state  # type: ignore[attr-defined]
    return m


def test_nvml_sampler_reads_every_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_pynvml([87, 0, None])
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    sampler = NvmlSampler("gpu-node-1", clock=lambda: 1793613605.0)
    batch = sampler.sample()
    sampler.close()
    d0 = batch.devices[0]
    assert (d0.node, d0.gpu, d0.uuid, d0.model, d0.metric) == (
        "gpu-node-1",
        "0",
        "GPU-00000000",
        "NVIDIA H100 80GB HBM3",
        NVML_UTIL_METRIC,
    )
    vals = batch.series["active"].value.tolist()
    assert vals[:2] == [0.87, 0.0] and vals[2] != vals[2]  # NaN for the unsupported GPU
    assert batch.series["mem_mib"].value.tolist() == [1024.0, 2048.0, 3072.0]
    assert batch.series["power_w"].value.tolist() == [350.0] * 3
    assert fake.state == {"init": 1, "shutdown": 1}  # type: ignore[attr-defined]


def test_agent_ships_samples_to_the_store(store, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml([50, 3]))
    ticks = iter(1793613600.0 + 20 * i for i in range(100))
    sampler = NvmlSampler("gpu-node-1", clock=lambda: next(ticks))
    flushed = []
    taken = run_agent(store, sampler, interval_s=0, flush_every_s=0, max_samples=6, on_flush=flushed.append)
    assert taken == 6 and sum(r.samples for r in flushed) == 12
    win = load_window(store, 1793613600, 1793613600 + 120)
    assert win.active.tolist() == [[5000, 5000], [300, 300]]
    assert win.devices[0].metric == NVML_UTIL_METRIC


def test_without_the_extra_the_agent_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    with pytest.raises(MissingExtraError, match=r"seedstack\[gpu\]"):
        NvmlSampler("n")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingExtraError):
        open_sampler("nvml")


def test_nvidia_smi_fallback_parses_the_binary_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'timestamp, index, name, uuid, utilization.gpu [%], memory.used [MiB], power.draw [W]'\n"
        "echo '2026/11/02 10:00:00.000, 0, NVIDIA L4, GPU-1, 42 %, 100 MiB, [N/A]'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    sampler = open_sampler("auto", node="edge-1")
    assert isinstance(sampler, NvidiaSmiSampler)
    batch = sampler.sample()
    assert batch.devices[0].node == "edge-1" and batch.series["active"].value.tolist() == [0.42]
