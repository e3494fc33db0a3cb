"""Generate a synthetic chat dataset as JSONL (for the data-layer benchmarks; write it under /tmp).

Rows look like fine-tuning chat logs: an id, a customer, a 3-message conversation and a score.
About 1 row in 20 carries PII (an email or a phone number) so the scrub has real work to do.
Usage: python benchmarks/data_gen.py --rows 1000000 --out /tmp/chats.jsonl [--seed 1] [--variant typed]
``--variant str-score`` writes the score column as a string (the "silent type change" case).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

WORDS = [
    "the",
    "order",
    "shipped",
    "late",
    "and",
    "I",
    "would",
    "like",
    "a",
    "refund",
    "for",
    "the",
    "damaged",
    "item",
    "please",
    "check",
    "tracking",
    "number",
    "account",
    "password",
    "reset",
    "invoice",
    "billing",
    "plan",
    "upgrade",
    "cancel",
    "subscription",
    "thanks",
    "help",
    "support",
    "agent",
    "model",
    "answer",
    "question",
    "delivery",
    "address",
    "warehouse",
    "return",
    "label",
    "weekend",
    "monday",
    "team",
    "product",
    "feature",
    "bug",
    "crash",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--variant", choices=("typed", "str-score"), default="typed")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    size = 0
    with args.out.open("w", encoding="utf-8") as fh:
        buf = []
        for i in range(args.start, args.start + args.rows):
            user = sentence(rng, rng.randint(15, 35))
            if i % 20 == 0:
                user += f" you can reach me at customer{i}@example.com"
            elif i % 20 == 7:
                user += f" call me on +1 415 555 {i % 10000:04d}"
            score = round(rng.random(), 3)
            row = {
                "id": i,
                "customer": f"cust-{i % 5000}",
                "messages": [
                    {"role": "system", "content": "You are a helpful support agent."},
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": sentence(rng, rng.randint(20, 40))},
                ],
                "score": str(score) if args.variant == "str-score" else score,
            }
            buf.append(json.dumps(row))
            if len(buf) == 10_000:
                chunk = "\n".join(buf) + "\n"
                size += len(chunk)
                fh.write(chunk)
                buf = []
        if buf:
            chunk = "\n".join(buf) + "\n"
            size += len(chunk)
            fh.write(chunk)
    json.dump({"rows": args.rows, "bytes": size, "path": str(args.out)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
