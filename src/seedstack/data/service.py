"""The dataset service: every ``seedstack data`` action, checked against the actor's role and audited.

The CLI and the admin API both call this class; neither talks to Delta or the catalog directly,
so a permission can never be enforced in one surface and forgotten in the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..access import Actor, audit, authorize, check
from ..crypto import DataKeyring
from ..errors import InvalidRequestError, NotFoundError
from ..store import Store
from .catalog import DatasetCatalog, VersionRecord
from .compare import diff_versions, export_rows, read_rows
from .ingest import IngestRequest, commit_meta, ingest
from .schema import canonical_type
from .scrub import Scrubber, scrubber_from_settings
from .tables import DatasetRef, TableLocation, parse_ref, validate_name

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["DatasetService"]


class DatasetService:
    def __init__(
        self,
        store: Store,
        location: TableLocation,
        actor: Actor,
        *,
        scrubber: Scrubber | None = None,
        scrubber_factory: Callable[[], Scrubber | None] | None = None,
        keyring: Callable[[], DataKeyring] | None = None,
        keep_raw: bool = False,
        block_bytes: int = 16 << 20,
    ) -> None:
        self.store = store
        self.loc = location
        self.actor = actor
        self._scrubber = scrubber
        self._scrubber_factory = scrubber_factory
        self._keyring_factory = keyring
        self._keyring: DataKeyring | None = None
        self.keep_raw = keep_raw
        self.block_bytes = block_bytes
        self.catalog = DatasetCatalog(store)

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, actor: Actor, *, engine: Any = None
    ) -> DatasetService:
        cfg = settings.data
        root = cfg.root or str((Path(settings.home) / "datasets").resolve())
        opts = {k: v.get_secret_value() for k, v in cfg.storage_options.items()}
        return cls(
            store,
            TableLocation(root, opts),
            actor,
            scrubber_factory=lambda: scrubber_from_settings(settings, engine),
            keyring=lambda: DataKeyring.from_settings(settings),
            keep_raw=cfg.keep_raw,
            block_bytes=cfg.block_bytes,
        )

    # --- helpers ------------------------------------------------------------------------------
    def scrubber(self) -> Scrubber | None:
        """Built on first ingest, so reading datasets never needs the guard engine loaded."""
        if self._scrubber is None and self._scrubber_factory is not None:
            self._scrubber = self._scrubber_factory()
            self._scrubber_factory = None
        return self._scrubber

    def keyring(self) -> DataKeyring:
        """Opened on first use so read-only commands never create a key file."""
        if self._keyring is None:
            if self._keyring_factory is None:
                raise InvalidRequestError("no data keyring configured for this service")
            self._keyring = self._keyring_factory()
        return self._keyring

    def _allow(self, permission: str, target: str) -> None:
        authorize(self.store, self.actor, permission, target)

    def _audit(self, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        audit(self.store, self.actor.label, action, target, True, detail, role=self.actor.role)

    def resolve(self, ref: str | DatasetRef) -> tuple[str, int]:
        r = parse_ref(ref) if isinstance(ref, str) else ref
        if r.tag:
            return r.name, self.catalog.resolve_tag(r.name, r.tag)
        if r.version is not None:
            return r.name, r.version
        return r.name, self.loc.open(self.loc.uri(r.name), label=r.name).version()

    def _dataset(self, name: str, version: int) -> Any:
        dt = self.loc.open(self.loc.uri(name), version, label=name)
        return dt.to_pyarrow_dataset()

    # --- write --------------------------------------------------------------------------------
    def add(
        self,
        name: str,
        paths: list[Path],
        *,
        fmt: str | None = None,
        message: str | None = None,
        replace: bool = False,
        evolve: bool = False,
        on_bytes: Callable[[int], None] | None = None,
    ) -> VersionRecord:
        validate_name(name)
        self._allow("data.write", f"dataset:{name}")
        if not paths:
            raise InvalidRequestError("give at least one file to add")
        req = IngestRequest(name, paths, fmt, message, replace, evolve, self.actor.label)
        res = ingest(
            req,
            self.loc,
            scrubber=self.scrubber(),
            keyring=self.keyring() if self.keep_raw else None,
            keep_raw=self.keep_raw,
            block_bytes=self.block_bytes,
            on_bytes=on_bytes,
        )
        rec = VersionRecord(
            name,
            res.version,
            res.commit_id,
            res.operation,
            res.content_hash,
            res.schema_hash,
            res.row_count,
            res.rows_added,
            self.actor.label,
            message,
            res.sources,
            res.scrub,
            res.created_at,
        )
        self.catalog.record(rec)
        self._audit(
            f"data.{res.operation}",
            f"dataset:{name}@v{res.version}",
            {
                "rows_added": res.rows_added,
                "sources": [s["file"] for s in res.sources],
                "schema_change": res.schema_change,
                "raw_kept": res.raw_kept,
            },
        )
        return rec

    def tag(self, ref: str, tag: str) -> tuple[str, int]:
        name, version = self.resolve(ref)
        self._allow("data.write", f"dataset:{name}@v{version}")
        self.loc.open(self.loc.uri(name), version, label=name)
        parse_ref(f"{name}@{tag}")
        if tag.lstrip("v").isdigit():
            raise InvalidRequestError(f"tag '{tag}' looks like a version number; pick a name like release-1")
        self.catalog.set_tag(name, tag, version, self.actor.label)
        self._audit("data.tag", f"dataset:{name}@v{version}", {"tag": tag})
        return name, version

    def vacuum(self, name: str, *, retention_hours: int = 168, dry_run: bool = False) -> dict[str, Any]:
        validate_name(name)
        self._allow("data.vacuum", f"dataset:{name}")
        dt = self.loc.open(self.loc.uri(name), label=name)
        protected = self.catalog.protected_versions(name)
        keep = sorted({*protected, dt.version()})
        files = dt.vacuum(
            retention_hours=retention_hours,
            dry_run=dry_run,
            enforce_retention_duration=False,
            keep_versions=keep,
        )
        self._audit("data.vacuum", f"dataset:{name}", {"files": len(files), "dry_run": dry_run, "kept": keep})
        return {
            "dataset": name,
            "dry_run": dry_run,
            "files_removed": len(files),
            "kept_versions": {f"v{v}": protected.get(v, ["latest"]) for v in keep},
            "retention_hours": retention_hours,
        }

    # --- read ---------------------------------------------------------------------------------
    def datasets(self) -> list[dict[str, Any]]:
        self._allow("data.read_meta", "dataset:*")
        out = []
        for name in self.catalog.datasets():
            versions = self.catalog.versions(name)
            last = versions[-1]
            out.append(
                {
                    "dataset": name,
                    "latest": f"v{last.version}",
                    "rows": last.row_count,
                    "versions": len(versions),
                    "updated": last.created_at,
                }
            )
        return out

    def log(self, name: str) -> list[dict[str, Any]]:
        validate_name(name)
        self._allow("data.read_meta", f"dataset:{name}")
        self.loc.open(self.loc.uri(name), label=name)
        index = {r.version: r for r in self.catalog.versions(name)}
        tags: dict[int, list[str]] = {}
        for t, v in self.catalog.tags(name).items():
            tags.setdefault(v, []).append(t)
        out = []
        for entry in self.loc.history(self.loc.uri(name)):
            v = int(entry["version"])
            meta = commit_meta(entry)
            rec = index.get(v)
            out.append(
                {
                    "version": v,
                    "ts": entry.get("timestamp", 0) / 1000,
                    "operation": meta.get("operation") or str(entry.get("operation", "")).lower(),
                    "author": meta.get("author") or entry.get("userName") or "-",
                    "message": meta.get("message"),
                    "rows_added": meta.get("rows_added"),
                    "row_count": rec.row_count if rec else None,
                    "content_hash": rec.content_hash if rec else None,
                    "schema_hash": meta.get("schema_hash"),
                    "tags": sorted(tags.get(v, [])),
                    "pii": (meta.get("scrub") or {}).get("entities"),
                }
            )
        return out

    def show(self, ref: str, *, rows: int = 0) -> dict[str, Any]:
        name, version = self.resolve(ref)
        self._allow("data.read_meta", f"dataset:{name}@v{version}")
        if rows:
            self._allow("data.read", f"dataset:{name}@v{version}")
        dt = self.loc.open(self.loc.uri(name), version, label=name)
        rec = self.catalog.get(name, version)
        meta = next(
            (commit_meta(e) for e in self.loc.history(self.loc.uri(name)) if int(e["version"]) == version), {}
        )
        schema = self.loc.user_schema(dt)
        out: dict[str, Any] = {
            "dataset": name,
            "version": version,
            "schema": {f.name: canonical_type(f.type) for f in schema},
            "tags": sorted(t for t, v in self.catalog.tags(name).items() if v == version),
            **({k: v for k, v in rec.to_dict().items() if k not in ("dataset", "version")} if rec else meta),
        }
        if rows:
            out["rows"] = read_rows(dt.to_pyarrow_dataset(), rows)
            self._audit("data.read", f"dataset:{name}@v{version}", {"rows": rows})
        return out

    def diff(self, ref_a: str, ref_b: str, *, sample: int = 5) -> dict[str, Any]:
        name_a, va = self.resolve(ref_a)
        name_b, vb = self.resolve(ref_b)
        self._allow("data.read_meta", f"dataset:{name_a}@v{va}")
        self._allow("data.read_meta", f"dataset:{name_b}@v{vb}")
        if sample and not check(self.actor.role, "data.read"):
            sample = 0  # metadata-only roles see counts, not rows
        t0 = time.perf_counter()
        out = diff_versions(self._dataset(name_a, va), self._dataset(name_b, vb), sample=sample)
        out.update(
            {"a": f"{name_a}@v{va}", "b": f"{name_b}@v{vb}", "seconds": round(time.perf_counter() - t0, 3)}
        )
        if sample:
            self._audit("data.read", f"dataset:{name_b}@v{vb}", {"diff_against": f"{name_a}@v{va}"})
        return out

    def export(
        self, ref: str, out: Path, *, fmt: str | None = None, on_rows: Callable[[int], None] | None = None
    ) -> int:
        name, version = self.resolve(ref)
        self._allow("data.read", f"dataset:{name}@v{version}")
        n = export_rows(self._dataset(name, version), out, fmt, on_rows)
        self._audit("data.export", f"dataset:{name}@v{version}", {"rows": n, "file": out.name})
        return n

    def read_raw(self, ref: str) -> pa.Table:
        """The unscrubbed rows that version's commit ingested (data-admin only, decrypted here)."""
        name, version = self.resolve(ref)
        self._allow("data.read_raw", f"dataset:{name}@v{version}")
        rec = self.catalog.get(name, version)
        raw_uri = self.loc.raw_uri(name)
        if rec is None or not self.loc.exists(raw_uri):
            raise NotFoundError(
                f"{name}@v{version} has no raw zone (data.keep_raw was off when it was added)"
            )
        keyring = self.keyring()
        ds = self.loc.open(raw_uri).to_pyarrow_dataset()
        t = ds.to_table(filter=pc.field("commit_id") == rec.commit_id).sort_by("seq")
        parts = []
        for blob in t.column("blob").to_pylist():
            with pa.ipc.open_stream(keyring.decrypt(blob)) as r:
                parts.append(r.read_all())
        if not parts:
            raise NotFoundError(f"{name}@v{version} has no raw rows")
        self._audit("data.read_raw", f"dataset:{name}@v{version}", {"rows": sum(p.num_rows for p in parts)})
        return pa.concat_tables(parts, promote_options="default")
