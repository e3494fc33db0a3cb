"""seedstack vs DVC on the same 1M-row JSONL: time to version, time to check out an old version,
and what each one reports when a column's type changes. Both run in this process's run, on the
same files, under /tmp; DVC comes from a throwaway venv (``pip install dvc`` in
.bench-venvs/dvc), never from the project's dependencies.

seedstack runs with ``data.scrub.policy: off`` here so both tools do the same work (DVC does
not scrub); the scrub cost is measured by benchmarks/data_ingest.py.
Usage: python benchmarks/data_dvc.py /tmp/chats1m.jsonl [--dvc .bench-venvs/dvc/bin/dvc]  (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from seedstack.access import LOCAL_ADMIN
from seedstack.data import DatasetService, TableLocation
from seedstack.errors import SeedstackError
from seedstack.store import open_store


def _run(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
        "DVC_NO_ANALYTICS": "1",
    }
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-400:]}")
    return time.perf_counter() - t, proc


def _variant_changed(src: Path, dst: Path) -> None:
    """1 row in 100 gets a new score (a content change, same schema)."""
    with src.open("rb") as fin, dst.open("wb") as fout:
        for i, line in enumerate(fin):
            if i % 100 == 0:
                row = json.loads(line)
                row["score"] = round(row["score"] + 0.5, 3)
                line = (json.dumps(row) + "\n").encode()
            fout.write(line)


def _variant_retyped(src: Path, dst: Path, every: int) -> None:
    """The score column silently becomes a string in 1 row of ``every``."""
    with src.open("rb") as fin, dst.open("wb") as fout:
        for i, line in enumerate(fin):
            if i % every == 999:
                row = json.loads(line)
                row["score"] = str(row["score"])
                line = (json.dumps(row) + "\n").encode()
            fout.write(line)


def dvc_side(dvc: str, files: dict[str, Path], work: Path) -> dict[str, Any]:
    repo = work / "dvc-repo"
    repo.mkdir()
    _run(["git", "init", "-q"], repo)
    _run([dvc, "init", "-q"], repo)
    _run(["git", "commit", "-qm", "init"], repo)
    target = repo / "chats.jsonl"
    out: dict[str, Any] = {}
    shutil.copyfile(files["v0"], target)
    t0, _ = _run([dvc, "add", "-q", "chats.jsonl"], repo)
    t1, _ = _run(["git", "add", "chats.jsonl.dvc", ".gitignore"], repo)
    t2, _ = _run(["git", "commit", "-qm", "v0"], repo)
    out["version_v0_seconds"] = round(t0 + t1 + t2, 2)
    shutil.copyfile(files["v1"], target)
    t0, _ = _run([dvc, "add", "-q", "chats.jsonl"], repo)
    t1, _ = _run(["git", "commit", "-qam", "v1"], repo)
    out["version_v1_seconds"] = round(t0 + t1, 2)
    t0, _ = _run(["git", "checkout", "-q", "HEAD~1", "--", "chats.jsonl.dvc"], repo)
    t1, _ = _run([dvc, "checkout", "-q", "chats.jsonl"], repo)
    out["checkout_v0_seconds"] = round(t0 + t1, 2)
    out["checkout_v0_matches"] = target.read_bytes() == files["v0"].read_bytes()
    _run(["git", "checkout", "-q", "HEAD", "--", "chats.jsonl.dvc"], repo)
    _run([dvc, "checkout", "-q", "chats.jsonl"], repo)
    shutil.copyfile(files["retyped"], target)
    _, status = _run([dvc, "status", "chats.jsonl.dvc"], repo)
    t0, add = _run([dvc, "add", "chats.jsonl"], repo)
    _run(["git", "commit", "-qam", "retyped"], repo)
    out["type_change"] = {
        "accepted": True,
        "dvc_status_says": " ".join(status.stdout.split())[:200],
        "dvc_add_output": " ".join((add.stdout + add.stderr).split())[:200],
    }
    return out


def seedstack_side(files: dict[str, Path], work: Path) -> dict[str, Any]:
    store = open_store(f"sqlite:///{work / 'store.db'}")
    svc = DatasetService(store, TableLocation(str(work / "lake")), LOCAL_ADMIN, scrubber=None)
    out: dict[str, Any] = {}
    t = time.perf_counter()
    svc.add("chats", [files["v0"]], message="v0")
    out["version_v0_seconds"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    svc.add("chats", [files["v1"]], replace=True, message="v1")
    out["version_v1_seconds"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    n = svc._dataset("chats", 0).to_table().num_rows
    out["checkout_v0_as_arrow_seconds"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    svc.export("chats@v0", work / "v0-export.jsonl")
    out["checkout_v0_export_jsonl_seconds"] = round(time.perf_counter() - t, 2)
    out["checkout_v0_rows"] = n
    t = time.perf_counter()
    try:
        svc.add("chats", [files["retyped"]], replace=True, message="retyped")
        out["type_change"] = {"accepted": True}
    except SeedstackError as exc:
        out["type_change"] = {
            "accepted": False,
            "message": str(exc),
            "seconds_to_refuse": round(time.perf_counter() - t, 2),
        }
    out["versions_after"] = len(svc.log("chats"))
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--dvc", default=str(Path(__file__).resolve().parents[1] / ".bench-venvs/dvc/bin/dvc"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="seedstack-dvc-"))
    try:
        files = {"v0": args.path, "v1": work / "v1.jsonl", "retyped": work / "retyped.jsonl"}
        _variant_changed(args.path, files["v1"])
        _variant_retyped(args.path, files["retyped"], every=100_000)
        report = {
            "input_mb": round(args.path.stat().st_size / 1e6, 1),
            "seedstack": seedstack_side(files, work),
            "dvc": dvc_side(args.dvc, files, work),
        }
        _, ver = _run([args.dvc, "--version"], work)
        report["dvc_version"] = ver.stdout.strip()
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
