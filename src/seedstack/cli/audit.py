"""``seedstack audit``: read the append-only audit trail; plus the ``--key`` plumbing data commands share."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from ..access import LOCAL_ADMIN, Actor, authorize, read_audit, resolve_actor
from ..store import Store
from ._common import ConfigOption, console, err_console, friendly_errors, open_cli_store, settings_from

__all__ = ["KeyOption", "acting_actor", "audit_cmd"]

KeyOption = Annotated[
    str | None,
    typer.Option("--key", envvar="SEEDSTACK_API_KEY", show_envvar=True, help="API key to act with"),
]


def acting_actor(store: Store, key: str | None) -> Actor:
    """Resolve the key; say so when a fresh install (no keys yet) runs as the local admin."""
    actor = resolve_actor(store, key)
    if actor is LOCAL_ADMIN:
        err_console.print("[dim]no API keys in this store yet: acting as local admin[/]", highlight=False)
    return actor


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@friendly_errors
def audit_cmd(
    target: Annotated[str | None, typer.Option(help="dataset:NAME, model:NAME@V or key:data")] = None,
    actor: Annotated[str | None, typer.Option(help="e.g. key:dana or local-admin")] = None,
    denied: Annotated[bool, typer.Option("--denied", help="only refused attempts")] = False,
    limit: Annotated[int, typer.Option(help="newest N entries")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    key: KeyOption = None,
    config: ConfigOption = None,
) -> None:
    """Who did what to which dataset, model or key, and when, including denied attempts."""
    with open_cli_store(settings_from(config)) as store:
        me = acting_actor(store, key)
        authorize(store, me, "audit.read", "audit")
        entries = read_audit(store, target=target, actor=actor, denied_only=denied, limit=limit)
    if as_json:
        for e in entries:
            typer.echo(json.dumps(e.__dict__, default=str))
        return
    table = Table("time (UTC)", "actor", "role", "action", "target", "result", "detail")
    for e in entries:
        result = "[green]allowed[/]" if e.allowed else "[bold red]denied[/]"
        table.add_row(_when(e.ts), e.actor, e.role, e.action, e.target, result, json.dumps(e.detail)[:80])
    console.print(table)
