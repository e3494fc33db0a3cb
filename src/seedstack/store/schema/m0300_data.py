"""Data layer tables: the dataset version index, tags, the model registry, and the audit log.

The Delta log stays the source of truth for dataset contents; ``dataset_versions`` indexes what
each commit recorded so lineage queries (request -> model -> dataset -> scrub report) need no
object-store round trip. ``audit_log`` refuses UPDATE and DELETE at the database level.
"""

from __future__ import annotations

_TABLES = [
    """CREATE TABLE dataset_versions (
        dataset TEXT NOT NULL,
        version BIGINT NOT NULL,
        commit_id TEXT NOT NULL,
        operation TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        schema_hash TEXT NOT NULL,
        row_count BIGINT NOT NULL,
        rows_added BIGINT NOT NULL,
        author TEXT NOT NULL,
        message TEXT,
        sources TEXT,
        scrub TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (dataset, version)
    )""",
    """CREATE TABLE dataset_tags (
        dataset TEXT NOT NULL,
        tag TEXT NOT NULL,
        version BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (dataset, tag)
    )""",
    """CREATE TABLE model_versions (
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        artifact TEXT NOT NULL,
        sha256 TEXT,
        base_model TEXT,
        quantization TEXT,
        backend TEXT,
        stage TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        promoted_at DOUBLE PRECISION,
        metadata TEXT,
        PRIMARY KEY (name, version)
    )""",
    "CREATE INDEX model_versions_backend ON model_versions (backend)",
    """CREATE TABLE model_datasets (
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        dataset TEXT NOT NULL,
        dataset_version BIGINT NOT NULL,
        PRIMARY KEY (name, version, dataset, dataset_version)
    )""",
    "CREATE INDEX model_datasets_dataset ON model_datasets (dataset, dataset_version)",
    """CREATE TABLE audit_log (
        id TEXT PRIMARY KEY,
        ts DOUBLE PRECISION NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        allowed SMALLINT NOT NULL,
        detail TEXT
    )""",
    "CREATE INDEX audit_log_ts ON audit_log (ts)",
    "CREATE INDEX audit_log_target ON audit_log (target, ts)",
]

_SQLITE_GUARDS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]

_POSTGRES_GUARDS = [
    """CREATE FUNCTION seedstack_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION seedstack_audit_append_only()",
]


def statements(dialect: str) -> list[str]:
    guards = _POSTGRES_GUARDS if dialect == "postgres" else _SQLITE_GUARDS
    return [*_TABLES, *guards]
