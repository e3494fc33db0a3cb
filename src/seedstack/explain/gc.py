"""Retention: metadata and payloads expire on separate clocks (``observability.retention``).

Payloads are the sensitive, bulky part and usually go first; metadata stays longer because it is
what cost, SLO and drift reports are computed from. Deleting a request deletes its payload and
its search entry too, so nothing outlives its record.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from ..config.observability import RetentionConfig
from ..store import Store, Tx

__all__ = ["GCResult", "collect_garbage"]


@dataclass
class GCResult:
    payload_cutoff: float
    metadata_cutoff: float
    payloads: int
    requests: int
    index_entries: int
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def collect_garbage(
    store: Store, retention: RetentionConfig, *, now: float | None = None, dry_run: bool = False
) -> GCResult:
    """Delete payloads older than ``payload_days`` and records older than ``metadata_days``."""
    now = now if now is not None else time.time()
    p_cut = now - retention.payload_days * 86400
    m_cut = now - retention.metadata_days * 86400
    # a payload goes when it is old, or when its record goes
    p_where = "ts < ? OR request_id IN (SELECT id FROM requests WHERE ts < ?)"
    counts = (
        store.query_one(f"SELECT COUNT(*) FROM payloads WHERE {p_where}", (p_cut, m_cut)),
        store.query_one("SELECT COUNT(*) FROM requests WHERE ts < ?", (m_cut,)),
        store.query_one(f"SELECT COUNT(*) FROM obs_docs WHERE {p_where}", (p_cut, m_cut)),
    )
    n_pay, n_req, n_doc = (int(c[0]) if c else 0 for c in counts)
    if not dry_run:
        fts = store.dialect == "sqlite"

        def run(tx: Tx) -> None:
            if fts:
                tx.execute(
                    f"DELETE FROM obs_fts WHERE request_id IN (SELECT request_id FROM obs_docs WHERE {p_where})",
                    (p_cut, m_cut),
                )
            tx.execute(f"DELETE FROM obs_docs WHERE {p_where}", (p_cut, m_cut))
            tx.execute(f"DELETE FROM payloads WHERE {p_where}", (p_cut, m_cut))
            tx.execute("DELETE FROM requests WHERE ts < ?", (m_cut,))
            tx.execute("DELETE FROM obs_rollup_hourly WHERE hour < ?", (int(m_cut // 3600),))

        store.transaction(run)
    return GCResult(p_cut, m_cut, n_pay, n_req, n_doc, dry_run)
