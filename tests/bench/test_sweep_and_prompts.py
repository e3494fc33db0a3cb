"""`--sweep` finds the highest rate that meets the SLOs; prompt sets load with clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seedstack.bench import load_prompts, sweep, synthetic_prompts
from seedstack.errors import ConfigError


def _fake_run(limit: float, behind_above: float = 1e9) -> Any:
    tried: list[float] = []

    def run_at(rate: float) -> dict[str, Any]:
        tried.append(rate)
        good = 1.0 if rate <= limit else 0.5
        return {
            "id": str(rate),
            "shape": {"rate": rate},
            "summary": {"failed": 0, "good_fraction": good, "e2e_ms": {"p99": 100.0}},
            "client": {"behind": rate > behind_above},
        }

    run_at.tried = tried  # type: ignore[attr-defined]
    return run_at


def test_sweep_brackets_the_limit_and_keeps_the_best_run() -> None:
    run_at = _fake_run(limit=37.0)
    result = sweep(run_at, 1.0, refine_steps=5)
    assert 32.0 <= result["max_sustainable_rate"] <= 37.0
    assert result["best"]["shape"]["rate"] == result["max_sustainable_rate"]
    assert [s["rate"] for s in result["steps"][:7]] == [1, 2, 4, 8, 16, 32, 64]


def test_sweep_distrusts_steps_where_the_client_fell_behind() -> None:
    result = sweep(_fake_run(limit=1000.0, behind_above=10.0), 1.0, refine_steps=3)
    assert result["max_sustainable_rate"] <= 10.0


def test_sweep_that_fails_at_once_reports_no_rate() -> None:
    result = sweep(_fake_run(limit=0.1), 1.0, refine_steps=2)
    assert result["max_sustainable_rate"] is None and result["best"] is None


def test_prompt_set_from_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "prompts.jsonl"
    p.write_text('{"prompt": "hello", "max_tokens": 5}\n{"messages": [{"role": "user", "content": "hi"}]}\n')
    prompts = load_prompts(p, default_max_tokens=64)
    assert [x.max_tokens for x in prompts] == [5, 64]
    assert prompts[1].messages[0]["content"] == "hi"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json\n", "not valid JSON"),
        ('{"text": "x"}\n', "needs a 'prompt'"),
        ("\n", "holds no prompts"),
        ('{"prompt": "x", "max_tokens": 0}\n', "positive integer"),
    ],
)
def test_bad_prompt_sets_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_prompts(p, 16)


def test_synthetic_prompts_are_distinct_and_sized() -> None:
    prompts = synthetic_prompts(5, input_tokens=50, output_tokens=7, seed=1)
    assert len({p.text for p in prompts}) == 5
    assert all(len(p.text.split()) == 50 and p.max_tokens == 7 for p in prompts)
