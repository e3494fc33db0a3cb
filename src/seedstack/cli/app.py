"""The ``seedstack`` typer app. Each command group lives in its own module and is loaded only
when it runs (see ``lazy.py``), so `seedstack requests` does not pay for Delta Lake or the guard model.
``main.py`` is the entry point: it runs `seedstack why` with plain arguments before loading this."""

from __future__ import annotations

import typer

import seedstack

from .lazy import LazyCommand, lazy_group

__all__ = ["COMMANDS", "app"]

_C = "seedstack.cli."

COMMANDS: dict[str, LazyCommand] = {
    "up": LazyCommand(_C + "gateway", "up"),
    "simulate": LazyCommand(_C + "gateway", "simulate"),
    "keys": LazyCommand(_C + "keys", "keys_app"),
    "requests": LazyCommand(_C + "requests", "requests_cmd"),
    "why": LazyCommand(_C + "why", "why"),
    "search": LazyCommand(_C + "explain", "app", sub="search"),
    "traces": LazyCommand(_C + "explain", "traces_app"),
    "slo": LazyCommand(_C + "explain", "app", sub="slo"),
    "drift": LazyCommand(_C + "explain", "app", sub="drift"),
    "gc": LazyCommand(_C + "explain", "app", sub="gc"),
    "guard": LazyCommand(_C + "guard", "app"),
    "data": LazyCommand(_C + "data", "data_app"),
    "models": LazyCommand(_C + "models", "models_app"),
    "audit": LazyCommand(_C + "audit", "audit_cmd"),
    "gpu": LazyCommand(_C + "cost", "gpu_app"),
    "cost": LazyCommand(_C + "cost", "cost_app"),
    "advise": LazyCommand(_C + "cost", "advise"),
    "bench": LazyCommand(_C + "bench", "bench_app"),
    "eval": LazyCommand(_C + "evals", "eval_app"),
}

app = typer.Typer(
    name="seedstack",
    help="seedstack: the AI infrastructure layer for a seed-stage startup.",
    cls=lazy_group(COMMANDS),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """seedstack: the AI infrastructure layer for a seed-stage startup."""


@app.command("version")
def version() -> None:
    """Print the seedstack version."""
    typer.echo(seedstack.__version__)
