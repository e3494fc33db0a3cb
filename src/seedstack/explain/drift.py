"""Prompt drift: is a template's recent input unlike what it usually gets?

Per template, the recent window is compared with the baseline window just before it on three
signals, each scaled to [0, 1]:
- length: the two-sample Kolmogorov-Smirnov statistic of ``tokens_in`` (100% of metadata);
- meaning: 1 - cosine between the mean embeddings of sampled prompts (centroid shift);
- wording: the share of the recent window's top 20 words that are not among the baseline's top 50.
The drift score is the largest of the three, so one strong signal is enough to flag a template.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import SeedstackError
from ..store import Store
from .embed import dequantize, tokens
from .payload import Decryptor, load_payloads, payload_texts
from .stopwords import STOPWORDS

if TYPE_CHECKING:
    from ..config.observability import DriftConfig

__all__ = ["TemplateDrift", "detect_drift", "ks_statistic"]

_MAX_ROWS = 20_000


@dataclass
class TemplateDrift:
    template: str
    recent_n: int
    baseline_n: int
    length_ks: float | None
    centroid_shift: float | None
    new_top_words: float | None
    score: float | None
    drifted: bool
    recent_top_words: list[str] = field(default_factory=list)
    baseline_top_words: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Largest gap between the two empirical CDFs."""
    if a.size == 0 or b.size == 0:
        return 0.0
    grid = np.union1d(a, b)
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / a.size
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _top_words(texts: list[str], n: int) -> list[str]:
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(w for w in set(tokens(t)) if w not in STOPWORDS and not w.isdigit() and len(w) > 2)
    return [w for w, _ in counts.most_common(n)]


def _lengths(store: Store, template: str, start: float, end: float) -> np.ndarray:
    rows = store.query(
        "SELECT tokens_in FROM requests WHERE template = ? AND ts >= ? AND ts < ? "
        "AND tokens_in IS NOT NULL ORDER BY ts DESC LIMIT ?",
        (template, start, end, _MAX_ROWS),
    )
    return np.array([r[0] for r in rows], dtype=float)


def _docs(
    store: Store, template: str, start: float, end: float, decrypt: Decryptor | None
) -> list[tuple[str, str, bytes]]:
    """(request id, prompt, vector); blind-indexed prompts are decrypted from their payloads, or
    left as their keyed-hash tokens without a keyring (the wording signal still compares them)."""
    rows = store.query(
        "SELECT request_id, prompt, vec, blind FROM obs_docs WHERE template = ? AND ts >= ? AND ts < ? "
        "AND vec IS NOT NULL ORDER BY ts DESC LIMIT ?",
        (template, start, end, _MAX_ROWS),
    )
    prompts = {r[0]: r[1] or "" for r in rows}
    sealed = [r[0] for r in rows if r[3]]
    if sealed and decrypt is not None:
        for i in range(0, len(sealed), 500):
            try:
                bodies = load_payloads(store, sealed[i : i + 500], decrypt=decrypt)
            except SeedstackError:
                continue
            prompts.update((rid, payload_texts(body)[0]) for rid, body in bodies.items())
    return [(r[0], prompts[r[0]], bytes(r[2])) for r in rows]


def _judge(store: Store, template: str, cfg: DriftConfig, now: float, decrypt: Decryptor | None) -> TemplateDrift:
    recent_start = now - cfg.recent_hours * 3600
    base_start = recent_start - cfg.baseline_days * 86400
    len_r, len_b = (
        _lengths(store, template, recent_start, now),
        _lengths(store, template, base_start, recent_start),
    )
    docs_r, docs_b = (
        _docs(store, template, recent_start, now, decrypt),
        _docs(store, template, base_start, recent_start, decrypt),
    )
    res = TemplateDrift(template, int(len_r.size), int(len_b.size), None, None, None, None, False)
    if min(len_r.size, len_b.size) < cfg.min_samples:
        res.note = f"fewer than {cfg.min_samples} requests in a window: not judged"
        return res
    res.length_ks = round(ks_statistic(len_r, len_b), 3)
    signals = [res.length_ks]
    if min(len(docs_r), len(docs_b)) >= max(2, cfg.min_samples // 4):
        dim = len(docs_b[0][2])
        vr = dequantize([d[2] for d in docs_r if len(d[2]) == dim], dim)
        vb = dequantize([d[2] for d in docs_b if len(d[2]) == dim], dim)
        cr, cb = vr.mean(axis=0), vb.mean(axis=0)
        denom = float(np.linalg.norm(cr) * np.linalg.norm(cb)) or 1.0
        res.centroid_shift = round(max(0.0, 1.0 - float(cr @ cb) / denom), 3)
        res.recent_top_words = _top_words([d[1] for d in docs_r], 20)
        res.baseline_top_words = _top_words([d[1] for d in docs_b], 50)
        if res.recent_top_words:
            base = set(res.baseline_top_words)
            res.new_top_words = round(sum(w not in base for w in res.recent_top_words) / len(res.recent_top_words), 3)
        signals += [res.centroid_shift, res.new_top_words or 0.0]
        cbn = cb / (np.linalg.norm(cb) or 1.0)
        far = np.argsort(vr @ cbn)[:3]
        res.examples = [
            {
                "request_id": docs_r[i][0],
                "prompt": docs_r[i][1][:200],
                "similarity_to_baseline": round(float(vr[i] @ cbn), 3),
            }
            for i in far
        ]
    else:
        res.note = "too few sampled payloads to compare meaning and wording; length only"
    res.score = round(max(signals), 3)
    res.drifted = res.score > cfg.threshold
    return res


def detect_drift(
    store: Store,
    cfg: DriftConfig,
    *,
    template: str | None = None,
    now: float | None = None,
    decrypt: Decryptor | None = None,
) -> list[TemplateDrift]:
    """One verdict per template seen in the recent window (or just ``template``), most drifted first.

    ``decrypt`` lets the wording signal and the examples show words of encrypted payloads."""
    now = now if now is not None else time.time()
    if template is not None:
        names = [template]
    else:
        rows = store.query(
            "SELECT DISTINCT template FROM requests WHERE ts >= ? AND template IS NOT NULL",
            (now - cfg.recent_hours * 3600,),
        )
        names = sorted(r[0] for r in rows)
    out = [_judge(store, name, cfg, now, decrypt) for name in names]
    return sorted(out, key=lambda d: -(d.score or -1.0))
