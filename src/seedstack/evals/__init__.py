"""Evals: suites of cases scored by deterministic checks and an LLM judge, and a CI gate.

``seedstack eval run`` scores a model alias through the gateway and stores per-case results with
bootstrap intervals; ``eval gate`` fails CI on a statistically confident drop; ``OnlineEvaluator``
judges a sample of production traffic in the background.
"""

from .embedding import cosine_similarity, embed
from .gate import GateCheck, GateResult, gate, junit_xml
from .judge import JudgeClient, MemoryJudgeCache, Verdict, cache_key, grade_prompt, pairwise_prompt
from .online import OnlineEvaluator, OnlineStats
from .repository import EvalRepository
from .runner import CaseOutcome, EvalRun, aggregate, run_suite, run_suite_sync
from .scorers import SCORERS, ScoreContext, ScoreResult, run_scorer
from .stats import bootstrap_ci, paired_bootstrap, sign_flip_pvalue
from .suite import EvalCase, EvalSuite, ScorerSpec, load_suite

__all__ = [
    "SCORERS",
    "CaseOutcome",
    "EvalCase",
    "EvalRepository",
    "EvalRun",
    "EvalSuite",
    "GateCheck",
    "GateResult",
    "JudgeClient",
    "MemoryJudgeCache",
    "OnlineEvaluator",
    "OnlineStats",
    "ScoreContext",
    "ScoreResult",
    "ScorerSpec",
    "Verdict",
    "aggregate",
    "bootstrap_ci",
    "cache_key",
    "cosine_similarity",
    "embed",
    "gate",
    "grade_prompt",
    "junit_xml",
    "load_suite",
    "paired_bootstrap",
    "pairwise_prompt",
    "run_scorer",
    "run_suite",
    "run_suite_sync",
    "sign_flip_pvalue",
]
