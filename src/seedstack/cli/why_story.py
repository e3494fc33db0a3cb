"""``seedstack why ID``'s work without the CLI framework: read the store settings, open the store
for one read, build the story, print it as tables or JSON.

The typer command (``why.py``) and the direct entry (``direct.py``) both run ``show_why``. This
module imports only what the command shows: rich, orjson and the store; no typer, no pydantic
(unless something beyond the store is configured, see ``config/store_settings.py``), no numpy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from ..config.store_settings import load_store_settings
from ..explain.payload import keyring_decryptor
from ..explain.why import explain_request
from ..store import open_store
from ._console import console

__all__ = ["render_why", "show_why"]


def show_why(request_id: str, config: Path | None = None, as_json: bool = False) -> None:
    """The whole story of one request on stdout; a ``SeedstackError`` says what went wrong."""
    settings = load_store_settings(config)
    with open_store(settings.store_url, one_shot=True) as store:
        story = explain_request(store, request_id, decrypt=keyring_decryptor(settings))
    _dump(story) if as_json else render_why(story)


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
