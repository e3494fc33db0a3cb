"""The CLI surface: `seedstack gpu …`, `seedstack cost …` and `seedstack advise`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seedstack.cli.main import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # rich wraps to the terminal width


def test_gpu_import_says_which_metric_it_used() -> None:
    out = _ok(
        "gpu",
        "import",
        str(DATA / "dcgm_scrape.prom"),
        str(DATA / "prom_range.json"),
        "--at",
        "2026-11-02T10:00:00",
    )
    assert "imported 8 samples from 2 file(s): 4 GPUs" in out
    assert "DCGM_FI_PROF_GR_ENGINE_ACTIVE on 2 GPU(s): engine busy time (preferred)" in out
    assert "DCGM_FI_DEV_GPU_UTIL on 2 GPU(s): only 'a kernel ran'" in out


def test_gpu_import_of_a_bad_file_is_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "gpu.csv"
    bad.write_text("timestamp, index\n2026/11/02 10:00:00, 0\n")
    result = runner.invoke(app, ["gpu", "import", str(bad)])
    assert result.exit_code == 1
    assert "missing column(s) utilization.gpu" in result.output and "Traceback" not in result.output


def test_prices_filter_and_staleness_warning() -> None:
    result = runner.invoke(app, ["cost", "prices", "--gpu", "H100", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert rows and {r["gpu"] for r in rows} == {"H100"} and all(r["source"] and r["as_of"] for r in rows)
    assert "older than 90 days" in result.stderr


def test_prices_of_an_unknown_gpu() -> None:
    result = runner.invoke(app, ["cost", "prices", "--gpu", "TPUv5"])
    assert result.exit_code == 1 and "no prices for 'TPUv5'" in result.output


def test_plan_reproduces_the_guide() -> None:
    out = runner.invoke(
        app,
        [
            "cost",
            "plan",
            "--gpu",
            "H100",
            "--count",
            "8",
            "--hours-per-run",
            "14",
            "--runs-per-week",
            "3",
            "--price",
            "reserved=1.5",
            "--price",
            "on-demand=4",
            "--price",
            "serverless=2.5",
            "--json",
        ],
    ).stdout
    lines = {x["option"]: x for x in json.loads(out)}
    assert lines["reserved"]["usd_per_month"] == pytest.approx(8760.0)
    assert lines["on-demand, kept up"]["usd_per_month"] == pytest.approx(23360.0)
    assert lines["serverless"]["usd_per_month"] == pytest.approx(3650.0)
    assert lines["serverless"]["price_source"] == "--price"
    assert lines["spot"]["usd_per_month"] is not None  # from the catalog


def test_plan_rejects_a_bad_price_flag() -> None:
    result = runner.invoke(app, ["cost", "plan", "--price", "monthly=3"])
    assert result.exit_code == 1 and "use pricing=usd" in result.output


def test_import_bill_and_unknown_columns(tmp_path: Path) -> None:
    out = _ok("cost", "import-bill", str(DATA / "aws_cur.csv"))
    assert "imported 6 aws-cur lines ($1,674.04)" in out and "cross-region: $450.00" in out
    bad = tmp_path / "bill.csv"
    bad.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["cost", "import-bill", str(bad)])
    assert result.exit_code == 1 and "expected the columns of one of" in result.output


def test_job_ledger_round_trip() -> None:
    out = _ok(
        "cost",
        "job",
        "add",
        "nightly-finetune",
        "--kind",
        "fine-tuning",
        "--start",
        "2026-11-01T18:00",
        "--end",
        "2026-11-02T08:00",
        "--gpu",
        "NVIDIA H100 80GB HBM3",
        "--count",
        "8",
        "--provider",
        "lambda",
        "--pricing",
        "reserved",
        "--node",
        "train-1",
    )
    job_id = out.split("recorded job ")[1].split(":")[0]
    [job] = json.loads(runner.invoke(app, ["cost", "job", "list", "--json"]).stdout)
    assert job["id"] == job_id and job["gpu_type"] == "H100" and job["nodes"] == ["train-1"]
    assert job["end_ts"] - job["start_ts"] == 14 * 3600
    bad = runner.invoke(app, ["cost", "job", "add", "x", "--pricing", "monthly"])
    assert bad.exit_code == 1 and "unknown pricing 'monthly'" in bad.output


def test_advise_runs_every_rule() -> None:
    _ok("cost", "import-bill", str(DATA / "aws_cur.csv"))
    out = runner.invoke(app, ["advise", "--json", "--now", "2026-10-05T00:00:00"]).stdout
    results = {r["rule"]: r for r in json.loads(out)}
    assert list(results) == ["reserve", "idle", "egress", "latency", "payloads"]
    assert results["egress"]["verdict"] == "co-locate" and results["egress"]["usd_per_month"] > 0
    assert results["reserve"]["verdict"] == "no-data"
    table = _ok("advise", "--now", "2026-10-05T00:00:00")
    assert "co-locate" in table


def test_gpu_agent_once_with_fake_nvml_then_usage_and_prune(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    nv = types.ModuleType("pynvml")
    nv.NVMLError = RuntimeError  # type: ignore[attr-defined]
    nv.nvmlInit = nv.nvmlShutdown = lambda: None  # type: ignore[attr-defined]
    nv.nvmlDeviceGetCount = lambda: 2  # type: ignore[attr-defined]
    nv.nvmlDeviceGetHandleByIndex = lambda i: i  # type: ignore[attr-defined]
    nv.nvmlDeviceGetName = lambda h: "NVIDIA L4"  # type: ignore[attr-defined]
    nv.nvmlDeviceGetUUID = lambda h: f"GPU-{h}"  # type: ignore[attr-defined]
    nv.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=60 if h == 0 else 2)  # type: ignore[attr-defined]
    nv.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=2**30)  # type: ignore[attr-defined]
    nv.nvmlDeviceGetPowerUsage = lambda h: 70_000  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    out = _ok("gpu", "agent", "--once", "--node", "edge-1", "--source", "nvml")
    assert "took 1 sample round(s)" in out
    usage = json.loads(runner.invoke(app, ["gpu", "usage", "--days", "1", "--json"]).stdout)
    assert [(u["node"], u["gpu"], u["engine_active"], u["metric"]) for u in usage] == [
        ("edge-1", "0", 0.6, "nvml:utilization.gpu"),
        ("edge-1", "1", 0.02, "nvml:utilization.gpu"),
    ]
    assert "downsampled 0 GPU-hours" in _ok("gpu", "prune", "--keep-days", "1")
