"""The version index in the store: what each dataset commit recorded, tags, and who references it.

Delta's log remains the source of truth for the rows; this index answers lineage and vacuum
questions (which versions are tagged or used by a model) without reading object storage.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRequestError, NotFoundError
from ..store import Store

__all__ = ["DatasetCatalog", "VersionRecord"]


@dataclass(frozen=True)
class VersionRecord:
    dataset: str
    version: int
    commit_id: str
    operation: str
    content_hash: str
    schema_hash: str
    row_count: int
    rows_added: int
    author: str
    message: str | None
    sources: list[dict[str, Any]]
    scrub: dict[str, Any] | None
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


_COLS = (
    "dataset, version, commit_id, operation, content_hash, schema_hash, row_count, rows_added, "
    "author, message, sources, scrub, created_at"
)


def _record(r: tuple[Any, ...]) -> VersionRecord:
    return VersionRecord(
        r[0],
        int(r[1]),
        r[2],
        r[3],
        r[4],
        r[5],
        int(r[6]),
        int(r[7]),
        r[8],
        r[9],
        json.loads(r[10] or "[]"),
        json.loads(r[11]) if r[11] else None,
        float(r[12]),
    )


class DatasetCatalog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, rec: VersionRecord) -> None:
        self.store.execute(
            f"INSERT INTO dataset_versions ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec.dataset,
                rec.version,
                rec.commit_id,
                rec.operation,
                rec.content_hash,
                rec.schema_hash,
                rec.row_count,
                rec.rows_added,
                rec.author,
                rec.message,
                json.dumps(rec.sources),
                json.dumps(rec.scrub) if rec.scrub is not None else None,
                rec.created_at,
            ),
        )

    def versions(self, dataset: str) -> list[VersionRecord]:
        rows = self.store.query(
            f"SELECT {_COLS} FROM dataset_versions WHERE dataset = ? ORDER BY version", (dataset,)
        )
        return [_record(r) for r in rows]

    def get(self, dataset: str, version: int) -> VersionRecord | None:
        r = self.store.query_one(
            f"SELECT {_COLS} FROM dataset_versions WHERE dataset = ? AND version = ?", (dataset, version)
        )
        return _record(r) if r else None

    def datasets(self) -> list[str]:
        return [
            r[0] for r in self.store.query("SELECT DISTINCT dataset FROM dataset_versions ORDER BY dataset")
        ]

    # --- tags ---------------------------------------------------------------------------------
    def set_tag(self, dataset: str, tag: str, version: int, actor: str) -> None:
        existing = self.store.query_one(
            "SELECT version FROM dataset_tags WHERE dataset = ? AND tag = ?", (dataset, tag)
        )
        if existing is not None:
            raise InvalidRequestError(
                f"tag '{tag}' already points at {dataset}@v{existing[0]}; tags never move, pick a new name"
            )
        self.store.execute(
            "INSERT INTO dataset_tags (dataset, tag, version, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            (dataset, tag, version, actor, time.time()),
        )

    def tags(self, dataset: str) -> dict[str, int]:
        rows = self.store.query(
            "SELECT tag, version FROM dataset_tags WHERE dataset = ? ORDER BY tag", (dataset,)
        )
        return {r[0]: int(r[1]) for r in rows}

    def resolve_tag(self, dataset: str, tag: str) -> int:
        r = self.store.query_one(
            "SELECT version FROM dataset_tags WHERE dataset = ? AND tag = ?", (dataset, tag)
        )
        if r is None:
            raise NotFoundError(f"{dataset} has no version or tag '{tag}'; see: seedstack data log {dataset}")
        return int(r[0])

    def protected_versions(self, dataset: str) -> dict[int, list[str]]:
        """Versions vacuum must keep, with the reason for each (tags and registered models)."""
        keep: dict[int, list[str]] = {}
        for tag, v in self.tags(dataset).items():
            keep.setdefault(v, []).append(f"tag {tag}")
        rows = self.store.query(
            "SELECT name, version, dataset_version FROM model_datasets WHERE dataset = ?", (dataset,)
        )
        for name, mv, dv in rows:
            keep.setdefault(int(dv), []).append(f"model {name}@{mv}")
        return keep
