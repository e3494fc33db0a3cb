"""Cost tables: GPU devices and their per-minute activity (one row per GPU-hour holding 60 minute
values plus hourly rollups), the job ledger, and imported cloud bills normalized to FOCUS-like rows."""

STATEMENTS = [
    """CREATE TABLE gpu_devices (
        node TEXT NOT NULL,
        gpu TEXT NOT NULL,
        uuid TEXT,
        model TEXT,
        first_ts BIGINT NOT NULL,
        last_ts BIGINT NOT NULL,
        PRIMARY KEY (node, gpu)
    )""",
    """CREATE TABLE gpu_minutes (
        node TEXT NOT NULL,
        gpu TEXT NOT NULL,
        hour BIGINT NOT NULL,
        metric TEXT NOT NULL,
        n SMALLINT NOT NULL,
        active_bp_sum BIGINT NOT NULL,
        idle_n SMALLINT NOT NULL,
        active BYTEA,
        mem_mib BYTEA,
        power_w BYTEA,
        PRIMARY KEY (node, gpu, hour)
    )""",
    "CREATE INDEX gpu_minutes_hour ON gpu_minutes (hour)",
    """CREATE TABLE gpu_jobs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        start_ts DOUBLE PRECISION NOT NULL,
        end_ts DOUBLE PRECISION,
        gpu_type TEXT NOT NULL,
        gpu_count INTEGER NOT NULL,
        provider TEXT NOT NULL,
        pricing TEXT NOT NULL,
        usd_per_gpu_hour DOUBLE PRECISION,
        nodes TEXT,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX gpu_jobs_start ON gpu_jobs (start_ts)",
    """CREATE TABLE bill_imports (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        format TEXT NOT NULL,
        rows_n BIGINT NOT NULL,
        imported_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE bill_lines (
        import_id TEXT NOT NULL,
        line_no BIGINT NOT NULL,
        provider TEXT NOT NULL,
        period_start DOUBLE PRECISION NOT NULL,
        period_end DOUBLE PRECISION NOT NULL,
        service TEXT,
        usage_type TEXT,
        description TEXT,
        region TEXT,
        zone TEXT,
        quantity DOUBLE PRECISION,
        unit TEXT,
        cost DOUBLE PRECISION NOT NULL,
        currency TEXT,
        transfer TEXT,
        src TEXT,
        dst TEXT,
        resource TEXT,
        PRIMARY KEY (import_id, line_no)
    )""",
    "CREATE INDEX bill_lines_period ON bill_lines (period_start)",
]
