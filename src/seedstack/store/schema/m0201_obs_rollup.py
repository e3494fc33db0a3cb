"""Observability: hourly rollups of request metadata (cost per day by alias/template/customer).

Rollups make the dashboard's multi-day cost table a read of a few thousand rows instead of a scan of
every request; ``obs_state`` remembers how far they have been built.
"""

STATEMENTS = [
    """CREATE TABLE obs_rollup_hourly (
        hour BIGINT NOT NULL,
        alias TEXT NOT NULL,
        template TEXT NOT NULL,
        customer TEXT NOT NULL,
        requests BIGINT NOT NULL,
        errors BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        tokens_in BIGINT NOT NULL,
        tokens_out BIGINT NOT NULL,
        PRIMARY KEY (hour, alias, template, customer)
    )""",
    """CREATE TABLE obs_state (
        name TEXT PRIMARY KEY,
        value DOUBLE PRECISION NOT NULL
    )""",
]
