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
    from . import gateway, keys, requests

    gateway.register(app)
    app.add_typer(keys.keys_app, name="keys")
    app.command("requests")(requests.requests_cmd)
    from . import explain

    explain.mount(app)
    from .bench import bench_app, eval_app

    app.add_typer(bench_app, name="bench")
    app.add_typer(eval_app, name="eval")
    from . import cost

    cost.mount(app)
    from . import audit, data, models

    app.add_typer(data.data_app, name="data")
    app.add_typer(models.models_app, name="models")
    app.command("audit")(audit.audit_cmd)
    keys.keys_app.command("rotate-data-key")(data.rotate_data_key_cmd)


_mount()


def main() -> None:
    app()
