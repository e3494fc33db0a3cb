"""Observability: a search index that holds no plaintext when payloads are encrypted at rest.

``obs_index_keys`` keeps the random key of the keyed-hash ("blind") index, sealed by the data
keyring; ``obs_docs.blind`` marks rows whose prompt/response columns hold keyed-hash tokens
instead of words. Rows indexed in plaintext from encrypted payloads (before this migration) are
deleted, and ``obs_state.index_resync`` asks the next ``sync_index`` to re-index every payload.
Freed pages may still hold the old text until ``VACUUM`` (see docs/observability.md).
"""

from __future__ import annotations

_LEAKED = "SELECT request_id FROM payloads WHERE key_ref IS NOT NULL"
_OPTIMIZE = "INSERT INTO obs_fts (obs_fts) VALUES ('optimize')"


def statements(dialect: str) -> list[str]:
    purge = [f"DELETE FROM obs_docs WHERE request_id IN ({_LEAKED})"]
    if dialect == "sqlite":  # 'optimize' merges the FTS segments, which still hold deleted terms
        purge[:0] = [f"DELETE FROM obs_fts WHERE request_id IN ({_LEAKED})", _OPTIMIZE]
    return [
        """CREATE TABLE obs_index_keys (
            name TEXT PRIMARY KEY,
            sealed BYTEA NOT NULL,
            key_ref TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        )""",
        "ALTER TABLE obs_docs ADD COLUMN blind INTEGER NOT NULL DEFAULT 0",
        *purge,
        "INSERT INTO obs_state (name, value) VALUES ('index_resync', 1)",
    ]
