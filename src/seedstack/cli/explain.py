"""``seedstack why | search | traces show | gc | slo | drift``: from a complaint to its cause."""

from __future__ import annotations

import time
from typing import Annotated

import orjson
import typer
from rich.table import Table

from ..explain.drift import detect_drift
from ..explain.embed import make_embedder
from ..explain.filters import SearchFilters, parse_since
from ..explain.gc import collect_garbage
from ..explain.hybrid_search import search
from ..explain.index import sync_index
from ..explain.payload import keyring_decryptor
from ..explain.slo import evaluate_slos
from ..explain.traces import TraceStep, load_trace
from ._common import ConfigOption, console, friendly_errors, open_cli_store, settings_from
from .why import JsonOption, why
from .why_story import _dump, _ms, _trace_tree, _when

__all__ = ["app", "mount", "traces_app"]

app = typer.Typer(help="Observability: why, search, traces, SLOs, drift, retention.", no_args_is_help=True)
traces_app = typer.Typer(help="Agent traces grouped by traceparent / x-seedstack-trace-id.", no_args_is_help=True)

app.command("why")(why)


@app.command("search")
@friendly_errors
def search_cmd(
    query: Annotated[str, typer.Argument(help="complaint text, e.g. 'refund was denied' (may be empty)")] = "",
    customer: Annotated[str | None, typer.Option(help="customer id")] = None,
    key: Annotated[str | None, typer.Option(help="API key id")] = None,
    alias: Annotated[str | None, typer.Option(help="model alias")] = None,
    template: Annotated[str | None, typer.Option(help="prompt template name")] = None,
    status: Annotated[str | None, typer.Option(help="ok, error or an HTTP code")] = None,
    min_latency: Annotated[float | None, typer.Option("--min-latency", help="ms")] = None,
    max_latency: Annotated[float | None, typer.Option("--max-latency", help="ms")] = None,
    since: Annotated[str | None, typer.Option(help="how far back: 30m, 36h, 2d, 1w")] = None,
    until: Annotated[str | None, typer.Option(help="ignore the most recent: 30m, 1d …")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 10,
    reindex: Annotated[
        bool, typer.Option("--reindex", help="check every payload for the index, not the last day")
    ] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find requests from a complaint: keyword + semantic search over sampled payloads, with filters."""
    settings = settings_from(config)
    now = time.time()
    filters = SearchFilters(
        customer=customer,
        key_id=key,
        alias=alias,
        template=template,
        status=status,
        min_latency_ms=min_latency,
        max_latency_ms=max_latency,
        since=parse_since(since, now),
        until=parse_since(until, now),
    )
    cfg = settings.observability.search
    embedder = make_embedder(cfg.embedder, cfg.sentence_model)
    decrypt = keyring_decryptor(settings)
    with open_cli_store(settings) as store:
        sync_index(store, embedder=embedder, decrypt=decrypt, lookback_s=None if reindex else 86400.0)
        hits = search(store, query, filters, limit=limit, embedder=embedder, max_scan=cfg.max_scan, decrypt=decrypt)
    if as_json:
        _dump([h.to_dict() for h in hits])
        return
    if not hits:
        console.print(
            "no sampled request matches; widen --since or drop a filter "
            "(only sampled payloads are searchable; `seedstack requests` lists all metadata)"
        )
        return
    t = Table(title=f"{len(hits)} matches for {query!r}" if query else f"{len(hits)} latest sampled requests")
    for col in (
        "#",
        "request",
        "when (UTC)",
        "customer",
        "template",
        "status",
        "latency",
        "match",
        "snippet",
    ):
        t.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        t.add_row(
            str(i),
            h.request_id,
            _when(h.ts),
            h.customer or "-",
            h.template or "-",
            str(h.status_code),
            _ms(h.latency_ms),
            "+".join(h.matched) or "-",
            h.snippet,
        )
    console.print(t)
    console.print("[dim]next: seedstack why <request>[/]")


@traces_app.command("show")
@friendly_errors
def traces_show(trace_id: str, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Print a trace as a tree: calls nested by parent, tool calls and results as steps."""
    settings = settings_from(config)
    with open_cli_store(settings) as store:
        steps: list[TraceStep] = load_trace(store, trace_id, decrypt=keyring_decryptor(settings))
    data = [s.to_dict() for s in steps]
    _dump(data) if as_json else console.print(_trace_tree(trace_id, data))


@app.command("gc")
@friendly_errors
def gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would go, delete nothing")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apply retention: delete payloads and metadata older than their configured periods."""
    settings = settings_from(config)
    with open_cli_store(settings) as store:
        res = collect_garbage(store, settings.observability.retention, dry_run=dry_run)
    if as_json:
        _dump(res.to_dict())
        return
    verb = "would delete" if dry_run else "deleted"
    r = settings.observability.retention
    console.print(
        f"{verb} {res.payloads} payloads (older than {r.payload_days:g} days) and {res.requests} "
        f"request records (older than {r.metadata_days:g} days)"
    )


@app.command("slo")
@friendly_errors
def slo(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """SLO status, error budget and burn rate; the guide's p99 rule with its evidence."""
    settings = settings_from(config)
    with open_cli_store(settings) as store:
        statuses = evaluate_slos(store, settings)
    if as_json:
        _dump([s.to_dict() for s in statuses])
        return
    t = Table(title="SLOs")
    for col in (
        "slo",
        "objective",
        "window",
        "requests",
        "good",
        "met",
        "budget left",
        "burn 1h",
        "p50/p95/p99",
    ):
        t.add_column(col)
    for s in statuses:
        pct = f"{s.p50_ms}/{s.p95_ms}/{s.p99_ms} ms" if s.p99_ms is not None else "-"
        t.add_row(
            s.name,
            s.objective,
            f"{s.window_hours:g} h",
            str(s.total),
            f"{100 * s.good_ratio:.2f}%" if s.good_ratio is not None else "-",
            {True: "[green]yes[/]", False: "[red]no[/]", None: "-"}[s.met],
            f"{100 * s.budget_remaining:.1f}%" if s.budget_remaining is not None else "-",
            (f"[red]{s.burn_rate_1h}x ALERT[/]" if s.alert else f"{s.burn_rate_1h}x")
            if s.burn_rate_1h is not None
            else "-",
            pct,
        )
    console.print(t)
    for s in statuses:
        if s.recommendation:
            console.print(
                f"[bold yellow]{s.name}:[/] p99 {s.p99_ms} ms is above "
                f"{s.evidence.get('threshold_ms'):g} ms: "
                f"[bold]{s.recommendation}[/]."
            )
            console.print_json(orjson.dumps(s.evidence).decode())


@app.command("drift")
@friendly_errors
def drift(
    template: Annotated[str | None, typer.Option(help="only this prompt template")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Prompt drift per template: recent inputs vs the baseline window (length, meaning, wording)."""
    settings = settings_from(config)
    decrypt = keyring_decryptor(settings)
    with open_cli_store(settings) as store:
        sync_index(store, decrypt=decrypt)
        res = detect_drift(store, settings.observability.drift, template=template, decrypt=decrypt)
    if as_json:
        _dump([r.to_dict() for r in res])
        return
    t = Table(title=f"prompt drift (threshold {settings.observability.drift.threshold})")
    for col in (
        "template",
        "recent",
        "baseline",
        "length KS",
        "centroid shift",
        "new top words",
        "score",
        "drift",
    ):
        t.add_column(col)
    for r in res:
        t.add_row(
            r.template,
            str(r.recent_n),
            str(r.baseline_n),
            str(r.length_ks),
            str(r.centroid_shift),
            str(r.new_top_words),
            str(r.score),
            "[red]DRIFT[/]" if r.drifted else (r.note or "ok"),
        )
    console.print(t)
    for r in res:
        if r.drifted:
            console.print(
                f"[bold]{r.template}[/] examples: "
                + "; ".join(f"{e['request_id']}: {e['prompt'][:80]!r}" for e in r.examples)
            )


def mount(root: typer.Typer) -> None:
    """Put why/search/traces/gc/slo/drift at the top level of ``seedstack`` (they are everyday verbs)."""
    root.registered_commands.extend(app.registered_commands)
    root.add_typer(traces_app, name="traces")
