"""``seedstack models …``: register, list, show, promote, lineage."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from ..registry import QUANTIZATIONS, STAGES, ModelRegistry, lineage
from ._common import ConfigOption, console, friendly_errors, open_cli_store, settings_from
from .audit import KeyOption, acting_actor

__all__ = ["models_app"]

models_app = typer.Typer(help="Model registry: versions, stages, dataset lineage.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def _dump(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, default=str))


@models_app.command("register")
@friendly_errors
def register(
    name: str,
    version: Annotated[str, typer.Option("--version", help="immutable version label, e.g. 3 or 2026-11-27")],
    artifact: Annotated[str, typer.Option(help="URI of the weights (s3://…, hf://…, file path)")],
    sha256: Annotated[str | None, typer.Option("--sha256", help="SHA-256 of the artifact")] = None,
    base_model: Annotated[str | None, typer.Option("--base-model", help="e.g. llama-3.1-8b-instruct")] = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help="NAME@vN (repeatable)")] = None,
    quantization: Annotated[str | None, typer.Option(help="|".join(QUANTIZATIONS))] = None,
    backend: Annotated[str | None, typer.Option(help="gateway backend (alias/backend) serving it")] = None,
    as_json: JsonOption = False,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Register a model version, pinned to the exact dataset versions it was trained on."""
    with open_cli_store(settings_from(config)) as store:
        mv = ModelRegistry(store, acting_actor(store, key)).register(
            name,
            version,
            artifact=artifact,
            sha256=sha256,
            base_model=base_model,
            datasets=dataset or [],
            quantization=quantization,
            backend=backend,
        )
    if as_json:
        _dump(mv.to_dict())
        return
    console.print(f"registered {mv.ref} ({mv.stage}); datasets: {', '.join(mv.datasets) or 'none'}")


@models_app.command("list")
@friendly_errors
def list_(
    name: Annotated[str | None, typer.Argument()] = None,
    as_json: JsonOption = False,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Registered model versions."""
    with open_cli_store(settings_from(config)) as store:
        models = ModelRegistry(store, acting_actor(store, key)).list(name)
    if as_json:
        _dump([m.to_dict() for m in models])
        return
    table = Table("model", "stage", "base", "quant", "backend", "datasets", "registered (UTC)")
    for m in models:
        table.add_row(
            m.ref,
            m.stage,
            m.base_model or "-",
            m.quantization or "-",
            m.backend or "-",
            ", ".join(m.datasets) or "-",
            dt.datetime.fromtimestamp(m.created_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@models_app.command("show")
@friendly_errors
def show(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")],
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """One model version (artifact URI only for roles allowed to read it)."""
    with open_cli_store(settings_from(config)) as store:
        mv = ModelRegistry(store, acting_actor(store, key)).show(ref)
    out = mv.to_dict()
    if mv.artifact is None:
        out["artifact"] = out["sha256"] = "(hidden: needs models.read_artifact)"
    _dump(out)


@models_app.command("promote")
@friendly_errors
def promote(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")],
    stage: Annotated[str, typer.Option(help="|".join(STAGES))] = "production",
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Move a version to a stage; promoting to production archives the previous production version."""
    with open_cli_store(settings_from(config)) as store:
        mv = ModelRegistry(store, acting_actor(store, key)).promote(ref, stage)
    console.print(f"{mv.ref} is now {mv.stage}")


@models_app.command("lineage")
@friendly_errors
def lineage_cmd(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")],
    as_json: JsonOption = False,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Datasets and versions, their scrub reports, eval results and the traffic this version served."""
    with open_cli_store(settings_from(config)) as store:
        out = lineage(store, acting_actor(store, key), ref)
    if as_json:
        _dump(out)
        return
    m = out["model"]
    console.print(
        f"[bold]{m['ref']}[/] ({m['stage']}) base={m['base_model'] or '-'} quant={m['quantization'] or '-'} "
        f"backend={m['backend'] or '-'}"
    )
    for d in out["datasets"]:
        scrub = d["scrub"] or {}
        pii = ", ".join(f"{k}={v}" for k, v in (scrub.get("entities") or {}).items()) or "none found"
        console.print(
            f"  dataset {d['dataset']}: {d['rows'] or 0:,} rows, content {str(d['content_hash'])[:12]}, "
            f"scrub {scrub.get('policy', 'off')} (policy {scrub.get('policy_hash', '-')}, "
            f"engine {scrub.get('engine', '-')}): {pii}",
            highlight=False,
        )
    for e in out["evals"]:
        console.print(f"  eval {e['suite']} ({e['n_cases']} cases): {e['aggregates']}", highlight=False)
    if not out["evals"]:
        console.print("  evals: none recorded yet")
    t = out["traffic"]
    console.print(f"  traffic: {t['requests']:,} requests, ${t['cost_usd']:.4f}, {t['errors']} errors")
