"""``why``: the whole story of one request, joined from every table that knows part of it.

One function builds a plain dict so the CLI, the dashboard and the admin API render the same facts.
Everything beyond the request row is best effort: a missing payload, registry or eval table is
reported as such, never as an error, because the point is to answer a complaint in seconds.
It is also the first command someone runs in a fresh shell, so it stays cheap from a cold process:
lineage comes from store rows (no Delta Lake import), similar requests from one bounded index scan.
"""

from __future__ import annotations

import heapq
from array import array
from operator import itemgetter, mul
from typing import Any

import orjson

from ..errors import NotFoundError, SeedstackError, StoreError
from ..store import Store
from .lineage import request_lineage
from .payload import Decryptor, load_payload
from .traces import load_trace

__all__ = ["explain_request", "latency_breakdown"]

_JSON_COLS = ("tags", "route", "guard", "params", "metadata")
_PARAM_KEYS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "stop",
    "tools",
    "tool_choice",
    "response_format",
    "n",
    "presence_penalty",
    "frequency_penalty",
)


def latency_breakdown(rec: dict[str, Any]) -> dict[str, float | None]:
    """queue → time to first token → generation; the parts add up to the total when all are known."""
    total = rec.get("latency_ms")
    queue = rec.get("queue_ms")
    ttft = rec.get("ttft_ms")
    generation = None
    if total is not None and ttft is not None:
        generation = max(0.0, total - ttft - (queue or 0.0))
    return {
        "queue_ms": queue,
        "ttft_ms": ttft,
        "generation_ms": generation,
        "total_ms": total,
        "upstream_ms": rec.get("upstream_ms"),
        "overhead_ms": rec.get("overhead_ms"),
    }


def _eval_scores(store: Store, request_id: str) -> list[dict[str, Any]] | None:
    try:
        return store.query_dicts("SELECT * FROM eval_scores WHERE request_id = ?", (request_id,))
    except StoreError:
        return None  # the online-eval table does not exist (yet)


def _similar(store: Store, rec: dict[str, Any], limit: int = 5, scan: int = 2000) -> list[dict[str, Any]]:
    """Nearest sampled requests of the same template (or any, without one) from before this one,
    and how they went. ``scan`` bounds the work: the most recent earlier ones are compared.

    The int8 dot products are done in plain Python over the query's non-zero dims (a third of
    them, ~10 ms for 2,000 rows): importing numpy would cost a cold ``seedstack why`` more.
    """
    me = store.query_one("SELECT vec FROM obs_docs WHERE request_id = ?", (rec["id"],))
    if me is None or me[0] is None:
        return []
    qvec = array("b", bytes(me[0]))
    where, params = "request_id <> ? AND ts <= ?", [rec["id"], rec["ts"]]
    if rec.get("template"):
        where += " AND template = ?"
        params.append(rec["template"])
    rows = store.query(
        f"SELECT request_id, vec FROM obs_docs WHERE {where} AND vec IS NOT NULL ORDER BY ts DESC LIMIT ?",
        [*params, scan],
    )
    dim = len(qvec)
    dims = [i for i, x in enumerate(qvec) if x]  # only the query's non-zero dims add to a dot product
    if not dims:
        return []
    weights = [qvec[i] for i in dims]
    pick = itemgetter(*dims, dims[0])  # one extra so even a single dim comes back as a tuple
    weights.append(0)
    scored = (
        (sum(map(mul, weights, pick(array("b", bytes(vec))))), rid)
        for rid, vec in rows
        if vec is not None and len(vec) == dim
    )
    best = heapq.nlargest(limit, scored, key=lambda s: s[0])
    if not best:
        return []
    ids = [rid for _, rid in best]
    marks = ",".join("?" * len(ids))
    info = {
        d["id"]: d
        for d in store.query_dicts(
            "SELECT id, ts, status_code, latency_ms, cost_usd, error_class, customer FROM requests "
            f"WHERE id IN ({marks})",
            ids,
        )
    }
    # int8 rows are unit vectors x127, so dot / 127^2 is their cosine
    return [{**info[rid], "similarity": round(dot / 16129.0, 3)} for dot, rid in best if rid in info]


def explain_request(store: Store, request_id: str, *, decrypt: Decryptor | None = None) -> dict[str, Any]:
    """Everything seedstack knows about one request, as a JSON-ready dict."""
    rows = store.query_dicts("SELECT * FROM requests WHERE id = ?", (request_id,))
    if not rows:
        raise NotFoundError(
            f"no request {request_id}: copy the id from the x-request-id response header, "
            "`seedstack requests` "
            "or `seedstack search`; records older than the metadata retention are deleted by gc"
        )
    rec = rows[0]
    for col in _JSON_COLS:
        if isinstance(rec.get(col), str):
            rec[col] = orjson.loads(rec[col])
    meta = rec.get("metadata") or {}
    params = rec.get("params") or {}

    payload: dict[str, Any] = {"sampled": bool(rec.get("payload_kept")), "reason": rec.get("payload_reason")}
    try:
        body = load_payload(store, request_id, decrypt=decrypt)
    except SeedstackError as exc:  # encrypted without a keyring, or a key that no longer opens it
        body, payload["error"] = None, str(exc)
    if body is not None:
        payload.update(sampled=True, request=body.get("request"), response=body.get("response"))
    elif "error" not in payload:
        payload["sampled"] = False
        payload["note"] = (
            "payload not sampled: only metadata was kept for this request"
            if not rec.get("payload_kept")
            else "payload expired (payload retention) or not yet written"
        )

    trace: list[dict[str, Any]] = []
    if rec.get("trace_id"):
        try:
            trace = [s.to_dict() for s in load_trace(store, rec["trace_id"], decrypt=decrypt)]
        except NotFoundError:
            trace = []

    return {
        "id": rec["id"],
        "ts": rec["ts"],
        "endpoint": rec["endpoint"],
        "customer": rec.get("customer"),
        "key_id": rec.get("key_id"),
        "tags": rec.get("tags") or [],
        "status": {
            "code": rec["status_code"],
            "error_class": rec.get("error_class"),
            "error_message": rec.get("error_message"),
        },
        "template": {
            "name": rec.get("template"),
            "version": rec.get("template_version"),
            "variables": meta.get("template_vars") if isinstance(meta, dict) else None,
        },
        "metadata": {k: v for k, v in meta.items() if k != "template_vars"} if isinstance(meta, dict) else meta,
        "params": {k: params[k] for k in _PARAM_KEYS if k in params}
        | {k: v for k, v in params.items() if k not in _PARAM_KEYS},
        "model": {
            "alias": rec.get("alias"),
            "backend": rec.get("backend"),
            "provider": rec.get("provider"),
            "upstream_model": rec.get("upstream_model"),
            "model_version": rec.get("model_version"),
            "simulated": bool(rec.get("simulated")),
            "stream": bool(rec.get("stream")),
        },
        "route": rec.get("route") or [],
        "guard": rec.get("guard") or [],
        "latency": latency_breakdown(rec),
        "usage": {
            "tokens_in": rec.get("tokens_in"),
            "tokens_out": rec.get("tokens_out"),
            "tokens_cached": rec.get("tokens_cached"),
            "tokens_reasoning": rec.get("tokens_reasoning"),
            "cost_usd": rec.get("cost_usd"),
        },
        "payload": payload,
        "trace": {"trace_id": rec.get("trace_id"), "parent_id": rec.get("parent_id"), "steps": trace},
        "lineage": request_lineage(store, rec.get("model_version"), rec.get("backend")),
        "eval_scores": _eval_scores(store, request_id),
        "similar": _similar(store, rec),
    }
