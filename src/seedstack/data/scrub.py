"""The PII scrub seam: datasets are scrubbed by the guard engine before a row is written.

``Scrubber`` is the one thing the ingest pipeline knows about; ``GuardScrubber`` adapts the guard
engine (``scan`` / ``redact``) to Arrow columns. There is deliberately no detector here: the data
layer uses the same engine the gateway uses, so a PII rule fixed once is fixed everywhere.

Speed comes from three things: each distinct string is scanned once (roles and system prompts
repeat on every row); distinct strings are joined with a separator and scanned ~1M characters per
engine call, findings mapped back by offset; and only values holding PII are rewritten, the rest
stay in Arrow buffers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..errors import ConfigError

__all__ = ["GuardScrubber", "PiiEngine", "ScrubReport", "Scrubber", "scrubber_from_settings"]

# A record separator no detector reaches across: PII rules look up to 48 characters back for context
# ("call me at"), so the separator must be longer than that.
_SEP = "\n" * 64


@runtime_checkable
class PiiEngine(Protocol):
    """What the data layer needs from ``seedstack.guard.GuardEngine``."""

    def scan(self, text: str, *, detectors: set[str] | None = None) -> list[Any]: ...
    def redact(
        self, text: str, findings: list[Any], *, mode: str = "placeholder", hmac_key: bytes | None = None
    ) -> str: ...


@dataclass
class ScrubReport:
    """What the scrub did to one version: stored in the Delta commit and the version index."""

    policy: str
    policy_hash: str
    engine: str
    entities: Counter[str] = field(default_factory=Counter)
    values_changed: int = 0
    rows_with_pii: int = 0
    rows_dropped: int = 0
    rows_seen: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "policy_hash": self.policy_hash,
            "engine": self.engine,
            "entities": dict(sorted(self.entities.items())),
            "values_changed": self.values_changed,
            "rows_with_pii": self.rows_with_pii,
            "rows_dropped": self.rows_dropped,
            "rows_seen": self.rows_seen,
        }


class Scrubber(Protocol):
    def new_report(self) -> ScrubReport: ...
    def scrub(self, table: pa.Table, report: ScrubReport) -> pa.Table: ...


class GuardScrubber:
    """Scrub text columns (nested lists/structs included) with a guard engine."""

    def __init__(
        self,
        engine: PiiEngine,
        *,
        policy: str = "redact",
        hmac_key: bytes | None = None,
        entities: list[str] | None = None,
        columns: list[str] | None = None,
        engine_version: str | None = None,
    ) -> None:
        if policy not in ("redact", "pseudonymize", "drop"):
            raise ConfigError(f"unknown scrub policy '{policy}': use redact, pseudonymize or drop")
        if policy == "pseudonymize" and not hmac_key:
            raise ConfigError(
                'data.scrub.policy=pseudonymize needs data.scrub.hmac_key, e.g. {"$env": "SEEDSTACK_PII_HMAC_KEY"}'
            )
        self.engine = engine
        self.policy = policy
        self.hmac_key = hmac_key
        self.entities = set(entities) if entities else None
        self.columns = set(columns) if columns else None
        # Stay under the engine's own scan ceiling (it samples beyond it) and keep calls ~1M chars.
        self._chunk_chars = max(1 << 12, min(1 << 20, int(getattr(engine, "max_scan_chars", 1 << 21)) // 2))
        # The engine's own version when it has one; else its class and the seedstack release, so a
        # report still says which detector rules ran.
        self.engine_version = engine_version or str(
            getattr(engine, "version", None) or f"{type(engine).__name__}/seedstack-{__version__}"
        )
        spec = {
            "policy": policy,
            "entities": sorted(self.entities or []),
            "columns": sorted(self.columns or []),
            # The HMAC key changes every token, so it is part of the policy, but only as a digest.
            "hmac_key": hashlib.sha256(hmac_key).hexdigest()[:12] if hmac_key else None,
        }
        self.policy_hash = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]

    def new_report(self) -> ScrubReport:
        return ScrubReport(self.policy, self.policy_hash, self.engine_version)

    def scrub(self, table: pa.Table, report: ScrubReport) -> pa.Table:
        report.rows_seen += table.num_rows
        hit_rows = np.zeros(table.num_rows, dtype=bool)
        cols = []
        for name, col in zip(table.column_names, table.columns, strict=True):
            if self.columns is not None and name not in self.columns:
                cols.append(col)
                continue
            arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
            new, hits = self._scrub_array(arr, report)
            hit_rows |= hits
            cols.append(new)
        out = pa.Table.from_arrays(cols, schema=table.schema)
        n_hit = int(hit_rows.sum())
        report.rows_with_pii += n_hit
        if self.policy == "drop" and n_hit:
            report.rows_dropped += n_hit
            return table.filter(pa.array(~hit_rows))
        return out

    # --- per type ---------------------------------------------------------------------------
    def _scrub_array(self, arr: pa.Array, report: ScrubReport) -> tuple[pa.Array, np.ndarray]:
        t = arr.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return self._scrub_strings(arr, report)
        if pa.types.is_struct(t):
            children, hits = [], np.zeros(len(arr), dtype=bool)
            for i in range(t.num_fields):
                child, h = self._scrub_array(arr.field(i), report)
                children.append(child)
                hits |= h
            mask = arr.is_null() if arr.null_count else None
            fields = [t.field(i) for i in range(t.num_fields)]
            return pa.StructArray.from_arrays(children, fields=fields, mask=mask), hits
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            offsets = arr.offsets
            values = arr.values
            start, stop = offsets[0].as_py(), offsets[-1].as_py()
            child, child_hits = self._scrub_array(values.slice(start, stop - start), report)
            off = pc.subtract(offsets, pa.scalar(start, offsets.type))
            hits = np.zeros(len(arr), dtype=bool)
            idx = np.nonzero(child_hits)[0]
            if len(idx):
                owners = np.searchsorted(off.to_numpy(), idx, side="right") - 1
                hits[owners] = True
            cls = pa.LargeListArray if pa.types.is_large_list(t) else pa.ListArray
            mask = arr.is_null() if arr.null_count else None
            return cls.from_arrays(off, child, type=t, mask=mask), hits
        return arr, np.zeros(len(arr), dtype=bool)

    def _scrub_strings(self, arr: pa.Array, report: ScrubReport) -> tuple[pa.Array, np.ndarray]:
        hits = np.zeros(len(arr), dtype=bool)
        if len(arr) == 0 or arr.null_count == len(arr):
            return arr, hits
        # Scan each distinct string once: roles, system prompts and templates repeat on every row.
        enc = pc.dictionary_encode(arr)
        uniq, codes = enc.dictionary, enc.indices
        uhits, found = self._scan_unique(uniq)
        if not uhits.any():
            return arr, hits
        code_np = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False)
        valid = code_np >= 0
        hits[valid] = uhits[code_np[valid]]
        occurrences = np.bincount(code_np[valid], minlength=len(uniq))
        for u, fs in found.items():
            for f in fs:
                report.entities[str(f.type)] += int(occurrences[u])
        if self.policy == "drop":
            return arr, hits
        report.values_changed += int(hits.sum())
        idx = np.nonzero(uhits)[0]
        mode = "hmac" if self.policy == "pseudonymize" else "placeholder"
        replacements = []
        for u in idx.tolist():
            value = uniq[u].as_py()
            replacements.append(self.engine.redact(value, found[u], mode=mode, hmac_key=self.hmac_key))
        new_uniq = pc.replace_with_mask(uniq, pa.array(uhits), pa.array(replacements, type=uniq.type))
        return pc.take(new_uniq, codes), hits

    def _scan_unique(self, uniq: pa.Array) -> tuple[np.ndarray, dict[int, list[Any]]]:
        """Which distinct values hold PII, with findings in each value's own coordinates.

        One engine call per ~1M characters; the findings are reused for redaction, so a value
        is never scanned twice.
        """
        lengths = pc.utf8_length(uniq).to_numpy(zero_copy_only=False).astype(np.int64)
        uhits = np.zeros(len(uniq), dtype=bool)
        found: dict[int, list[Any]] = {}
        cap = self._chunk_chars
        ends = np.cumsum(lengths + len(_SEP))
        edges = [0]
        while edges[-1] < len(uniq):
            a = edges[-1]
            base = ends[a - 1] if a else 0
            edges.append(max(a + 1, int(np.searchsorted(ends, base + cap, side="right"))))
        edges[-1] = min(edges[-1], len(uniq))
        for a, b in itertools.pairwise(edges):
            part = uniq.slice(a, b - a)
            plen = lengths[a:b]
            starts = np.concatenate(([0], np.cumsum(plen + len(_SEP))[:-1]))
            joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(part)], pa.int32()), part), _SEP)
            text = joined[0].as_py() or ""
            findings = [f for f in self._scan(text) if self._wanted(f)]
            if not findings:
                continue
            owners = np.searchsorted(starts, np.array([f.start for f in findings]), side="right") - 1
            for f, i in zip(findings, owners.tolist(), strict=True):
                begin, size = int(starts[i]), int(plen[i])
                if f.start >= begin + size:
                    continue  # a match that began inside the separator
                uhits[a + i] = True
                found.setdefault(a + i, []).append(_moved(f, f.start - begin, min(f.end - begin, size)))
        return uhits, found

    def _scan(self, text: str) -> list[Any]:
        """Scan ``text`` whole: the engine samples head and tail of huge texts, so longer ones are
        cut here into overlapping windows it scans completely."""
        if len(text) <= self._chunk_chars * 2:
            return self.engine.scan(text, detectors={"pii"})
        win, overlap = self._chunk_chars, 4096
        seen: dict[tuple[int, int, str], Any] = {}
        for off in range(0, len(text), win - overlap):
            for f in self.engine.scan(text[off : off + win], detectors={"pii"}):
                key = (f.start + off, f.end + off, str(f.type))
                if key not in seen:
                    seen[key] = _shifted(f, off)
            if off + win >= len(text):
                break
        return sorted(seen.values(), key=lambda f: f.start)

    def _wanted(self, finding: Any) -> bool:
        return self.entities is None or str(finding.type) in self.entities


def _moved(finding: Any, start: int, end: int) -> Any:
    """The same finding at new offsets (the guard's Finding is a frozen dataclass)."""
    if finding.start == start and finding.end == end:
        return finding
    if dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        f: Any = finding
        return dataclasses.replace(f, start=start, end=end)
    return type(finding)(finding.detector, finding.type, start, end, finding.score)


def _shifted(finding: Any, offset: int) -> Any:
    return _moved(finding, finding.start + offset, finding.end + offset)


def scrubber_from_settings(settings: Any, engine: PiiEngine | None = None) -> GuardScrubber | None:
    """The configured scrubber, or None when ``data.scrub.policy`` is ``off``."""
    cfg = settings.data.scrub
    if cfg.policy == "off":
        return None
    if engine is None:
        try:
            from ..guard import GuardEngine  # lazily: reading datasets never loads the engine
        except ImportError:
            raise ConfigError(
                "PII scrub needs the guard engine (seedstack.guard), which is not available in this install; "
                "set data.scrub.policy: off only for data that holds no personal data"
            ) from None
        try:
            engine = cast(PiiEngine, GuardEngine.default())
        except Exception as exc:  # a broken engine must stop ingest loudly, not let PII through
            raise ConfigError(
                f"the guard engine failed to load ({type(exc).__name__}: {exc}); nothing was ingested"
            ) from None
    key = cfg.hmac_key.get_secret_value().encode() if cfg.hmac_key else None
    return GuardScrubber(engine, policy=cfg.policy, hmac_key=key, entities=cfg.entities, columns=cfg.columns)
