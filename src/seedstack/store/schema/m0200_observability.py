"""Observability: the search index over sampled payloads, and an index for retention sweeps.

``obs_docs`` copies the filter columns of each indexed request so a search never scans the
(100%-of-traffic) ``requests`` table; keyword search uses FTS5 on SQLite and a tsvector GIN index on
PostgreSQL; embeddings are int8 vectors in BYTEA, scanned with numpy after the metadata filter.
"""

from __future__ import annotations

_COMMON = [
    """CREATE TABLE obs_docs (
        request_id TEXT PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        customer TEXT,
        key_id TEXT,
        alias TEXT,
        template TEXT,
        status_code INTEGER,
        latency_ms DOUBLE PRECISION,
        prompt TEXT,
        response TEXT,
        vec BYTEA
    )""",
    "CREATE INDEX obs_docs_ts ON obs_docs (ts)",
    "CREATE INDEX obs_docs_customer_ts ON obs_docs (customer, ts)",
    "CREATE INDEX obs_docs_template_ts ON obs_docs (template, ts)",
    "CREATE INDEX obs_payloads_ts ON payloads (ts)",
]


def statements(dialect: str) -> list[str]:
    if dialect == "postgres":
        return [
            *_COMMON,
            "ALTER TABLE obs_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
            "(to_tsvector('english', coalesce(prompt, '') || ' ' || coalesce(response, ''))) STORED",
            "CREATE INDEX obs_docs_tsv ON obs_docs USING GIN (tsv)",
        ]
    return [
        *_COMMON,
        "CREATE VIRTUAL TABLE obs_fts USING fts5(prompt, response, request_id UNINDEXED, tokenize='porter unicode61')",
    ]
