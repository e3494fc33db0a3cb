"""`seedstack bench run` / `compare` / `list` end to end, results recorded in both stores."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from seedstack.bench import BenchRepository
from seedstack.cli.main import app
from seedstack.store import open_store

from .sse_server import serve

pytestmark = pytest.mark.socket


def _run(runner: CliRunner, url: str, label: str, out: Path, *extra: str) -> None:
    res = runner.invoke(
        app,
        [
            "bench",
            "run",
            url,
            "--model",
            "m",
            "--label",
            label,
            "--rate",
            "50",
            "--arrival",
            "constant",
            "--requests",
            "10",
            "--input-tokens",
            "8",
            "--output-tokens",
            "4",
            "--out",
            str(out),
            *extra,
        ],
    )
    assert res.exit_code == 0, res.output
    assert "TTFT" in res.output and "goodput" in res.output


def test_run_writes_json_csv_records_the_store_and_compare_gives_a_verdict(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDSTACK_STORE", store_url)
    runner = CliRunner()
    with serve(ttft_ms=20, itl_ms=5) as fast_url, serve(ttft_ms=400, itl_ms=5) as slow_url:
        _run(runner, slow_url, "llama-fp16", tmp_path / "fp16.json", "--gpu-usd-per-hour", "2.5")
        _run(
            runner,
            fast_url,
            "llama-awq-int4",
            tmp_path / "awq.json",
            "--gpu-usd-per-hour",
            "2.5",
            "--csv",
            str(tmp_path / "awq.csv"),
        )
    doc = orjson.loads((tmp_path / "awq.json").read_bytes())
    assert doc["summary"]["completed"] == 10
    rows = list(csv.DictReader((tmp_path / "awq.csv").open()))
    assert len(rows) == 10 and float(rows[0]["ttft_ms"]) > 0

    with open_store(store_url) as store:
        recent = BenchRepository(store).recent("m")
    assert {r["label"] for r in recent} == {"llama-fp16", "llama-awq-int4"}
    assert all(r["e2e_p99_ms"] > 0 for r in recent)

    html = tmp_path / "cmp.html"
    res = runner.invoke(
        app,
        [
            "bench",
            "compare",
            str(tmp_path / "fp16.json"),
            str(tmp_path / "awq.json"),
            "--accuracy",
            "llama-fp16=0.80",
            "--accuracy",
            "llama-awq-int4=0.79",
            "--html",
            str(html),
        ],
    )
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # rich wraps long lines
    assert "use llama-awq-int4" in text
    assert "per 1M output tokens" in text and "-1.0 points" in text
    page = html.read_text()
    assert "<svg" in page and "llama-fp16" in page

    res = runner.invoke(app, ["bench", "list"])
    assert res.exit_code == 0 and "llama-fp16" in res.output


def test_compare_says_optimise_first_when_nothing_meets_p99(tmp_path: Path) -> None:
    runner = CliRunner()
    with serve(ttft_ms=350, itl_ms=2) as url:
        _run(runner, url, "only-fp16", tmp_path / "a.json", "--no-save")
    res = runner.invoke(app, ["bench", "compare", str(tmp_path / "a.json")])
    assert res.exit_code == 0
    text = " ".join(res.output.split())  # rich wraps long lines
    assert "optimise the model" in text
    assert "no 4-bit variant" in text


def test_bench_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["bench", "run", "http://127.0.0.1:9/v1", "--model", "m", "--requests", "2"])
    assert res.exit_code == 1 and "--rate" in res.output and "Traceback" not in res.output
    res = runner.invoke(
        app,
        [
            "bench",
            "run",
            "http://127.0.0.1:9/v1",
            "--model",
            "m",
            "--concurrency",
            "1",
            "--requests",
            "2",
            "--no-save",
        ],
    )
    assert res.exit_code == 1 and "every request failed" in res.output
    (tmp_path / "x.json").write_text("{}")
    res = runner.invoke(app, ["bench", "compare", str(tmp_path / "x.json")])
    assert res.exit_code == 1 and "not a seedstack bench result" in res.output


def test_sweep_reports_the_max_sustainable_rate_and_saves_the_best_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDSTACK_BENCH__MAX_CLIENT_LAG_MS", "5000")  # a busy CI box must not fail a step
    out = tmp_path / "sweep.json"
    with serve(ttft_ms=5, itl_ms=1) as url:
        res = CliRunner().invoke(
            app,
            ["bench", "run", url, "--model", "m", "--sweep", "--duration", "0.5", "--sweep-start", "5",
             "--sweep-max", "20", "--output-tokens", "4", "--slo-e2e-ms", "60000", "--out", str(out), "--no-save"],
        )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = orjson.loads(out.read_bytes())
    rates = [s["rate"] for s in doc["sweep"]["steps"]]
    assert rates == [5.0, 10.0, 20.0]  # doubling stops at --sweep-max
    assert doc["sweep"]["max_sustainable_rate"] == doc["shape"]["rate"]
    assert "max sustainable rate" in res.output
