"""The append-only audit trail: every sensitive action, allowed or denied, leaves one row.

The table refuses UPDATE and DELETE in the database itself (triggers), so there is deliberately no
function here that edits or prunes it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ..store import Store

__all__ = ["AuditEntry", "audit", "read_audit"]


@dataclass(frozen=True)
class AuditEntry:
    id: str
    ts: float
    actor: str
    role: str
    action: str
    target: str
    allowed: bool
    detail: dict[str, Any]


def _time_ordered_id(ts: float) -> str:
    # Sortable by time first so ties in ``ts`` still read back in insertion order.
    return f"{int(ts * 1_000_000):016x}-{uuid.uuid4().hex[:12]}"


def audit(
    store: Store,
    actor: str,
    action: str,
    target: str,
    allowed: bool,
    detail: dict[str, Any] | None = None,
    *,
    role: str = "",
) -> str:
    """Append one audit row and return its id."""
    ts = time.time()
    entry_id = _time_ordered_id(ts)
    store.execute(
        "INSERT INTO audit_log (id, ts, actor, role, action, target, allowed, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry_id,
            ts,
            actor,
            role,
            action,
            target,
            1 if allowed else 0,
            json.dumps(detail or {}, default=str),
        ),
    )
    return entry_id


def read_audit(
    store: Store,
    *,
    target: str | None = None,
    actor: str | None = None,
    denied_only: bool = False,
    since: float | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first, filtered the way an investigator narrows down."""
    where: list[str] = []
    params: list[object] = []
    if target:
        where.append("(target = ? OR target LIKE ?)")
        params += [target, f"{target}@%"]
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if denied_only:
        where.append("allowed = 0")
    if since is not None:
        where.append("ts >= ?")
        params.append(since)
    sql = "SELECT id, ts, actor, role, action, target, allowed, detail FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(int(limit))
    return [
        AuditEntry(r[0], float(r[1]), r[2], r[3], r[4], r[5], bool(r[6]), json.loads(r[7] or "{}"))
        for r in store.query(sql, params)
    ]
