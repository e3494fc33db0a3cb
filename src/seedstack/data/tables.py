"""Where dataset tables live: one Delta table per dataset under the root, the raw zone beside it.

The root is a local directory or an object-store URI (s3://, gs://, az://; R2 and MinIO through
an S3 endpoint in ``storage_options``); delta-rs does the I/O, so every engine that reads Delta
(Spark, DuckDB, Polars) can read the same tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from ..errors import InvalidRequestError, NotFoundError
from .errors import ConcurrentWriteError
from .schema import user_schema

__all__ = ["NAME_RULE", "DatasetRef", "TableLocation", "parse_ref", "validate_name"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
NAME_RULE = "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"


def validate_name(name: str) -> str:
    if not _NAME.match(name) or name.startswith("_raw"):
        raise InvalidRequestError(f"dataset name '{name}' is not allowed: use {NAME_RULE}")
    return name


@dataclass(frozen=True)
class DatasetRef:
    """``NAME``, ``NAME@v3``, ``NAME@3`` or ``NAME@<tag>``; ``version`` None means the latest."""

    name: str
    version: int | None = None
    tag: str | None = None

    def __str__(self) -> str:
        if self.tag:
            return f"{self.name}@{self.tag}"
        return self.name if self.version is None else f"{self.name}@v{self.version}"


def parse_ref(text: str) -> DatasetRef:
    name, _, at = text.partition("@")
    validate_name(name)
    if not at:
        return DatasetRef(name)
    m = re.fullmatch(r"v?(\d+)", at)
    if m:
        return DatasetRef(name, int(m.group(1)))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", at):
        raise InvalidRequestError(f"'{text}' is not a dataset reference: use NAME, NAME@v3 or NAME@<tag>")
    return DatasetRef(name, tag=at)


@dataclass(frozen=True)
class TableLocation:
    root: str
    storage_options: dict[str, str] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return "://" not in self.root or self.root.startswith("file://")

    def uri(self, name: str) -> str:
        return f"{self.root.rstrip('/')}/{name}"

    def raw_uri(self, name: str) -> str:
        return f"{self.root.rstrip('/')}/_raw/{name}"

    def _opts(self) -> dict[str, str] | None:
        return dict(self.storage_options) or None

    def exists(self, uri: str) -> bool:
        if self.is_local and not Path(uri.removeprefix("file://")).exists():
            return False
        return DeltaTable.is_deltatable(uri, storage_options=self._opts())

    def open(self, uri: str, version: int | None = None, *, label: str | None = None) -> DeltaTable:
        try:
            dt = DeltaTable(uri, storage_options=self._opts())
        except TableNotFoundError:
            raise NotFoundError(
                f"no dataset '{label or uri}'; create it with: seedstack data add NAME FILE"
            ) from None
        if version is not None:
            latest = dt.version()
            if version < 0 or version > latest:
                raise NotFoundError(f"{label or uri} has no version v{version} (latest is v{latest})")
            try:
                dt.load_as_version(version)
            except Exception as exc:  # delta-rs raises several types here
                raise NotFoundError(f"{label or uri}@v{version} is no longer readable: {exc}") from None
        return dt

    def history(self, uri: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Delta history with correct version numbers, even while another writer commits.

        delta-rs numbers history entries by counting down from the version it loaded, but lists
        the log later; a commit landing in between shifts every number by one. Re-read until the
        table version is the same before and after the listing.
        """
        for _ in range(20):
            dt = self.open(uri)
            before = dt.version()
            entries = dt.history(limit)
            dt.update_incremental()
            if dt.version() == before and (not entries or int(entries[0]["version"]) == before):
                return entries
        raise ConcurrentWriteError("the dataset is being written too fast to read its log; try again")

    def schema(self, dt: DeltaTable) -> pa.Schema:
        return pa.schema(dt.schema().to_arrow())

    def user_schema(self, dt: DeltaTable) -> pa.Schema:
        return user_schema(self.schema(dt))

    def write_kwargs(self) -> dict[str, Any]:
        return {"storage_options": self._opts()}
