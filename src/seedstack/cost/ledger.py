"""The job ledger: what GPU time was bought, for which job, and how it is billed.

Telemetry says whether a GPU was busy; only the ledger says whether it was paid for and at what
price. The idle rule joins the two through ``nodes`` (the hosts a job ran on).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any, get_args

from ..config.cost import Pricing
from ..errors import InvalidRequestError, NotFoundError
from ..store import Store
from .catalog import normalize_gpu

__all__ = ["JOB_KINDS", "PRICINGS", "Job", "end_job", "get_job", "list_jobs", "record_job"]

JOB_KINDS = ("training", "fine-tuning", "inference", "reservation")
PRICINGS: tuple[str, ...] = get_args(Pricing)
_COLUMNS = (
    "id, name, kind, start_ts, end_ts, gpu_type, gpu_count, provider, pricing, "
    "usd_per_gpu_hour, nodes, created_at"
)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    name: str
    kind: str
    start_ts: float
    end_ts: float | None  # None: still running
    gpu_type: str
    gpu_count: int
    provider: str
    pricing: str
    usd_per_gpu_hour: float | None  # None: the catalog's price
    nodes: tuple[str, ...]
    created_at: float

    def paid_interval(self, start: float, end: float) -> tuple[float, float] | None:
        """The part of [start, end) this job was paying for, or None."""
        lo = max(self.start_ts, start)
        hi = min(self.end_ts if self.end_ts is not None else end, end)
        return (lo, hi) if hi > lo else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row(r: tuple[Any, ...]) -> Job:
    return Job(
        r[0],
        r[1],
        r[2],
        float(r[3]),
        None if r[4] is None else float(r[4]),
        r[5],
        int(r[6]),
        r[7],
        r[8],
        None if r[9] is None else float(r[9]),
        tuple(n for n in (r[10] or "").split(",") if n),
        float(r[11]),
    )


def record_job(
    store: Store,
    *,
    name: str,
    kind: str,
    start_ts: float,
    gpu_type: str,
    gpu_count: int,
    provider: str,
    pricing: str,
    end_ts: float | None = None,
    usd_per_gpu_hour: float | None = None,
    nodes: list[str] | tuple[str, ...] = (),
) -> Job:
    """Add a job; the checks say what to change because this is also the CLI's error message."""
    if kind not in JOB_KINDS:
        raise InvalidRequestError(f"unknown job kind '{kind}': use one of {', '.join(JOB_KINDS)}")
    if pricing not in PRICINGS:
        raise InvalidRequestError(f"unknown pricing '{pricing}': use one of {', '.join(PRICINGS)}")
    if gpu_count < 1:
        raise InvalidRequestError("a job needs at least 1 GPU (--count)")
    if end_ts is not None and end_ts <= start_ts:
        raise InvalidRequestError("the job's end must be after its start")
    if usd_per_gpu_hour is not None and usd_per_gpu_hour < 0:
        raise InvalidRequestError("--usd-per-gpu-hour cannot be negative")
    job = Job(
        id=uuid.uuid4().hex[:12],
        name=name,
        kind=kind,
        start_ts=start_ts,
        end_ts=end_ts,
        gpu_type=normalize_gpu(gpu_type) or gpu_type,
        gpu_count=gpu_count,
        provider=provider.lower(),
        pricing=pricing,
        usd_per_gpu_hour=usd_per_gpu_hour,
        nodes=tuple(n.strip() for n in nodes if n.strip()),
        created_at=time.time(),
    )
    store.execute(
        f"INSERT INTO gpu_jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            job.id,
            job.name,
            job.kind,
            job.start_ts,
            job.end_ts,
            job.gpu_type,
            job.gpu_count,
            job.provider,
            job.pricing,
            job.usd_per_gpu_hour,
            ",".join(job.nodes) or None,
            job.created_at,
        ),
    )
    return job


def end_job(store: Store, job_id: str, end_ts: float) -> Job:
    job = get_job(store, job_id)
    if end_ts <= job.start_ts:
        raise InvalidRequestError("the job's end must be after its start")
    store.execute("UPDATE gpu_jobs SET end_ts = ? WHERE id = ?", (end_ts, job_id))
    return get_job(store, job_id)


def get_job(store: Store, job_id: str) -> Job:
    row = store.query_one(f"SELECT {_COLUMNS} FROM gpu_jobs WHERE id = ?", (job_id,))
    if row is None:
        raise NotFoundError(f"no job with id '{job_id}': list them with `seedstack cost jobs`")
    return _row(row)


def list_jobs(store: Store, start: float | None = None, end: float | None = None) -> list[Job]:
    """Jobs overlapping [start, end) (all when unbounded), oldest first."""
    sql = f"SELECT {_COLUMNS} FROM gpu_jobs WHERE 1 = 1"
    params: list[Any] = []
    if end is not None:
        sql += " AND start_ts < ?"
        params.append(end)
    if start is not None:
        sql += " AND (end_ts IS NULL OR end_ts > ?)"
        params.append(start)
    return [_row(r) for r in store.query(sql + " ORDER BY start_ts, id", params)]
