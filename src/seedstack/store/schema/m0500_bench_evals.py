"""Bench results, eval runs and per-case results, the judge cache and online eval scores."""

STATEMENTS = [
    """CREATE TABLE bench_runs (
        id TEXT PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        label TEXT NOT NULL,
        url TEXT NOT NULL,
        model TEXT NOT NULL,
        shape TEXT NOT NULL,
        completed BIGINT NOT NULL,
        failed BIGINT NOT NULL,
        duration_s DOUBLE PRECISION NOT NULL,
        request_throughput DOUBLE PRECISION,
        output_throughput DOUBLE PRECISION,
        goodput DOUBLE PRECISION,
        ttft_p50_ms DOUBLE PRECISION,
        tpot_p50_ms DOUBLE PRECISION,
        itl_p50_ms DOUBLE PRECISION,
        e2e_p50_ms DOUBLE PRECISION,
        e2e_p99_ms DOUBLE PRECISION,
        client_lag_p99_ms DOUBLE PRECISION,
        gpu_usd_per_hour DOUBLE PRECISION,
        summary TEXT NOT NULL
    )""",
    "CREATE INDEX bench_runs_model_ts ON bench_runs (model, ts)",
    """CREATE TABLE eval_runs (
        id TEXT PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        suite TEXT NOT NULL,
        suite_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        model_version TEXT,
        tag TEXT,
        n_cases BIGINT NOT NULL,
        aggregates TEXT NOT NULL
    )""",
    "CREATE INDEX eval_runs_tag_ts ON eval_runs (tag, ts)",
    """CREATE TABLE eval_results (
        run_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        scorer TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        output TEXT,
        detail TEXT,
        PRIMARY KEY (run_id, case_id, scorer)
    )""",
    """CREATE TABLE judge_cache (
        key TEXT PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        judge_model TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        verdict TEXT NOT NULL
    )""",
    """CREATE TABLE eval_scores (
        request_id TEXT NOT NULL,
        scorer TEXT NOT NULL,
        ts DOUBLE PRECISION NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        judge_model TEXT,
        detail TEXT,
        PRIMARY KEY (request_id, scorer)
    )""",
]
