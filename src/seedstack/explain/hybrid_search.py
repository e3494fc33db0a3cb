"""Find a request from a complaint: keyword + semantic search over sampled payloads, with filters.

Keyword hits come from FTS5 (SQLite) or a tsvector GIN index (PostgreSQL), ranked by BM25 /
ts_rank; semantic hits from pgvector's HNSW index where the PostgreSQL server has pgvector
(``vector_index.py``), else from a numpy scan of the int8 vectors that pass the metadata filter.
The two rankings are fused by reciprocal rank (RRF), which needs no score calibration between
engines, so the same query ranks the same way on both stores.

When payloads are encrypted the index holds keyed-hash tokens (``blind.py``): the query's words are
hashed the same way (next to the plain words, which still match rows of unencrypted payloads),
and snippets of those rows are decrypted from the payload at display time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SeedstackError
from ..store import Store
from .blind import open_blind_index
from .embed import Embedder, HashedNgramEmbedder, dequantize, tokens
from .filters import SearchFilters
from .payload import Decryptor, load_payloads, payload_texts
from .stopwords import STOPWORDS
from .vector_index import PGVECTOR_DIM, nearest_ids, pgvector_enabled

__all__ = ["SearchHit", "search"]

_RRF_K = 60
_POOL = 200


@dataclass
class SearchHit:
    request_id: str
    score: float
    ts: float
    customer: str | None
    template: str | None
    status_code: int | None
    latency_ms: float | None
    snippet: str
    matched: list[str] = field(default_factory=list)  # "keyword", "semantic"

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "score": round(self.score, 5),
            "ts": self.ts,
            "customer": self.customer,
            "template": self.template,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "snippet": self.snippet,
            "matched": self.matched,
        }


def _keyword_ids(store: Store, words: list[str], where: str, params: list[Any], pool: int) -> list[str]:
    if not words:
        return []
    if store.dialect == "postgres":
        tsq = " | ".join(words)
        rows = store.query(
            "SELECT d.request_id FROM obs_docs d, to_tsquery('english', ?) q "
            f"WHERE d.tsv @@ q AND {where} ORDER BY ts_rank(d.tsv, q) DESC, d.ts DESC LIMIT ?",
            [tsq, *params, pool],
        )
    else:
        match = " OR ".join(f'"{w}"' for w in words)
        rows = store.query(
            "SELECT d.request_id FROM obs_fts f JOIN obs_docs d ON d.request_id = f.request_id "
            f"WHERE obs_fts MATCH ? AND {where} ORDER BY bm25(obs_fts), d.ts DESC LIMIT ?",
            [match, *params, pool],
        )
    return [r[0] for r in rows]


def _semantic_ids(store: Store, qvec: np.ndarray, where: str, params: list[Any], pool: int, max_scan: int) -> list[str]:
    if qvec.shape[0] == PGVECTOR_DIM and pgvector_enabled(store):
        return nearest_ids(store, qvec, where, params, pool, max_scan)
    rows = store.query(
        f"SELECT d.request_id, d.vec FROM obs_docs d WHERE {where} AND d.vec IS NOT NULL ORDER BY d.ts DESC LIMIT ?",
        [*params, max_scan],
    )
    dim = qvec.shape[0]
    rows = [r for r in rows if len(r[1]) == dim]
    if not rows:
        return []
    mat = dequantize((r[1] for r in rows), dim)
    sims = mat @ qvec
    top = np.argsort(-sims, kind="stable")[:pool]  # rows are newest first: so are equal vectors
    return [rows[i][0] for i in top if sims[i] > 0.0]


def search(
    store: Store,
    query: str,
    filters: SearchFilters | None = None,
    *,
    limit: int = 10,
    embedder: Embedder | None = None,
    max_scan: int = 100_000,
    decrypt: Decryptor | None = None,
) -> list[SearchHit]:
    """Best matches first. An empty query lists the filtered sampled requests, newest first.

    ``decrypt`` (``keyring_decryptor(settings)``) is needed to match and show requests whose
    payloads are encrypted; without it only their embeddings can match, with an empty snippet.
    """
    filters = filters or SearchFilters()
    where, params = filters.where("d.")
    words = [w for w in dict.fromkeys(tokens(query)) if w not in STOPWORDS][:32]
    scores: dict[str, float] = {}
    matched: dict[str, list[str]] = {}
    if words:
        blind = open_blind_index(store, decrypt)
        terms = words + blind.terms(words) if blind is not None else words
        for rank, rid in enumerate(_keyword_ids(store, terms, where, params, _POOL)):
            scores[rid] = scores.get(rid, 0.0) + 1.0 / (_RRF_K + rank + 1)
            matched.setdefault(rid, []).append("keyword")
        qvec = (embedder or HashedNgramEmbedder()).embed([query])[0]
        for rank, rid in enumerate(_semantic_ids(store, qvec, where, params, _POOL, max_scan)):
            scores[rid] = scores.get(rid, 0.0) + 1.0 / (_RRF_K + rank + 1)
            matched.setdefault(rid, []).append("semantic")
        ranked = sorted(scores, key=lambda r: -scores[r])[:limit]
    else:
        ranked = [
            r[0]
            for r in store.query(
                f"SELECT d.request_id FROM obs_docs d WHERE {where} ORDER BY d.ts DESC LIMIT ?",
                [*params, limit],
            )
        ]
    if not ranked:
        return []
    marks = ",".join("?" * len(ranked))
    info = {
        d["request_id"]: d
        for d in store.query_dicts(
            "SELECT request_id, ts, customer, template, status_code, latency_ms, prompt, response, blind "
            f"FROM obs_docs WHERE request_id IN ({marks})",
            ranked,
        )
    }
    texts = _display_texts(store, [rid for rid in ranked if info[rid]["blind"]], decrypt)
    hits = []
    for rid in ranked:
        d = info[rid]
        prompt, response = texts.get(rid, ("", "")) if d["blind"] else (d["prompt"], d["response"])
        hits.append(
            SearchHit(
                request_id=rid,
                score=scores.get(rid, 0.0),
                ts=d["ts"],
                customer=d["customer"],
                template=d["template"],
                status_code=d["status_code"],
                latency_ms=d["latency_ms"],
                snippet=_snippet(response or prompt or "", words),
                matched=matched.get(rid, []),
            )
        )
    return hits


def _display_texts(store: Store, ids: list[str], decrypt: Decryptor | None) -> dict[str, tuple[str, str]]:
    """(prompt, response) of blind-indexed hits, decrypted from their payloads for the snippet."""
    if not ids or decrypt is None:
        return {}
    try:
        bodies = load_payloads(store, ids, decrypt=decrypt)
    except SeedstackError:
        return {}  # a key this keyring no longer holds: the hit stays, without a snippet
    return {rid: payload_texts(body) for rid, body in bodies.items()}


def _snippet(text: str, words: list[str], width: int = 160) -> str:
    low = text.lower()
    pos = min((p for p in (low.find(w) for w in words) if p >= 0), default=0)
    start = max(0, pos - width // 3)
    out = text[start : start + width].replace("\n", " ")
    return ("…" if start else "") + out + ("…" if start + width < len(text) else "")
