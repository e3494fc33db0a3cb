"""``seedstack data …``: versioned datasets, and ``keys rotate-data-key`` (mounted under ``keys``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from ..config import Settings
from ..crypto import DataKeyring
from ..data import DatasetService, rotate_data_key
from ..store import Store
from ._common import ConfigOption, console, err_console, friendly_errors, open_cli_store, settings_from
from .audit import KeyOption, acting_actor

__all__ = ["data_app", "rotate_data_key_cmd"]

data_app = typer.Typer(
    help="Versioned, schema-strict, PII-scrubbed datasets (Delta Lake).", no_args_is_help=True
)
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


@contextmanager
def _service(config: Path | None, key: str | None) -> Iterator[tuple[DatasetService, Settings, Store]]:
    settings = settings_from(config)
    with open_cli_store(settings) as store:
        yield DatasetService.from_settings(settings, store, acting_actor(store, key)), settings, store


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def _dump(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


@data_app.command("add")
@friendly_errors
def add(
    name: Annotated[str, typer.Argument(help="dataset name")],
    paths: Annotated[list[Path], typer.Argument(help="input files (JSONL, CSV or Parquet)")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl|csv|parquet (default: by suffix)")
    ] = None,
    message: Annotated[str | None, typer.Option("-m", "--message", help="why this version exists")] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="replace the content (still a new version)")
    ] = False,
    evolve: Annotated[bool, typer.Option("--evolve", help="allow new nullable columns")] = False,
    as_json: JsonOption = False,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Ingest files as a new version: strict schema, PII scrubbed on the way in, never overwriting."""
    with _service(config, key) as (svc, _, _):
        total = sum(p.stat().st_size for p in paths if p.is_file())
        with _progress() as bar:
            task = bar.add_task(f"adding {name}", total=total)
            rec = svc.add(
                name,
                paths,
                fmt=fmt,
                message=message,
                replace=replace,
                evolve=evolve,
                on_bytes=lambda n: bar.advance(task, n),
            )
    if as_json:
        _dump(rec.to_dict())
        return
    pii = (rec.scrub or {}).get("entities") or {}
    console.print(
        f"{name}@v{rec.version}: {rec.operation}, +{rec.rows_added:,} rows ({rec.row_count:,} total), "
        f"content {rec.content_hash[:12]}, PII scrubbed: "
        + (", ".join(f"{k}={v}" for k, v in pii.items()) if rec.scrub else "off")
        + (f", rows dropped: {rec.scrub['rows_dropped']}" if rec.scrub and rec.scrub["rows_dropped"] else "")
    )


@data_app.command("list")
@friendly_errors
def list_(as_json: JsonOption = False, key: KeyOption = None, config: ConfigOption = None) -> None:
    """Datasets in this store, with their latest version."""
    with _service(config, key) as (svc, _, _):
        rows = svc.datasets()
    if as_json:
        _dump(rows)
        return
    table = Table("dataset", "latest", "rows", "versions", "updated (UTC)")
    for r in rows:
        table.add_row(r["dataset"], r["latest"], f"{r['rows']:,}", str(r["versions"]), _when(r["updated"]))
    console.print(table)


@data_app.command("log")
@friendly_errors
def log(name: str, as_json: JsonOption = False, key: KeyOption = None, config: ConfigOption = None) -> None:
    """Every version of a dataset, newest first."""
    with _service(config, key) as (svc, _, _):
        entries = svc.log(name)
    if as_json:
        _dump(entries)
        return
    table = Table(
        "version", "time (UTC)", "op", "author", "rows", "+rows", "content", "PII", "tags", "message"
    )
    for e in entries:
        pii = ", ".join(f"{k}={v}" for k, v in (e["pii"] or {}).items())
        table.add_row(
            f"v{e['version']}",
            _when(e["ts"]),
            e["operation"],
            e["author"],
            f"{e['row_count']:,}" if e["row_count"] is not None else "-",
            f"{e['rows_added']:,}" if e["rows_added"] is not None else "-",
            (e["content_hash"] or "-")[:12],
            pii or "-",
            ",".join(e["tags"]),
            e["message"] or "",
        )
    console.print(table)


@data_app.command("show")
@friendly_errors
def show(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@v3 or NAME@<tag>")],
    rows: Annotated[int, typer.Option(help="also print the first N rows (needs data.read)")] = 0,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """One version: schema, hashes, sources, scrub report (JSON)."""
    with _service(config, key) as (svc, _, _):
        _dump(svc.show(ref, rows=rows))


@data_app.command("diff")
@friendly_errors
def diff(
    a: Annotated[str, typer.Argument(help="older version, e.g. chats@v2")],
    b: Annotated[str, typer.Argument(help="newer version, e.g. chats@v3")],
    sample: Annotated[int, typer.Option(help="sample rows added/removed to show")] = 5,
    as_json: JsonOption = False,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Schema diff, rows added and removed (by content hash), and a sample."""
    with _service(config, key) as (svc, _, _):
        out = svc.diff(a, b, sample=sample)
    if as_json:
        _dump(out)
        return
    console.print(f"[bold]{out['a']} -> {out['b']}[/]  ({out['seconds']} s)")
    s = out["schema"]
    for label, items in (("+ column", s["added"]), ("- column", s["removed"]), ("~ column", s["changed"])):
        for item in items:
            console.print(f"  {label} {item}", highlight=False)
    console.print(
        f"  rows: {out['rows_before']:,} -> {out['rows_after']:,}  "
        f"[green]+{out['rows_added']:,}[/] [red]-{out['rows_removed']:,}[/]  "
        f"unchanged {out['rows_unchanged']:,}"
    )
    for label, key_ in (("added", "sample_added"), ("removed", "sample_removed")):
        for row in out.get(key_, []):
            console.print(f"  {label}: {json.dumps(row, default=str)[:160]}", highlight=False)


@data_app.command("export")
@friendly_errors
def export(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@v3 or NAME@<tag>")],
    out: Annotated[Path, typer.Option("-o", "--output", help="file to write (.jsonl or .parquet)")],
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl|parquet (default: by suffix)")] = None,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Write one version's (scrubbed) rows to JSONL or Parquet."""
    with _service(config, key) as (svc, _, _):
        name, version = svc.resolve(ref)
        rec = svc.catalog.get(name, version)
        total = rec.row_count if rec else None
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task(f"exporting {name}@v{version}", total=total)
            n = svc.export(ref, out, fmt=fmt, on_rows=lambda k: bar.advance(task, k))
    console.print(f"wrote {n:,} rows of {name}@v{version} to {out}")


@data_app.command("tag")
@friendly_errors
def tag(
    ref: str,
    tag_name: Annotated[str, typer.Argument(metavar="TAG")],
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Name a version (tags never move; vacuum keeps tagged versions)."""
    with _service(config, key) as (svc, _, _):
        name, version = svc.tag(ref, tag_name)
    console.print(f"{name}@{tag_name} -> v{version}")


@data_app.command("vacuum")
@friendly_errors
def vacuum(
    name: str,
    retention_hours: Annotated[int, typer.Option(help="keep files younger than this")] = 168,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count the files")] = False,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Delete files only old, untagged, unreferenced versions use (tagged and model versions stay)."""
    with _service(config, key) as (svc, _, _):
        out = svc.vacuum(name, retention_hours=retention_hours, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    console.print(f"{name}: {verb} {out['files_removed']} file(s); kept:")
    for v, why in out["kept_versions"].items():
        console.print(f"  {v}: {', '.join(why)}", highlight=False)


@data_app.command("raw")
@friendly_errors
def raw(
    ref: str,
    out: Annotated[Path, typer.Option("-o", "--output", help="Parquet file to write")],
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Decrypt the raw (unscrubbed) rows a version ingested: data-admin only, always audited."""
    import pyarrow.parquet as pq

    with _service(config, key) as (svc, _, _):
        table = svc.read_raw(ref)
    pq.write_table(table, out)
    console.print(f"wrote {table.num_rows:,} raw rows to {out} (handle as production data)")


@friendly_errors
def rotate_data_key_cmd(
    as_json: JsonOption = False, key: KeyOption = None, config: ConfigOption = None
) -> None:
    """Re-encrypt sampled payloads and every raw zone under a new data key, then retire the old one."""
    settings = settings_from(config)
    with open_cli_store(settings) as store:
        actor = acting_actor(store, key)
        svc = DatasetService.from_settings(settings, store, actor)
        result = rotate_data_key(store, DataKeyring.from_settings(settings), svc.loc, actor)
    if as_json:
        _dump(result)
        return
    console.print(
        f"data key {result['previous_key']} -> {result['active_key']}: "
        f"{result['payloads_reencrypted']} payload(s), "
        f"{sum(result['raw_batches_reencrypted'].values())} raw batch(es) re-encrypted; "
        f"retired {len(result['retired_keys'])} key(s)"
    )
    if result["note"]:
        console.print(result["note"])
