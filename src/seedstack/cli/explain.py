"""``seedstack why | search | traces show | gc | slo | drift``: from a complaint to its cause."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from ..explain.drift import detect_drift
from ..explain.embed import make_embedder
from ..explain.gc import collect_garbage
from ..explain.index import sync_index
from ..explain.payload import keyring_decryptor
from ..explain.search import SearchFilters, parse_since, search
from ..explain.slo import evaluate_slos
from ..explain.traces import TraceStep, load_trace
from ..explain.why import explain_request
from ._common import ConfigOption, console, friendly_errors, open_cli_store, settings_from

__all__ = ["app", "mount", "traces_app"]

app = typer.Typer(help="Observability: why, search, traces, SLOs, drift, retention.", no_args_is_help=True)
traces_app = typer.Typer(help="Agent traces grouped by traceparent / x-seedstack-trace-id.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _ms(v: float | None) -> str:
    return f"{v:,.0f} ms" if v is not None else "-"


def _dump(obj: Any) -> None:
    console.print_json(orjson.dumps(obj, default=str).decode())


def _kv(title: str, rows: dict[str, Any]) -> Table:
    t = Table(title=title, show_header=False, title_justify="left", box=None, padding=(0, 1))
    for k, v in rows.items():
        t.add_row(f"[bold]{k}[/]", "-" if v is None or v == [] else str(v))
    return t


def render_why(story: dict[str, Any]) -> None:
    st = story["status"]
    head = f"[bold]{story['id']}[/]  {_when(story['ts'])} UTC  {story['endpoint']}  status {st['code']}" + (
        f" ({st['error_class']}: {st['error_message']})" if st["error_class"] else ""
    )
    console.print(Panel(head, title="why", expand=False))
    console.print(_kv("who", {"customer": story["customer"], "key": story["key_id"], "tags": story["tags"]}))
    tpl = story["template"]
    console.print(
        _kv(
            "prompt template",
            {
                "name": tpl["name"],
                "version": tpl["version"],
                "variables": orjson.dumps(tpl["variables"]).decode() if tpl["variables"] else None,
            },
        )
    )
    console.print(_kv("params", story["params"] or {"(none)": ""}))
    console.print(_kv("model", story["model"]))
    route = Table(title="route (backends tried)", title_justify="left")
    for col in ("backend", "outcome", "status", "ms", "why it was left"):
        route.add_column(col)
    for a in story["route"]:
        route.add_row(
            a.get("backend", "?"),
            a.get("outcome", "?"),
            str(a.get("status") or "-"),
            f"{a.get('ms') or 0:,.0f}",
            "answered" if a.get("outcome") == "ok" else (a.get("detail") or a.get("outcome", "")),
        )
    console.print(route)
    guard = Table(title="guard verdicts", title_justify="left")
    for col in ("detector", "direction", "action", "types", "score"):
        guard.add_column(col)
    for g in story["guard"]:
        guard.add_row(
            str(g.get("detector")),
            str(g.get("direction")),
            str(g.get("action")),
            ",".join(g.get("types") or []) or "-",
            str(g.get("score")),
        )
    console.print(guard if story["guard"] else "[dim]guard: no verdicts recorded[/]")
    lat = story["latency"]
    console.print(
        _kv(
            "latency",
            {
                "queue": _ms(lat["queue_ms"]),
                "time to first token": _ms(lat["ttft_ms"]),
                "generation": _ms(lat["generation_ms"]),
                "total": _ms(lat["total_ms"]),
                "gateway overhead": _ms(lat["overhead_ms"]),
            },
        )
    )
    u = story["usage"]
    console.print(
        _kv(
            "tokens and cost",
            {
                "in": u["tokens_in"],
                "out": u["tokens_out"],
                "cached": u["tokens_cached"],
                "cost": f"${u['cost_usd']:.6f}" if u["cost_usd"] is not None else None,
            },
        )
    )
    p = story["payload"]
    if p.get("sampled") and "request" in p:
        console.print(Panel(orjson.dumps(p["request"], option=orjson.OPT_INDENT_2).decode(), title="request payload"))
        console.print(Panel(orjson.dumps(p["response"], option=orjson.OPT_INDENT_2).decode(), title="response payload"))
    else:
        console.print(f"[yellow]payload:[/] {p.get('error') or p.get('note')}")
    tr = story["trace"]
    if tr["trace_id"]:
        console.print(_trace_tree(tr["trace_id"], tr["steps"], highlight=story["id"]))
    lin = story["lineage"]
    console.print(_kv("lineage", lin))
    if story["eval_scores"]:
        console.print(
            _kv(
                "eval scores",
                {
                    str(s.get("metric") or s.get("name") or i): s.get("score")
                    for i, s in enumerate(story["eval_scores"])
                },
            )
        )
    sim = Table(title="similar past requests", title_justify="left")
    for col in ("request", "when", "similarity", "status", "latency", "cost"):
        sim.add_column(col)
    for s in story["similar"]:
        sim.add_row(
            s["id"],
            _when(s["ts"]),
            str(s["similarity"]),
            str(s["status_code"]),
            _ms(s["latency_ms"]),
            f"${s['cost_usd']:.6f}" if s.get("cost_usd") is not None else "-",
        )
    console.print(sim if story["similar"] else "[dim]similar: none (payload not indexed)[/]")


def _trace_tree(trace_id: str, steps: list[dict[str, Any]], highlight: str | None = None) -> Tree:
    tree = Tree(f"[bold]trace {trace_id}[/]")

    def add(node: Tree, step: dict[str, Any]) -> None:
        if step["kind"] == "call":
            mark = " [bold yellow]◀ this request[/]" if step["request_id"] == highlight else ""
            label = (
                f"{step['request_id']}  {step['label']}  status {step['status_code']}  "
                f"{_ms(step['latency_ms'])}  {step['detail'] or ''}{mark}"
            )
        elif step["kind"] == "tool_call":
            label = f"[cyan]tool call[/] {step['label']}"
        else:
            label = f"[green]tool result[/] {step['label']}"
        child = node.add(label)
        for c in step["children"]:
            add(child, c)

    for s in steps:
        add(tree, s)
    return tree


@app.command("why")
@friendly_errors
def why(request_id: str, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The whole story of one request: payloads, template, params, route, guard, latency, cost, trace."""
    settings = settings_from(config)
    with open_cli_store(settings) as store:
        story = explain_request(store, request_id, decrypt=keyring_decryptor(settings))
    _dump(story) if as_json else render_why(story)


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
