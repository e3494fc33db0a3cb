"""Train the shipped prompt-injection model: ``python training/train_injection.py``.

Needs the ``[train]`` extra (scikit-learn, scipy). Reads ONLY ``guard/train.jsonl`` plus generated
examples (``training/synth.py``); ``dev.jsonl`` is used for the report at the end, never for fitting or
for picking the threshold. Writes ``src/seedstack/guard/model/injection.npz``.

Model: logistic regression over window-level uni+bigram counts (see ``seedstack.guard.features``),
with one shared weight per feature plus a per-channel correction (user vs document), so each channel
gets its own weight table at run time. Long attack texts are multiple-instance bags: after a first fit,
only their highest-scoring windows stay positive (the inference takes the max over windows). The
decision threshold per channel is set from out-of-fold scores on the training split at a target
false-positive rate.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "training"))

from scipy import sparse  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from synth import generate  # noqa: E402

from seedstack.guard.features import MIN_NORM, STRIDE, WINDOW, document_tokens, spans, tokens  # noqa: E402
from seedstack.guard.normalize import normalize  # noqa: E402

CHANNELS = ("user", "document")
# The shared training/dev data sit beside the checkout (../shared); SEEDSTACK_SHARED overrides.
_SHARED = Path(os.environ.get("SEEDSTACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = _SHARED / "data/guard"
UNK, UNK_BI = "<unk>", "<unk> <unk>"
TOP_K = 1


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def text_features(text: str, channel: str) -> tuple[list[str], list[str], list[int] | None]:
    if channel == "document":
        toks, line_ends = document_tokens(normalize(text))
    else:
        toks, line_ends = tokens(normalize(text)), None
    return toks, [f"{a} {b}" for a, b in pairwise(toks)], line_ends


class Windows:
    """Window rows for a set of texts: CSR features (shared + channel copy) and owner indices."""

    def __init__(self, rows: list[dict], vocab: dict[str, int]) -> None:
        v = len(vocab)
        self.dim = v * 3 + 2  # shared | user | document | user bias | document bias
        unk_u = unk_b = -1  # unknown tokens carry no weight
        whole = []
        indptr, indices, data, owner = [0], [], [], []
        self.repeated: dict[int, list[int]] = {}
        self.candidates: dict[int, list[int]] = {}
        # spans that occur in benign documents are context, never the injection (BIPIA reuses contexts)
        benign_spans: set[tuple[str, ...]] = set()
        for row in rows:
            if row["label"] == 0 and row["channel"] == "document":
                toks, _, ends = text_features(row["text"], "document")
                benign_spans.update(tuple(toks[s:e]) for s, e in spans(toks, "document", ends))
        for ti, row in enumerate(rows):
            toks, bis, ends = text_features(row["text"], row["channel"])
            uid = np.array([vocab.get(t, unk_u) for t in toks], dtype=np.int64)
            bid = np.array([vocab.get(b, unk_b) for b in bis], dtype=np.int64)
            ch = 1 if row["channel"] == "document" else 0
            n = len(toks)
            bounds = spans(toks, row["channel"], ends) if n else [(0, 0)]
            scored = [True] * len(bounds)
            if row["channel"] != "document" and n > WINDOW:
                # augmentation only: windows of a long prompt teach which parts carry the intent
                extra = [(i, i + WINDOW) for i in range(0, n - WINDOW, STRIDE)]
                bounds = bounds + extra
                scored = scored + [False] * len(extra)
            seen: dict[tuple[str, ...], list[int]] = {}
            for (s, e), sc in zip(bounds, scored, strict=True):
                whole.append(sc)
                if row["label"] == 1 and ch == 1 and len(bounds) > 1 and tuple(toks[s:e]) not in benign_spans:
                    seen.setdefault(tuple(toks[s:e]), []).append(len(owner))
                ids = np.concatenate((uid[s:e], bid[s : min(e, n - 1)]))
                ids = ids[ids >= 0]
                val = 1.0 / math.sqrt(max(e - s, MIN_NORM))
                cols = np.concatenate((ids, ids + v * (1 + ch), [3 * v + ch]))
                vals = np.concatenate((np.full(2 * len(ids), val), [1.0]))
                indices.append(cols)
                data.append(vals)
                indptr.append(indptr[-1] + len(cols))
                owner.append(ti)
            rep = [r for key, group in seen.items() if len(group) >= 2 and len(key) >= 4 for r in group]
            if rep:
                self.repeated[ti] = rep
            if seen:
                self.candidates[ti] = [r for group in seen.values() for r in group]
        self.X = sparse.csr_matrix(
            (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=(len(owner), self.dim)
        )
        self.X.sum_duplicates()
        self.owner = np.array(owner)
        self.scored = np.array(whole)
        self.is_doc = np.array([r["channel"] == "document" for r in rows])
        self.labels = np.array([r["label"] for r in rows])
        self.n_texts = len(rows)


def build_vocab(rows: list[dict], min_df: int) -> dict[str, int]:
    df: Counter[str] = Counter()
    for row in rows:
        toks, bis, _ = text_features(row["text"], row["channel"])
        df.update(set(toks) | set(bis))
    feats = [*sorted(f for f, c in df.items() if c >= min_df), UNK, UNK_BI]
    return {f: i for i, f in enumerate(feats)}


def fit(w: Windows, c: float, rounds: int) -> LogisticRegression:
    """Multiple-instance fit: start with every window of an attack positive, then keep its top ones."""
    y_text = w.labels[w.owner]
    counts = np.bincount(w.owner, minlength=w.n_texts)
    pos_weight = np.where(y_text == 1, 1.0 / counts[w.owner], 0.0)
    for ti, rows_idx in w.candidates.items():
        init = w.repeated.get(ti, rows_idx)
        pos_weight[w.owner == ti] = 0.0
        pos_weight[init] = 1.0 / len(init)
    neg_weight = np.where(y_text == 0, 1.0 / np.sqrt(counts[w.owner]), 0.0)
    clf = LogisticRegression(C=c, solver="liblinear", max_iter=500)
    for r in range(rounds + 1):
        sw = pos_weight + neg_weight
        keep = sw > 0
        n_pos, n_neg = sw[y_text == 1].sum(), sw[y_text == 0].sum()
        sw = np.where(y_text == 1, sw * (n_neg / max(n_pos, 1e-9)), sw)
        clf.fit(w.X[keep], y_text[keep], sample_weight=sw[keep])
        if r == rounds:
            break
        scores = clf.decision_function(w.X)
        fixed = np.isin(w.owner, list(w.repeated))
        pos_weight = np.where(w.is_doc[w.owner] & ~fixed, 0.0, pos_weight)
        for ti in np.flatnonzero((w.labels == 1) & w.is_doc):
            if ti in w.repeated:
                continue
            idx = np.array(w.candidates[ti]) if ti in w.candidates else np.flatnonzero(w.owner == ti)
            if len(idx) == 1:
                pos_weight[idx] = 1.0
                continue
            k = min(len(idx), TOP_K)
            top = idx[np.argsort(-scores[idx])[:k]]
            pos_weight[top] = 1.0 / k
    return clf


def text_scores(clf: LogisticRegression, w: Windows) -> np.ndarray:
    s = clf.decision_function(w.X)
    out = np.full(w.n_texts, -np.inf)
    np.maximum.at(out, w.owner[w.scored], s[w.scored])
    return out


def pick_threshold(scores: np.ndarray, labels: np.ndarray, fpr: float) -> float:
    neg = np.sort(scores[labels == 0])
    if len(neg) == 0:
        return 0.0
    k = min(len(neg) - 1, math.floor(len(neg) * (1 - fpr)))
    return float(neg[k]) + 1e-6


def report(name: str, scores: np.ndarray, rows: list[dict], thr: dict[str, float]) -> dict:
    labels = np.array([r["label"] for r in rows])
    chans = np.array([r.get("channel", "user") for r in rows])
    pred = np.array([scores[i] >= thr[chans[i]] for i in range(len(rows))])
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp = int(((pred == 1) & (labels == 0)).sum())
    fn = int(((pred == 0) & (labels == 1)).sum())
    out = {
        "set": name,
        "recall": tp / max(tp + fn, 1),
        "fpr": fp / max((labels == 0).sum(), 1),
        "precision": tp / max(tp + fp, 1),
    }
    fam: dict[str, list[int]] = {}
    for r, p in zip(rows, pred, strict=True):
        fam.setdefault(f"{r['label']}:{r.get('family', '?')}", []).append(int(p))
    out["by_family_flagged"] = {k: round(sum(v) / len(v), 3) for k, v in sorted(fam.items())}
    return out


def recall_at(scores: np.ndarray, rows: list[dict]) -> dict[str, float]:
    """Diagnostics only: dev recall if each channel's threshold were set on dev at these FPRs."""
    labels = np.array([r["label"] for r in rows])
    chans = np.array([r.get("channel", "user") for r in rows])
    out = {}
    for fpr in (0.01, 0.02):
        thr = {ch: pick_threshold(scores[chans == ch], labels[chans == ch], fpr) for ch in CHANNELS}
        pred = np.array([scores[i] >= thr[chans[i]] for i in range(len(rows))])
        out[str(fpr)] = round(float(pred[labels == 1].mean()), 4)
    return out


def _bytes(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-8"), dtype=np.uint8)


def save(path: Path, feats: list[str], weights: dict[str, np.ndarray], meta: dict) -> None:
    """Unigram and bigram tables apart, so the loader builds both dicts with C-level zips (<200 ms)."""
    uni = [i for i, f in enumerate(feats) if " " not in f]
    bi = [i for i, f in enumerate(feats) if " " in f]
    pairs = [feats[i].split(" ", 1) for i in bi]
    arrays = {
        "unigrams": _bytes(json.dumps([feats[i] for i in uni])),
        "bigram_first": _bytes(json.dumps([a for a, _ in pairs])),
        "bigram_second": _bytes(json.dumps([b for _, b in pairs])),
        "meta": _bytes(json.dumps(meta)),
    }
    for ch, w in weights.items():
        arrays[f"uni_{ch}"] = w[uni].astype(np.float32)
        arrays[f"bi_{ch}"] = w[bi].astype(np.float32)
    np.savez_compressed(path, **arrays)


def calibrate_edges(path: Path, rows: list[dict], quantile: float = 99.5) -> float:
    """Set the stricter threshold for the head/tail windows of user prompts from benign training text.

    Stored as ``edge_offset``: how much higher (in logits) an edge window must score than the whole-prompt
    threshold, so that only ``100 - quantile`` % of benign training prompts trip it.
    """
    from seedstack.guard.injection import EDGE, InjectionModel

    with np.load(path, allow_pickle=False) as z:
        arrays = dict(z.items())
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    meta.pop("edge_offset", None)
    arrays["meta"] = _bytes(json.dumps(meta))
    np.savez_compressed(path, **arrays)
    model = InjectionModel.load(path)
    cw = model._channels["user"]
    edge_logits = []
    for r in rows:
        if r["label"] != 0 or r["channel"] == "document":
            continue
        toks = tokens(normalize(r["text"]))
        if len(toks) <= EDGE:
            continue
        ids = np.fromiter((model._token_ids.get(t, 0) for t in toks), dtype=np.int64, count=len(toks))
        c = cw.unigram_weights[ids]
        keys = ids[:-1] * model._n_ids + ids[1:]
        pos = np.minimum(np.searchsorted(model._bigram_keys, keys), model._bigram_keys.size - 1)
        c[:-1] += np.where(model._bigram_keys[pos] == keys, cw.bigram_weights[pos], cw.unk_bigram)
        edge_logits.append(cw.bias + max(c[:EDGE].sum(), c[-EDGE:].sum()) / math.sqrt(EDGE))
    t2 = float(np.percentile(edge_logits, quantile))
    offset = max(0.0, t2 - float(meta["threshold"]["user"]))
    meta["edge_offset"] = offset
    arrays["meta"] = _bytes(json.dumps(meta))
    np.savez_compressed(path, **arrays)
    return offset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=Path, default=DATA / "train.jsonl")
    ap.add_argument("--dev", type=Path, default=DATA / "dev.jsonl")
    ap.add_argument("--out", type=Path, default=ROOT / "src/seedstack/guard/model/injection.npz")
    ap.add_argument("--c", type=float, default=8.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--fpr", type=float, default=0.01, help="target false-positive rate on benign training text")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--prune", type=float, default=0.02, help="drop features whose weights are all below this")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--quick", action="store_true", help="skip the out-of-fold threshold (experiments only)")
    args = ap.parse_args()
    t0 = time.time()

    train = load(args.train)
    for r in train:
        r.setdefault("channel", "user")
    doc_rows = [i for i, r in enumerate(train) if r["label"] == 0 and r["channel"] == "document"]
    synth = generate([train[i]["text"] for i in doc_rows], seed=args.seed)
    rows = train + synth
    rng = np.random.default_rng(args.seed)
    fold = rng.integers(0, args.folds, len(rows))
    # a generated variant of a training document shares that document's fold: otherwise the fold
    # model has seen the held-out document (with an injection added) and the threshold is skewed
    for k, row in enumerate(synth):
        if int(row.get("base", -1)) >= 0:
            fold[len(train) + k] = fold[doc_rows[int(row["base"])]]

    oof = np.zeros(len(rows))
    for k in range(0 if args.quick else args.folds):
        tr = [r for r, f in zip(rows, fold, strict=True) if f != k]
        te_idx = np.flatnonzero(fold == k)
        vocab = build_vocab(tr, args.min_df)
        clf = fit(Windows(tr, vocab), args.c, args.rounds)
        oof[te_idx] = text_scores(clf, Windows([rows[i] for i in te_idx], vocab))
    labels = np.array([r["label"] for r in rows])
    chans = np.array([r["channel"] for r in rows])
    if args.quick:
        oof = np.where(labels == 1, 1.0, 0.0)
    # the false-positive target is set on real benign text; generated hard negatives shape the weights only
    real = np.array([not str(r.get("family", "")).startswith("synth-") for r in rows])
    thr = {ch: pick_threshold(oof[(chans == ch) & real], labels[(chans == ch) & real], args.fpr) for ch in CHANNELS}
    oof_report = report("train-oof", oof, rows, thr)

    vocab = build_vocab(rows, args.min_df)
    w = Windows(rows, vocab)
    clf = fit(w, args.c, args.rounds)
    coef = clf.coef_.ravel()
    v = len(vocab)
    shared, per = coef[:v], {"user": coef[v : 2 * v], "document": coef[2 * v : 3 * v]}
    bias = {"user": float(clf.intercept_[0] + coef[3 * v]), "document": float(clf.intercept_[0] + coef[3 * v + 1])}
    weights = {ch: (shared + per[ch]).astype(np.float32) for ch in CHANNELS}
    # tiny weights move no decision but cost load time: drop them
    keep = np.flatnonzero((np.abs(weights["user"]) >= args.prune) | (np.abs(weights["document"]) >= args.prune))
    keep = np.union1d(keep, [vocab[UNK], vocab[UNK_BI]])
    feats = sorted(vocab, key=vocab.__getitem__)
    vocab_kept = [feats[i] for i in keep]
    meta = {
        "kind": "logistic regression over word uni+bigrams; whole prompt (user), max over spans (document)",
        "threshold_is": "logit",
        "bias": bias,
        "threshold": thr,
        "trained_on": [str(args.train.name), "synthetic (training/synth.py)"],
        "rows": len(rows),
        "features": len(vocab_kept),
        "c": args.c,
        "target_fpr": args.fpr,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save(args.out, vocab_kept, {ch: weights[ch][keep] for ch in CHANNELS}, meta)

    edge_offset = calibrate_edges(args.out, train)

    # report on dev with the exported artifact, through the run-time scorer
    from seedstack.guard.injection import InjectionModel

    model = InjectionModel.load(args.out)
    dev = load(args.dev)
    dev_scores = np.array([model.logit(r["text"], r.get("channel", "user")) for r in dev])
    print(
        json.dumps(
            {
                "oof": oof_report,
                "dev": report("dev", dev_scores, dev, thr),
                "dev_recall_at_fpr": recall_at(dev_scores, dev),
                "threshold_logit": thr,
                "edge_offset": edge_offset,
                "features": len(vocab_kept),
                "bytes": args.out.stat().st_size,
                "seconds": round(time.time() - t0, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
