"""Telemetry parsers on real-format sample files (nvidia-smi CSV, dcgm-exporter, Prometheus JSON)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from seedstack.cost.gpu_batch import ENGINE_ACTIVE, GPU_UTIL
from seedstack.cost.gpu_parsers import SMI_UTIL_METRIC, detect_format, parse_file, parse_nvidia_smi_csv
from seedstack.errors import InvalidRequestError

DATA = Path(__file__).parent / "data"


def _values(batch, series: str = "active") -> dict[tuple[str, float], float]:  # type: ignore[no-untyped-def]
    s = batch.series[series]
    return {
        (batch.devices[d].gpu, t): v for d, t, v in zip(s.dev.tolist(), s.ts.tolist(), s.value.tolist(), strict=True)
    }


def test_nvidia_smi_csv_units_na_and_repeated_header() -> None:
    batch = parse_file(DATA / "nvidia_smi.csv", node="train-3")
    assert [(d.node, d.gpu, d.model) for d in batch.devices] == [
        ("train-3", "0", "NVIDIA H100 80GB HBM3"),
        ("train-3", "1", "NVIDIA H100 80GB HBM3"),
    ]
    assert batch.devices[0].uuid == "GPU-5f1c0a3e-7a2b-4c1d-9e8f-0123456789ab"
    assert all(d.metric == SMI_UTIL_METRIC for d in batch.devices)
    assert len(batch) == 6  # the repeated header line is not a sample
    active = _values(batch)
    t0 = 1793613601.0  # 2026/11/02 10:00:01 UTC
    assert active[("0", t0)] == pytest.approx(0.87)
    assert math.isnan(active[("1", t0 + 30)])  # [N/A]
    assert active[("1", t0 + 60)] == pytest.approx(0.04)
    power = _values(batch, "power_w")
    assert power[("0", t0)] == pytest.approx(612.45) and math.isnan(power[("1", t0 + 60)])  # [Not Supported]
    assert _values(batch, "mem_mib")[("1", t0 + 60)] == 515.0


def test_nvidia_smi_nounits_format_and_node_from_file_name(tmp_path: Path) -> None:
    f = tmp_path / "gpu-box.csv"
    f.write_text(
        "timestamp, index, name, utilization.gpu [%], memory.used [MiB]\n"
        "2026/11/02 10:00:00.000, 0, NVIDIA L4, 55, 100\n"
    )
    batch = parse_file(f)
    assert batch.devices[0].node == "gpu-box" and _values(batch)[("0", 1793613600.0)] == pytest.approx(0.55)


def test_nvidia_smi_without_utilization_lists_expected_columns() -> None:
    with pytest.raises(InvalidRequestError, match=r"missing column\(s\) utilization.gpu.*expected a header"):
        parse_nvidia_smi_csv(b"timestamp, index, name\n2026/11/02 10:00:00.000, 0, L4\n", "n")


def test_dcgm_scrape_prefers_engine_active_and_says_which() -> None:
    batch = parse_file(DATA / "dcgm_scrape.prom", at=1793613600.0)
    by_gpu = {d.gpu: d for d in batch.devices}
    assert by_gpu["0"].node == "train-1" and by_gpu["0"].model == "NVIDIA A100-SXM4-80GB"
    assert by_gpu["0"].metric == ENGINE_ACTIVE  # GPU_UTIL says 100 but the engine was 41% busy
    assert by_gpu["1"].metric == GPU_UTIL  # no profiling metric for GPU 1: fall back, and say so
    active = _values(batch)
    assert active[("0", 1793613600.0)] == pytest.approx(0.412345)
    assert active[("1", 1793613600.0)] == pytest.approx(1.0)
    assert len(batch) == 2
    assert _values(batch, "mem_mib")[("0", 1793613600.0)] == 40211


def test_dcgm_scrape_without_gpu_metrics_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "node.prom"
    f.write_text("# TYPE up gauge\nup 1\n")
    with pytest.raises(InvalidRequestError, match="no DCGM GPU metrics found"):
        parse_file(f, "dcgm")


def test_prometheus_range_json() -> None:
    batch = parse_file(DATA / "prom_range.json")
    by_gpu = {d.gpu: d for d in batch.devices}
    assert by_gpu["0"].node == "infer-7" and by_gpu["0"].metric == ENGINE_ACTIVE
    assert by_gpu["1"].metric == GPU_UTIL
    active = _values(batch)
    assert active[("0", 1793613660.0)] == pytest.approx(0.5)  # engine-active, not GPU_UTIL's 100
    assert math.isnan(active[("1", 1793613660.0)]) and active[("1", 1793613720.0)] == pytest.approx(0.3)


def test_prometheus_json_that_is_not_a_matrix(tmp_path: Path) -> None:
    f = tmp_path / "q.json"
    f.write_text('{"status":"success","data":{"resultType":"vector","result":[]}}')
    with pytest.raises(InvalidRequestError, match="range-query"):
        parse_file(f)


def test_format_detection(tmp_path: Path) -> None:
    assert detect_format(DATA / "nvidia_smi.csv") == "nvidia-smi"
    assert detect_format(DATA / "dcgm_scrape.prom") == "dcgm"
    assert detect_format(DATA / "prom_range.json") == "prom-json"
    f = tmp_path / "x.txt"
    f.write_text("hello\n")
    with pytest.raises(InvalidRequestError, match="cannot tell the format"):
        detect_format(f)


def test_importing_smi_and_dcgm_for_the_same_gpu_keeps_engine_active_only(tmp_path: Path) -> None:
    from seedstack.cost.gpu_batch import SampleBatch

    smi = tmp_path / "train-1.csv"
    smi.write_text("timestamp, index, name, utilization.gpu [%]\n2026/11/02 10:00:00.000, 0, NVIDIA A100, 100 %\n")
    batch = SampleBatch.concat([parse_file(smi), parse_file(DATA / "dcgm_scrape.prom", at=1793613600.0)])
    gpu0 = next(i for i, d in enumerate(batch.devices) if (d.node, d.gpu) == ("train-1", "0"))
    assert batch.devices[gpu0].metric == ENGINE_ACTIVE
    s = batch.series["active"]
    assert s.value[s.dev == gpu0].tolist() == [pytest.approx(0.412345)]  # not averaged with the 100%
