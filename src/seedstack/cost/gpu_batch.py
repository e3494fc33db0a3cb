"""Columnar GPU samples, the common shape every telemetry source is parsed into.

Sources disagree on what "utilization" means. ``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` is the share of
time the graphics engine was busy; ``DCGM_FI_DEV_GPU_UTIL`` (and NVML / nvidia-smi
``utilization.gpu``) only says a kernel was running during the sample period, so one tiny kernel
reads as 100%. A batch keeps, per device, the name of the metric its ``active`` series came from,
so every verdict can say which one it used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ENGINE_ACTIVE",
    "GPU_UTIL",
    "SERIES",
    "Device",
    "SampleBatch",
    "SeriesBuilder",
    "metric_is_engine_active",
]

ENGINE_ACTIVE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
SERIES = ("active", "mem_mib", "power_w")


def metric_is_engine_active(metric: str) -> bool:
    return metric == ENGINE_ACTIVE


@dataclass(slots=True)
class Device:
    node: str
    gpu: str
    uuid: str | None = None
    model: str | None = None
    metric: str = GPU_UTIL  # where the ``active`` series came from


@dataclass(slots=True)
class Series:
    dev: np.ndarray  # int32 index into SampleBatch.devices
    ts: np.ndarray  # float64 unix seconds
    value: np.ndarray  # float64; NaN = no value ([N/A])


@dataclass(slots=True)
class SampleBatch:
    """``active`` is a fraction 0..1; ``mem_mib`` MiB used; ``power_w`` watts."""

    devices: list[Device] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)

    def __len__(self) -> int:
        s = self.series.get("active")
        return 0 if s is None else len(s.ts)

    @property
    def metrics(self) -> dict[str, int]:
        """Devices per source metric of the ``active`` series."""
        out: dict[str, int] = {}
        for d in self.devices:
            out[d.metric] = out.get(d.metric, 0) + 1
        return out

    @staticmethod
    def concat(batches: Iterable[SampleBatch]) -> SampleBatch:
        """Merge batches, unifying devices by (node, gpu); engine-active wins over GPU_UTIL."""
        out = SampleBatch()
        index: dict[tuple[str, str], int] = {}
        parts: dict[str, list[Series]] = {name: [] for name in SERIES}
        staged: list[tuple[SampleBatch, np.ndarray]] = []
        for batch in batches:
            remap = np.empty(len(batch.devices), dtype=np.int32)
            for i, d in enumerate(batch.devices):
                key = (d.node, d.gpu)
                j = index.get(key)
                if j is None:
                    j = index[key] = len(out.devices)
                    out.devices.append(Device(d.node, d.gpu, d.uuid, d.model, d.metric))
                else:
                    known = out.devices[j]
                    known.uuid = known.uuid or d.uuid
                    known.model = known.model or d.model
                    if metric_is_engine_active(d.metric):
                        known.metric = d.metric
                remap[i] = j
            staged.append((batch, remap))
        for batch, remap in staged:
            # a GPU that has engine-active anywhere keeps only its engine-active activity samples
            weaker = np.array(
                [
                    metric_is_engine_active(out.devices[remap[i]].metric) and not metric_is_engine_active(d.metric)
                    for i, d in enumerate(batch.devices)
                ],
                dtype=bool,
            )
            for name, s in batch.series.items():
                dev = remap[s.dev] if len(s.dev) else s.dev.astype(np.int32)
                keep = ~weaker[s.dev] if name == "active" and len(s.dev) and weaker.any() else slice(None)
                parts[name].append(Series(dev[keep], s.ts[keep], s.value[keep]))
        for name, chunks in parts.items():
            if chunks:
                out.series[name] = Series(
                    np.concatenate([c.dev for c in chunks]).astype(np.int32),
                    np.concatenate([c.ts for c in chunks]).astype(np.float64),
                    np.concatenate([c.value for c in chunks]).astype(np.float64),
                )
        return out


class SeriesBuilder:
    """Collects scalar samples from line-oriented sources (DCGM text, Prometheus JSON, NVML).

    ``engine`` and ``util`` are kept apart until ``build``, which picks engine-active for every
    device that reported it and falls back to GPU_UTIL otherwise.
    """

    def __init__(self) -> None:
        self._index: dict[tuple[str, str], int] = {}
        self.devices: list[Device] = []
        self._cols: dict[str, tuple[list[int], list[float], list[float]]] = {
            k: ([], [], []) for k in ("engine", "util", "mem_mib", "power_w")
        }

    def device(self, node: str, gpu: str, uuid: str | None = None, model: str | None = None) -> int:
        key = (node, gpu)
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.devices)
            self.devices.append(Device(node, gpu, uuid, model))
        else:
            d = self.devices[i]
            d.uuid = d.uuid or uuid
            d.model = d.model or model
        return i

    def add(self, kind: str, dev: int, ts: float, value: float) -> None:
        devs, tss, vals = self._cols[kind]
        devs.append(dev)
        tss.append(ts)
        vals.append(value)

    def add_many(self, kind: str, dev: int, ts: np.ndarray, value: np.ndarray) -> None:
        devs, tss, vals = self._cols[kind]
        devs.extend([dev] * len(ts))
        tss.extend(ts.tolist())
        vals.extend(value.tolist())

    def build(self, util_metric: str = GPU_UTIL) -> SampleBatch:
        arrays = {
            k: (np.asarray(d, np.int32), np.asarray(t, np.float64), np.asarray(v, np.float64))
            for k, (d, t, v) in self._cols.items()
        }
        e_dev, e_ts, e_val = arrays["engine"]
        u_dev, u_ts, u_val = arrays["util"]
        has_engine = np.zeros(len(self.devices), dtype=bool)
        has_engine[e_dev] = True
        keep = ~has_engine[u_dev] if len(u_dev) else np.zeros(0, dtype=bool)
        for i, d in enumerate(self.devices):
            d.metric = ENGINE_ACTIVE if has_engine[i] else util_metric
        batch = SampleBatch(devices=self.devices)
        batch.series["active"] = Series(
            np.concatenate([e_dev, u_dev[keep]]),
            np.concatenate([e_ts, u_ts[keep]]),
            np.concatenate([e_val, u_val[keep] / 100.0]),
        )
        for k in ("mem_mib", "power_w"):
            k_dev, k_ts, k_val = arrays[k]
            if len(k_dev):
                batch.series[k] = Series(k_dev, k_ts, k_val)
        return batch
