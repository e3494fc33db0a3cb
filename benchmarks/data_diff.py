"""``data diff`` of two 1M-row versions (the bar: <= 10 s), against a full read of both versions.

Builds, under /tmp, a dataset whose v0 is the input file and whose v1 replaces it with a copy in
which 1 row in 100 changed its score, 1 in 100 was removed and 10,000 new rows were appended; then
times ``DatasetService.diff`` (with a 5-row sample) and, as the baseline in the same run, reading
every column of both versions into Arrow.
Usage: python benchmarks/data_diff.py /tmp/chats1m.jsonl   (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from seedstack.access import LOCAL_ADMIN
from seedstack.data import DatasetService, TableLocation
from seedstack.store import open_store


def _variant(src: Path, dst: Path) -> dict[str, int]:
    changed = removed = kept = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        for i, line in enumerate(fin):
            if i % 100 == 1:
                removed += 1
                continue
            if i % 100 == 0:
                row = json.loads(line)
                row["score"] = round(row["score"] + 0.5, 3)
                line = (json.dumps(row) + "\n").encode()
                changed += 1
            fout.write(line)
            kept += 1
        for j in range(10_000):
            fout.write(
                json.dumps(
                    {
                        "id": 10_000_000 + j,
                        "customer": "new",
                        "messages": [{"role": "user", "content": f"new question {j}"}],
                        "score": 0.1,
                    }
                ).encode()
                + b"\n"
            )
    return {"changed": changed, "removed": removed, "appended": 10_000, "rows": kept + 10_000}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seedstack-diff-"))
    try:
        v1_file = work / "v1.jsonl"
        edits = _variant(args.path, v1_file)
        store = open_store(f"sqlite:///{work / 'store.db'}")
        svc = DatasetService(store, TableLocation(str(work / "lake")), LOCAL_ADMIN, scrubber=None)
        t = time.perf_counter()
        svc.add("chats", [args.path])
        svc.add("chats", [v1_file], replace=True)
        build = time.perf_counter() - t
        t = time.perf_counter()
        d = svc.diff("chats@v0", "chats@v1", sample=5)
        diff_s = time.perf_counter() - t
        t = time.perf_counter()
        n = sum(svc._dataset("chats", v).to_table().num_rows for v in (0, 1))
        read_s = time.perf_counter() - t
        store.close()
        print(
            json.dumps(
                {
                    "rows_v0": d["rows_before"],
                    "rows_v1": d["rows_after"],
                    "edits": edits,
                    "rows_added": d["rows_added"],
                    "rows_removed": d["rows_removed"],
                    "diff_seconds": round(diff_s, 2),
                    "baseline_full_read_seconds": round(read_s, 2),
                    "rows_read_by_baseline": n,
                    "ratio_diff_vs_full_read": round(diff_s / read_s, 3),
                    "build_two_versions_seconds": round(build, 1),
                    "bar_seconds": 10,
                },
                indent=2,
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
