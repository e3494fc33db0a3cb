"""Root of the ``seedstack`` CLI: each command group lives in its own module and is mounted here."""

from __future__ import annotations

import typer

from .. import __version__

__all__ = ["app", "main"]

app = typer.Typer(
    name="seedstack",
    help="seedstack: the AI infrastructure layer for a seed-stage startup.",
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
    typer.echo(__version__)


def _mount() -> None:
    """Command groups register here, the way a plugin would."""


_mount()


def main() -> None:
    app()
