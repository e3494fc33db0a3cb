"""``seedstack guard eval``: precision, recall, F1 and accuracy of the detectors on a labelled JSONL file.

Each line is either ``{"text", "label", "channel"}`` (injection; label 1 = attack) or
``{"text", "spans": [{"start", "end", "type"}]}`` (PII). A PII prediction is a true positive when it
overlaps a gold span of the same type (``exact`` counts only identical offsets). Latency is the time
of the whole ``scan`` per text.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson

from ..errors import ConfigError
from .engine import GuardEngine

__all__ = ["STRUCTURED_PII", "evaluate_rows", "read_jsonl"]

STRUCTURED_PII = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS")
_GOLD_ALIASES = {"PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "IBAN_CODE": "IBAN", "STREET_ADDRESS": "ADDRESS"}


def read_jsonl(lines: Iterable[bytes | str], source: str) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ConfigError(f"{source}:{n}: not valid JSON; each line must be one JSON object") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ConfigError(f'{source}:{n}: each line needs a "text" string')
        if "label" not in row and "spans" not in row:
            raise ConfigError(f'{source}:{n}: add "label" (injection) or "spans" (PII) to each line')
        rows.append(row)
    if not rows:
        raise ConfigError(f"{source}: no labelled lines to evaluate")
    return rows


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "support": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _latency(ms: list[float]) -> dict[str, float]:
    a = np.array(ms) if ms else np.zeros(1)
    return {"p50_ms": round(float(np.percentile(a, 50)), 4), "p99_ms": round(float(np.percentile(a, 99)), 4)}


def _injection(engine: GuardEngine, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ms, preds, labels, chans = [], [], [], []
    for row in rows:
        channel = row.get("channel") or "user"
        t0 = time.perf_counter()
        hit = any(f.detector == "injection" for f in engine.scan(row["text"], channel=channel))
        ms.append((time.perf_counter() - t0) * 1000)
        preds.append(hit)
        labels.append(int(row["label"]) == 1)
        chans.append(channel)
    p, y = np.array(preds), np.array(labels)
    tp, fp = int((p & y).sum()), int((p & ~y).sum())
    fn, tn = int((~p & y).sum()), int((~p & ~y).sum())
    by_channel = {}
    for ch in sorted(set(chans)):
        m = np.array([c == ch for c in chans])
        by_channel[ch] = {
            "recall": round(float(p[m & y].mean()), 4) if (m & y).any() else None,
            "fpr": round(float(p[m & ~y].mean()), 4) if (m & ~y).any() else None,
            "n": int(m.sum()),
        }
    return {
        "task": "injection",
        "n": len(rows),
        "classes": {"attack": _prf(tp, fp, fn), "benign": _prf(tn, fn, fp)},
        "accuracy": round((tp + tn) / len(rows), 4),
        "fpr": round(fp / (fp + tn), 4) if fp + tn else 0.0,
        "by_channel": by_channel,
        "latency": _latency(ms),
    }


def _pii(engine: GuardEngine, rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, list[int]] = {}  # type -> [tp, fp, fn, exact_tp]
    ms = []
    predicted_types: set[str] = set()
    for row in rows:
        text = row["text"]
        gold = [(int(s["start"]), int(s["end"]), _GOLD_ALIASES.get(s["type"], s["type"])) for s in row.get("spans", [])]
        t0 = time.perf_counter()
        pred = [(f.start, f.end, f.type) for f in engine.scan(text, detectors={"pii"})]
        ms.append((time.perf_counter() - t0) * 1000)
        for s, e, t in pred:
            predicted_types.add(t)
            c = counts.setdefault(t, [0, 0, 0, 0])
            match = [g for g in gold if g[2] == t and g[0] < e and s < g[1]]
            if match:
                c[0] += 1
                c[3] += any(g[0] == s and g[1] == e for g in match)
            else:
                c[1] += 1
        for s, e, t in gold:
            if not any(p[2] == t and p[0] < e and s < p[1] for p in pred):
                counts.setdefault(t, [0, 0, 0, 0])[2] += 1
    per_type = {}
    for t, (tp, fp, fn, exact) in sorted(counts.items()):
        per_type[t] = {**_prf(tp, fp, fn), "exact_match": exact}
    agg = [sum(counts.get(t, [0, 0, 0, 0])[k] for t in STRUCTURED_PII) for k in range(3)]
    return {
        "task": "pii",
        "n": len(rows),
        "per_type": per_type,
        "structured": {"types": list(STRUCTURED_PII), **_prf(*agg)},
        "not_detected_by_fast_path": sorted(set(counts) - predicted_types),
        "latency": _latency(ms),
    }


def evaluate_rows(engine: GuardEngine, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics for the injection rows and the PII rows in ``rows`` (either or both)."""
    inj = [r for r in rows if "label" in r]
    pii = [r for r in rows if "spans" in r and "label" not in r]
    out: dict[str, Any] = {}
    if inj:
        out["injection"] = _injection(engine, inj)
    if pii:
        out["pii"] = _pii(engine, pii)
    return out
