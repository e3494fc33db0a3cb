"""Serving benchmarks: load-test any OpenAI-compatible endpoint with vLLM-compatible metrics.

``seedstack bench run`` drives open- or closed-loop load and reports TTFT, TPOT, ITL, E2E and
goodput; ``bench compare`` sets variants side by side and applies the guide's serving rules.
"""

from .loadgen import Endpoint, LoadResult, LoadShape, arrival_times, run_load, run_load_sync
from .metrics import SLO, RequestResult, summarize
from .prompts import BenchPrompt, load_prompts, synthetic_prompts
from .report import compare, cost_per_1m_tokens, load_document, render_html, write_csv, write_json
from .repository import BenchRepository
from .runner import SCHEMA, run_benchmark, sweep

__all__ = [
    "SCHEMA",
    "SLO",
    "BenchPrompt",
    "BenchRepository",
    "Endpoint",
    "LoadResult",
    "LoadShape",
    "RequestResult",
    "arrival_times",
    "compare",
    "cost_per_1m_tokens",
    "load_document",
    "load_prompts",
    "render_html",
    "run_benchmark",
    "run_load",
    "run_load_sync",
    "summarize",
    "sweep",
    "synthetic_prompts",
    "write_csv",
    "write_json",
]
