"""``seedstack gpu agent``: sample every GPU on this node and ship the samples to the store.

NVML (the ``[gpu]`` extra, ``nvidia-ml-py``) is read in-process; without it the agent runs
``nvidia-smi --query-gpu=… --format=csv`` and parses its output with the log parser. Neither
exposes the profiling counter ``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` (only DCGM does), so the agent's
samples are labelled as the weaker "a kernel ran" utilization and the rules say so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import InvalidRequestError, MissingExtraError
from ..store import Store
from .gpu_batch import SampleBatch, SeriesBuilder
from .gpu_parsers import parse_nvidia_smi_csv
from .gpu_store import IngestReport, ingest

__all__ = ["NVML_UTIL_METRIC", "NvidiaSmiSampler", "NvmlSampler", "Sampler", "open_sampler", "run_agent"]

NVML_UTIL_METRIC = "nvml:utilization.gpu"
SMI_QUERY = "timestamp,index,name,uuid,utilization.gpu,memory.used,power.draw"


class Sampler(Protocol):
    def sample(self) -> SampleBatch: ...
    def close(self) -> None: ...


class NvmlSampler:
    """One NVML session; every ``sample`` reads each device once."""

    def __init__(self, node: str, clock: Callable[[], float] = time.time) -> None:
        try:
            import pynvml
        except ImportError:
            raise MissingExtraError("GPU sampling with NVML", "gpu") from None
        self._nvml: Any = pynvml
        self.node, self._clock = node, clock
        try:
            pynvml.nvmlInit()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        except pynvml.NVMLError as exc:
            raise InvalidRequestError(f"NVML could not start ({exc}): is the NVIDIA driver loaded?") from None

    def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except self._nvml.NVMLError:  # [N/A] / not supported on this device
            return None

    def sample(self) -> SampleBatch:
        nv, builder, ts = self._nvml, SeriesBuilder(), self._clock()
        for i, h in enumerate(self._handles):
            name = self._read(nv.nvmlDeviceGetName, h)
            uuid = self._read(nv.nvmlDeviceGetUUID, h)
            dev = builder.device(self.node, str(i), uuid=_text(uuid), model=_text(name))
            util = self._read(nv.nvmlDeviceGetUtilizationRates, h)
            builder.add("util", dev, ts, float(util.gpu) if util is not None else float("nan"))
            mem = self._read(nv.nvmlDeviceGetMemoryInfo, h)
            if mem is not None:
                builder.add("mem_mib", dev, ts, mem.used / 2**20)
            power = self._read(nv.nvmlDeviceGetPowerUsage, h)
            if power is not None:
                builder.add("power_w", dev, ts, power / 1000.0)
        return builder.build(util_metric=NVML_UTIL_METRIC)

    def close(self) -> None:
        self._read(self._nvml.nvmlShutdown)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


class NvidiaSmiSampler:
    def __init__(self, node: str, binary: str = "nvidia-smi") -> None:
        path = shutil.which(binary)
        if path is None:
            raise InvalidRequestError(
                f"'{binary}' is not on PATH: install the NVIDIA driver, or use NVML: pip "
                f"install 'seedstack[gpu]'"
            )
        self.node, self._cmd = node, [path, f"--query-gpu={SMI_QUERY}", "--format=csv"]

    def sample(self) -> SampleBatch:
        try:
            out = subprocess.run(self._cmd, capture_output=True, check=True, timeout=30).stdout
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise InvalidRequestError(f"nvidia-smi failed: {exc}") from None
        return parse_nvidia_smi_csv(out, self.node)

    def close(self) -> None:
        pass


def open_sampler(source: str = "auto", node: str | None = None) -> Sampler:
    """``auto`` prefers NVML and falls back to nvidia-smi when the extra is not installed."""
    node = node or socket.gethostname()
    if source in ("auto", "nvml"):
        try:
            return NvmlSampler(node)
        except MissingExtraError:
            if source == "nvml":
                raise
    if source in ("auto", "nvidia-smi"):
        return NvidiaSmiSampler(node)
    raise InvalidRequestError(f"unknown sampler '{source}': use auto, nvml or nvidia-smi")


def run_agent(
    store: Store,
    sampler: Sampler,
    *,
    interval_s: float = 10.0,
    flush_every_s: float = 60.0,
    stop: threading.Event | None = None,
    max_samples: int | None = None,
    on_flush: Callable[[IngestReport], None] | None = None,
) -> int:
    """Sample every ``interval_s`` and write to the store every ``flush_every_s``; return samples taken.
    Stops when ``stop`` is set or after ``max_samples`` rounds, flushing what it holds."""
    stop = stop or threading.Event()
    pending: list[SampleBatch] = []
    taken, last_flush = 0, time.monotonic()

    def flush() -> None:
        nonlocal pending, last_flush
        if pending:
            report = ingest(store, SampleBatch.concat(pending))
            if on_flush:
                on_flush(report)
        pending, last_flush = [], time.monotonic()

    try:
        while not stop.is_set():
            pending.append(sampler.sample())
            taken += 1
            if max_samples is not None and taken >= max_samples:
                break
            if time.monotonic() - last_flush >= flush_every_s:
                flush()
            stop.wait(interval_s)
    finally:
        flush()
        sampler.close()
    return taken
