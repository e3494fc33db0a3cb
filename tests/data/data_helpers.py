"""Row builders shared by the data-layer tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def chat_rows(n: int, start: int = 0, pii_every: int = 0) -> list[dict[str, Any]]:
    rows = []
    for i in range(start, start + n):
        text = f"question {i}"
        if pii_every and i % pii_every == 0:
            text += f" mail me at user{i}@example.com"
        rows.append(
            {
                "id": i,
                "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}],
                "score": i / 10,
            }
        )
    return rows
