"""Suites load from YAML and JSONL with clear errors; deterministic scorers judge like a user would."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from seedstack.errors import ConfigError
from seedstack.evals import ScoreContext, ScorerSpec, cosine_similarity, load_suite, run_scorer
from seedstack.evals.suite import EvalCase


def test_yaml_suite_with_defaults_shorthand_and_tags(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(
        "name: support\nscorers: [contains]\ncases:\n"
        "  - {id: a, input: 'capital of France?', reference: Paris, tags: [geo]}\n"
        "  - id: b\n    messages: [{role: user, content: '2+2?'}]\n    reference: '4'\n"
        "    scorers: [{type: numeric, tolerance: 0}]\n",
        encoding="utf-8",
    )
    suite = load_suite(p)
    assert suite.name == "support"
    assert [c.id for c in suite.select(["geo"])] == ["a"]
    assert suite.scorers_for(suite.cases[0])[0].type == "contains"
    assert suite.scorers_for(suite.cases[1])[0].params == {"tolerance": 0}
    assert suite.cases[0].prompt == "capital of France?"


def test_jsonl_suite_defaults_to_exact_match(tmp_path: Path) -> None:
    p = tmp_path / "qa.jsonl"
    p.write_text('{"id": 1, "input": "hi", "reference": "hello"}\n\n{"id": 2, "input": "x", "reference": "y"}\n')
    suite = load_suite(p)
    assert suite.name == "qa" and len(suite.cases) == 2
    assert suite.scorers_for(suite.cases[0])[0].type == "exact"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases:\n  - {id: a, input: x}\n", "no scorers"),
        ("scorers: [exact]\ncases:\n  - {id: a, input: x}\n  - {id: a, input: y}\n", "appears twice"),
        ("scorers: [exact]\ncases:\n  - {id: a, input: x, refrence: y}\n", "refrence"),
    ],
)
def test_bad_suites_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_suite(p)


def _score(spec: dict, output: str, reference: str | None = None) -> float:
    case = EvalCase(id="c", messages=[{"role": "user", "content": "q"}], reference=reference)
    return asyncio.run(run_scorer(ScorerSpec.model_validate(spec), case, output, ScoreContext())).score


def test_deterministic_scorers() -> None:
    assert _score({"type": "exact"}, " Paris\n", "Paris") == 1.0
    assert _score({"type": "exact"}, "paris", "Paris") == 0.0
    assert _score({"type": "exact", "ignore_case": True}, "paris", "Paris") == 1.0
    assert _score({"type": "contains"}, "It is PARIS, France", "paris") == 1.0
    assert _score({"type": "regex", "pattern": r"^\d{3}-\d{4}$"}, "555-1234") == 1.0
    assert _score({"type": "regex", "pattern": r"^\d{3}-\d{4}$"}, "call 555") == 0.0
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    assert _score({"type": "json_schema", "schema": schema}, '```json\n{"name": "x"}\n```') == 1.0
    assert _score({"type": "json_schema", "schema": schema}, '{"name": 3}') == 0.0
    assert _score({"type": "json_schema", "schema": schema}, "not json") == 0.0
    assert _score({"type": "numeric", "tolerance": 0.01}, "The total is 1,234.005 dollars", "1234") == 1.0
    assert _score({"type": "numeric", "rel_tolerance": 0.01}, "about 105", "100") == 0.0
    assert _score({"type": "embedding", "threshold": 0.5}, "The cat sat on the mat.", "A cat sat on a mat") == 1.0
    assert _score({"type": "embedding", "threshold": 0.5}, "Quarterly revenue grew", "A cat sat on a mat") == 0.0


def test_embedding_similarity_orders_paraphrase_above_unrelated() -> None:
    ref = "Reset your password from the account settings page."
    assert cosine_similarity(ref, ref) == pytest.approx(1.0)
    close = cosine_similarity("You can reset the password in account settings.", ref)
    far = cosine_similarity("Our office is closed on public holidays.", ref)
    assert close > far + 0.2


def test_scorer_misconfiguration_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown scorer 'bleu'"):
        _score({"type": "bleu"}, "x", "y")
    with pytest.raises(ConfigError, match="needs a 'reference'"):
        _score({"type": "exact"}, "x")
    with pytest.raises(ConfigError, match="judge model"):
        _score({"type": "judge", "rubric": "r"}, "x")
