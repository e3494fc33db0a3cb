"""``seedstack keys``: create, list and revoke API keys (stored hashed; shown once)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column, Table

from ..gateway.keys import ROLES, create_key, list_keys, revoke_key
from ._common import ConfigOption, console, friendly_errors, open_cli_store, settings_from
from .lazy import LazyCommand, lazy_group

__all__ = ["keys_app"]

keys_app = typer.Typer(
    help="API keys: create, list, revoke; rotate the data key.",
    no_args_is_help=True,
    cls=lazy_group({"rotate-data-key": LazyCommand("seedstack.cli.data", "rotate_data_key_cmd")}),
)


@keys_app.command("create")
@friendly_errors
def create(
    role: Annotated[str, typer.Option(help=f"one of: {', '.join(ROLES)}")] = "app",
    name: Annotated[str | None, typer.Option(help="a label, e.g. the app or person")] = None,
    models: Annotated[str | None, typer.Option(help="comma-separated aliases this key may call (default: all)")] = None,
    budget_usd_day: Annotated[float | None, typer.Option("--budget-usd-day", help="daily USD budget")] = None,
    rpm: Annotated[int | None, typer.Option(help="requests per minute")] = None,
    tpm: Annotated[int | None, typer.Option(help="tokens per minute")] = None,
    customer: Annotated[str | None, typer.Option(help="default customer id for this key's requests")] = None,
    config: ConfigOption = None,
) -> None:
    """Create a key. The plaintext is printed once and never stored."""
    settings = settings_from(config)
    allowed = [m.strip() for m in models.split(",") if m.strip()] if models else None
    unknown = [m for m in allowed or () if m not in settings.models]
    if unknown:
        raise typer.BadParameter(
            f"unknown model alias(es) {', '.join(unknown)}; configured: {', '.join(settings.models)}",
            param_hint="--models",
        )
    with open_cli_store(settings) as store:
        plaintext, key = create_key(
            store,
            role=role,
            name=name,
            models=allowed,
            rpm=rpm,
            tpm=tpm,
            budget_usd_day=budget_usd_day,
            customer=customer,
        )
    console.print(f"created {key.id} ({key.role}); the key is shown only now:")
    typer.echo(plaintext)


@keys_app.command("list")
@friendly_errors
def list_(
    all_: Annotated[bool, typer.Option("--all", help="include revoked keys")] = False,
    config: ConfigOption = None,
) -> None:
    """List keys (never their secrets)."""
    with open_cli_store(settings_from(config)) as store:
        keys = list_keys(store, include_revoked=all_)
    table = Table("name", "prefix", "role", "models", "rpm", "tpm", "budget $/day", "customer", "revoked")
    table.columns.insert(0, Column("id", no_wrap=True))
    for k in keys:
        table.add_row(
            k.id,
            k.name,
            k.prefix + "…",
            k.role,
            ",".join(k.models) if k.models else "*",
            _opt(k.rpm),
            _opt(k.tpm),
            _opt(k.budget_usd_day),
            k.customer or "",
            "yes" if k.revoked_at else "",
        )
    console.print(table)


@keys_app.command("revoke")
@friendly_errors
def revoke(key_id: Annotated[str, typer.Argument(help="the key id (key_…)")], config: ConfigOption = None) -> None:
    """Revoke a key; gateways stop accepting it within 5 seconds."""
    with open_cli_store(settings_from(config)) as store:
        revoke_key(store, key_id)
    console.print(f"revoked {key_id}")


def _opt(v: object) -> str:
    return "" if v is None else str(v)
