"""`seedstack eval run` and `eval gate` end to end: simulator over HTTP, results in both stores."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from seedstack.cli.main import app
from seedstack.evals import EvalRepository, grade_prompt
from seedstack.store import open_store

from .sim_http import serve_simulator

pytestmark = pytest.mark.socket
RUBRIC = "The reply gives the right number."
N = 10


def _suite(tmp_path: Path) -> Path:
    cases = [
        {
            "id": f"q{i}",
            "input": f"What is {i} plus {i}?",
            "reference": str(2 * i),
            "tags": ["math"],
            "scorers": ["exact", {"type": "judge", "rubric": RUBRIC}],
        }
        for i in range(N)
    ]
    p = tmp_path / "math.yaml"
    p.write_text(yaml.safe_dump({"name": "math", "cases": cases}), encoding="utf-8")
    return p


def _replies(wrong: int) -> dict[str, str]:
    """Model answers (the first ``wrong`` cases answered wrongly) and the judge's verdicts on them."""
    out = {}
    for i in range(N):
        answer = str(2 * i + 1) if i < wrong else str(2 * i)
        q = f"What is {i} plus {i}?"
        out[q] = answer
        verdict = "VERDICT: FAIL" if i < wrong else "VERDICT: PASS"
        out[grade_prompt(RUBRIC, q, answer, str(2 * i))] = verdict
    return out


def _eval(runner: CliRunner, url: str, suite: Path, tag: str) -> str:
    res = runner.invoke(
        app,
        [
            "eval",
            "run",
            str(suite),
            "--model",
            "demo",
            "--tag",
            tag,
            "--base-url",
            url,
            "--model-version",
            "demo@3",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "recorded eval run" in res.output
    return res.output


def test_eval_run_then_gate_catches_a_regression(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDSTACK_STORE", store_url)
    monkeypatch.setenv("SEEDSTACK_EVALS__JUDGE__BASE_URL", "http://127.0.0.1:9/v1")  # overridden per server below
    runner = CliRunner()
    suite = _suite(tmp_path)
    with serve_simulator(_replies(wrong=0)) as (url, log):
        monkeypatch.setenv("SEEDSTACK_EVALS__JUDGE__BASE_URL", url)
        out = _eval(runner, url, suite, "main")
        assert "overall" in out
        judged = sum(1 for r in log if "RUBRIC" in r["body"]["messages"][0]["content"])
        assert judged == N
        _eval(runner, url, suite, "main-again")  # same outputs: every verdict comes from the cache
        assert sum(1 for r in log if "RUBRIC" in r["body"]["messages"][0]["content"]) == N

    res = runner.invoke(app, ["eval", "gate", "--baseline", "main", "--run", "main-again"])
    assert res.exit_code == 0, res.output
    assert "gate passed" in res.output

    with serve_simulator(_replies(wrong=7)) as (url, _):
        monkeypatch.setenv("SEEDSTACK_EVALS__JUDGE__BASE_URL", url)
        _eval(runner, url, suite, "candidate")
    junit = tmp_path / "gate.xml"
    res = runner.invoke(app, ["eval", "gate", "--baseline", "main", "--max-drop", "2%", "--junit", str(junit)])
    assert res.exit_code == 1, res.output
    assert "REGRESSION" in res.output
    assert "q0" in res.output and "q6" in res.output and "q7" not in res.output.split("now fail")[1].split("\n")[0]
    failures = [tc.get("name") for tc in ET.parse(junit).iter("testcase") if tc.find("failure") is not None]
    assert "overall" in failures and "q3" in failures

    with open_store(store_url) as store:
        repo = EvalRepository(store)
        run = repo.resolve("candidate")
        assert run["model_version"] == "demo@3"
        assert run["aggregates"]["overall"]["mean"] == pytest.approx(0.3)
        assert (
            run["aggregates"]["scorers"]["judge"]["ci_low"] <= 0.3 <= run["aggregates"]["scorers"]["judge"]["ci_high"]
        )


def test_gate_without_runs_prints_one_line_not_a_traceback(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "gate", "--baseline", "main"])
    assert res.exit_code == 1
    assert "eval run" in res.output and "Traceback" not in res.output


def test_eval_run_with_a_missing_suite_fails_cleanly(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["eval", "run", "nope.yaml", "--model", "demo"])
    assert res.exit_code == 1 and "cannot read suite" in res.output


def test_eval_run_links_the_registry_version_serving_the_alias(tmp_path: Path) -> None:
    from seedstack.access.actor import LOCAL_ADMIN
    from seedstack.config import load_settings
    from seedstack.registry import ModelRegistry

    settings = load_settings()
    with open_store(settings.store_url) as store:
        ModelRegistry(store, LOCAL_ADMIN).register("support-llama", "7", artifact="s3://m/7", backend="demo")
    suite = _suite(tmp_path)
    with serve_simulator(_replies(wrong=0)) as (url, _):
        res = CliRunner().invoke(
            app,
            ["eval", "run", str(suite), "--model", "demo", "--base-url", url, "--case-tag", "math"],
            env={"SEEDSTACK_EVALS__JUDGE__BASE_URL": url},
        )
    assert res.exit_code == 0, res.output
    with open_store(settings.store_url) as store:
        assert EvalRepository(store).latest()["model_version"] == "support-llama@7"
