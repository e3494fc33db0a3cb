"""The model registry: which weights, trained on which dataset versions, served by which backend.

Artifact URIs and checksums point at the weights themselves (sensitive IP), so they are shown
only to roles holding ``models.read_artifact``; everyone with ``models.read`` sees the rest.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..access import Actor, audit, authorize, check
from ..data.catalog import DatasetCatalog
from ..data.tables import parse_ref
from ..errors import InvalidRequestError, NotFoundError
from ..store import Store

__all__ = ["QUANTIZATIONS", "STAGES", "ModelRegistry", "ModelVersion", "parse_model_ref"]

QUANTIZATIONS = ("fp32", "bf16", "fp16", "fp8", "int8", "awq-int4", "gptq-int4")
STAGES = ("registered", "staging", "production", "archived")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class ModelVersion:
    name: str
    version: str
    artifact: str | None
    sha256: str | None
    base_model: str | None
    quantization: str | None
    backend: str | None
    stage: str
    created_by: str
    created_at: float
    promoted_at: float | None
    datasets: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, **self.__dict__}


def parse_model_ref(text: str) -> tuple[str, str]:
    name, sep, version = text.rpartition("@")
    if not sep or not name or not version:
        raise InvalidRequestError(f"'{text}' is not a model reference: use NAME@VERSION")
    return name, version


class ModelRegistry:
    def __init__(self, store: Store, actor: Actor) -> None:
        self.store = store
        self.actor = actor
        self.datasets = DatasetCatalog(store)

    def _audit(self, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        audit(self.store, self.actor.label, action, target, True, detail, role=self.actor.role)

    def register(
        self,
        name: str,
        version: str,
        *,
        artifact: str,
        sha256: str | None = None,
        base_model: str | None = None,
        datasets: list[str] | None = None,
        quantization: str | None = None,
        backend: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ModelVersion:
        target = f"model:{name}@{version}"
        authorize(self.store, self.actor, "models.register", target)
        if not _NAME.match(name):
            raise InvalidRequestError(
                f"model name '{name}' is not allowed: letters, digits, '.', '_', '/', '-'"
            )
        if not _VERSION.match(version):
            raise InvalidRequestError(
                f"model version '{version}' is not allowed: letters, digits, '.', '_', '+', '-'"
            )
        if quantization is not None and quantization not in QUANTIZATIONS:
            raise InvalidRequestError(
                f"unknown quantization '{quantization}': use one of {', '.join(QUANTIZATIONS)}"
            )
        if sha256 is not None and not _SHA.match(sha256.lower()):
            raise InvalidRequestError("--sha256 must be the 64 hex digits of the artifact's SHA-256")
        pinned = [self._pin(ref) for ref in datasets or []]
        if self._get(name, version) is not None:
            raise InvalidRequestError(
                f"{name}@{version} is already registered; versions are immutable, pick a new one"
            )
        now = time.time()

        def run(tx: Any) -> None:
            tx.execute(
                "INSERT INTO model_versions (name, version, artifact, sha256, base_model, quantization, "
                "backend, stage, "
                "created_by, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    version,
                    artifact,
                    sha256.lower() if sha256 else None,
                    base_model,
                    quantization,
                    backend,
                    "registered",
                    self.actor.label,
                    now,
                    json.dumps(metadata or {}),
                ),
            )
            for ds, dv in pinned:
                tx.execute(
                    "INSERT INTO model_datasets (name, version, dataset, dataset_version) "
                    "VALUES (?, ?, ?, ?)",
                    (name, version, ds, dv),
                )

        self.store.transaction(run)
        self._audit(
            "models.register", target, {"datasets": [f"{d}@v{v}" for d, v in pinned], "backend": backend}
        )
        return self.show(f"{name}@{version}")

    def _pin(self, ref: str) -> tuple[str, int]:
        r = parse_ref(ref)
        if r.tag:
            return r.name, self.datasets.resolve_tag(r.name, r.tag)
        versions = [v.version for v in self.datasets.versions(r.name)]
        if not versions:
            raise NotFoundError(
                f"no dataset '{r.name}' in this store; add it first: seedstack data add {r.name} FILE"
            )
        if r.version is None:
            raise InvalidRequestError(
                f"pin the dataset version: --dataset {r.name}@v{versions[-1]} (a model must name exact data)"
            )
        if r.version not in versions:
            raise NotFoundError(
                f"{r.name} has no version v{r.version} (known: v{', v'.join(map(str, versions))})"
            )
        return r.name, r.version

    def _get(self, name: str, version: str) -> ModelVersion | None:
        rows = self.store.query_dicts(
            "SELECT * FROM model_versions WHERE name = ? AND version = ?", (name, version)
        )
        return self._build(rows[0]) if rows else None

    def _build(self, row: dict[str, Any]) -> ModelVersion:
        ds = self.store.query(
            "SELECT dataset, dataset_version FROM model_datasets "
            "WHERE name = ? AND version = ? ORDER BY dataset",
            (row["name"], row["version"]),
        )
        mv = ModelVersion(
            row["name"],
            row["version"],
            row["artifact"],
            row["sha256"],
            row["base_model"],
            row["quantization"],
            row["backend"],
            row["stage"],
            row["created_by"],
            float(row["created_at"]),
            float(row["promoted_at"]) if row["promoted_at"] is not None else None,
            [f"{d}@v{v}" for d, v in ds],
            json.loads(row["metadata"] or "{}"),
        )
        if not check(self.actor.role, "models.read_artifact"):
            mv.artifact = mv.sha256 = None  # hidden, not blank: the CLI says why
        return mv

    def show(self, ref: str) -> ModelVersion:
        name, version = parse_model_ref(ref)
        authorize(self.store, self.actor, "models.read", f"model:{ref}")
        mv = self._get(name, version)
        if mv is None:
            raise NotFoundError(f"no model {ref}; see: seedstack models list")
        return mv

    def list(self, name: str | None = None) -> list[ModelVersion]:
        authorize(self.store, self.actor, "models.read", f"model:{name or '*'}")
        sql = "SELECT * FROM model_versions"
        params: tuple[Any, ...] = ()
        if name:
            sql += " WHERE name = ?"
            params = (name,)
        return [self._build(r) for r in self.store.query_dicts(sql + " ORDER BY name, created_at", params)]

    def promote(self, ref: str, stage: str) -> ModelVersion:
        if stage not in STAGES:
            raise InvalidRequestError(f"unknown stage '{stage}': use one of {', '.join(STAGES)}")
        name, version = parse_model_ref(ref)
        authorize(self.store, self.actor, "models.promote", f"model:{ref}")
        current = self._get(name, version)
        if current is None:
            raise NotFoundError(f"no model {ref}; see: seedstack models list")
        now = time.time()
        demoted: list[str] = []

        def run(tx: Any) -> None:
            if stage == "production":
                # One production version per model name: the previous one is archived, not deleted.
                for (v,) in tx.query(
                    "SELECT version FROM model_versions "
                    "WHERE name = ? AND stage = 'production' AND version <> ?",
                    (name, version),
                ):
                    demoted.append(v)
                tx.execute(
                    "UPDATE model_versions SET stage = 'archived' WHERE name = ? AND stage = 'production' "
                    "AND version <> ?",
                    (name, version),
                )
            tx.execute(
                "UPDATE model_versions SET stage = ?, promoted_at = ? WHERE name = ? AND version = ?",
                (stage, now, name, version),
            )

        self.store.transaction(run)
        self._audit(
            "models.promote", f"model:{ref}", {"from": current.stage, "to": stage, "archived": demoted}
        )
        return self.show(ref)
