"""``seedstack requests``: the newest request records, filtered."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

import orjson
import typer
from rich.table import Column, Table

from ..errors import InvalidRequestError
from ._common import ConfigOption, console, friendly_errors, open_cli_store, settings_from

__all__ = ["parse_since", "requests_cmd"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str) -> float:
    """'30m', '2h', '2d' → a Unix time that far back."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if not m:
        raise InvalidRequestError(f"--since '{text}' is not a duration; use e.g. 30m, 2h, 2d, 1w")
    return time.time() - float(m.group(1)) * _UNITS[m.group(2)]


@friendly_errors
def requests_cmd(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10000)] = 20,
    alias: Annotated[str | None, typer.Option("--model", help="model alias")] = None,
    key: Annotated[str | None, typer.Option(help="key id")] = None,
    customer: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option(help="ok | error | an HTTP status")] = None,
    since: Annotated[str | None, typer.Option(help="e.g. 30m, 2h, 2d")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
    config: ConfigOption = None,
) -> None:
    """List recent requests: time, key, model, backend, tokens, cost, TTFT, latency, status."""
    where: list[str] = []
    params: list[Any] = []
    for col, val in (("alias", alias), ("key_id", key), ("customer", customer)):
        if val:
            where.append(f"{col} = ?")
            params.append(val)
    if status:
        if status == "ok":
            where.append("status_code < 400")
        elif status == "error":
            where.append("status_code >= 400")
        elif status.isdigit():
            where.append("status_code = ?")
            params.append(int(status))
        else:
            raise InvalidRequestError("--status takes ok, error or an HTTP status code like 429")
    if since:
        where.append("ts >= ?")
        params.append(parse_since(since))
    sql = (
        "SELECT id, ts, key_id, alias, backend, tokens_in, tokens_out, cost_usd, ttft_ms, latency_ms, status_code, "
        "stream, simulated, error_class FROM requests"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY ts DESC LIMIT ?"
    )
    with open_cli_store(settings_from(config)) as store:
        rows = store.query_dicts(sql, (*params, limit))
    if as_json:
        for r in rows:
            typer.echo(orjson.dumps(r).decode())
        return
    table = Table(
        "time (UTC)",
        Column("request id", no_wrap=True),
        "key",
        "model",
        "backend",
        "in",
        "out",
        "cost $",
        "TTFT ms",
        "latency ms",
        "status",
    )
    for r in rows:
        table.add_row(
            time.strftime("%m-%d %H:%M:%S", time.gmtime(r["ts"])),
            r["id"],
            r["key_id"] or "",
            r["alias"] or "",
            (r["backend"] or "") + (" (sim)" if r["simulated"] else ""),
            _n(r["tokens_in"]),
            _n(r["tokens_out"]),
            _cost(r["cost_usd"]),
            _ms(r["ttft_ms"]),
            _ms(r["latency_ms"]),
            str(r["status_code"]) + (f" {r['error_class']}" if r["error_class"] else ""),
        )
    console.print(table)
    if not rows:
        console.print("no requests recorded yet: send one to the gateway (see the README's tour)")


def _n(v: Any) -> str:
    return "" if v is None else str(v)


def _ms(v: Any) -> str:
    return "" if v is None else f"{v:.1f}"


def _cost(v: Any) -> str:
    return "" if v is None else f"{v:.6f}"
