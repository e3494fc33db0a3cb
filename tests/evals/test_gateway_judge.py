"""One real judge run through the real gateway: the judge's calls are authenticated and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from seedstack.cli.main import app as cli
from seedstack.config import load_settings
from seedstack.evals import EvalRepository, grade_prompt
from seedstack.gateway.keys import create_key
from seedstack.http.app import create_app
from tests.servers import serve_in_thread

pytestmark = pytest.mark.socket
RUBRIC = "Names the capital correctly."


def _sim(replies: dict[str, str]) -> dict[str, Any]:
    sim = {"replies": replies, "ttft_ms": 1, "itl_ms": 0}
    return {"backends": [{"provider": "simulator", "simulator": sim}]}


def test_eval_run_through_the_gateway_records_and_tags_judge_calls(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = {"Capital of France?": ("Paris", "Paris"), "Capital of Italy?": ("Milan", "Rome")}
    chat = {q: answer for q, (answer, _) in questions.items()}
    judge = {
        grade_prompt(RUBRIC, q, answer, ref): "VERDICT: PASS" if answer == ref else "VERDICT: FAIL"
        for q, (answer, ref) in questions.items()
    }
    settings = load_settings(store=sqlite_url, models={"chat": _sim(chat), "judge": _sim(judge)})
    gateway = create_app(settings)
    key, _ = create_key(gateway.ctx.store, role="app", name="ci")
    suite = tmp_path / "capitals.yaml"
    cases = [
        {"id": f"c{i}", "input": q, "reference": ref, "scorers": [{"type": "judge", "rubric": RUBRIC}]}
        for i, (q, (_, ref)) in enumerate(questions.items())
    ]
    suite.write_text(yaml.safe_dump({"name": "capitals", "cases": cases}))
    monkeypatch.setenv("SEEDSTACK_STORE", sqlite_url)
    with serve_in_thread(gateway) as url:
        monkeypatch.setenv("SEEDSTACK_EVALS__JUDGE__BASE_URL", url + "/v1")
        monkeypatch.setenv("SEEDSTACK_EVALS__JUDGE__MODEL", "judge")
        res = CliRunner().invoke(
            cli, ["eval", "run", str(suite), "--model", "chat", "--base-url", url + "/v1", "--api-key", key]
        )
        gateway.ctx.gateway.recorder.flush()
    assert res.exit_code == 0, res.output
    store = gateway.ctx.store
    run = EvalRepository(store).latest()
    assert run["aggregates"]["overall"]["mean"] == pytest.approx(0.5)
    rows = store.query_dicts("SELECT alias, tags, status_code, key_id FROM requests ORDER BY ts")
    judged = [r for r in rows if r["alias"] == "judge"]
    assert len(judged) == 2 and all(r["status_code"] == 200 and r["key_id"] for r in judged)
    assert all("eval-judge" in orjson.loads(r["tags"]) for r in judged)
    assert sum(1 for r in rows if r["alias"] == "chat") == 2
