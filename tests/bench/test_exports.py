"""The public API of seedstack.bench and seedstack.evals is pinned: a rename breaks this test first."""

from __future__ import annotations

import seedstack.bench
import seedstack.evals


def test_bench_public_api() -> None:
    assert set(seedstack.bench.__all__) == {
        "SCHEMA", "SLO", "BenchPrompt", "BenchRepository", "Endpoint", "LoadResult", "LoadShape",
        "RequestResult", "arrival_times", "compare", "cost_per_1m_tokens", "load_document", "load_prompts",
        "render_html", "run_benchmark", "run_load", "run_load_sync", "summarize", "sweep",
        "synthetic_prompts", "write_csv", "write_json",
    }  # fmt: skip
    assert all(hasattr(seedstack.bench, name) for name in seedstack.bench.__all__)


def test_evals_public_api() -> None:
    for name in (
        "OnlineEvaluator",
        "EvalRepository",
        "JudgeClient",
        "gate",
        "junit_xml",
        "load_suite",
        "run_suite_sync",
        "bootstrap_ci",
        "sign_flip_pvalue",
        "grade_prompt",
        "SCORERS",
    ):
        assert name in seedstack.evals.__all__
    assert all(hasattr(seedstack.evals, name) for name in seedstack.evals.__all__)
