"""Entry point of the ``seedstack`` command (``seedstack = seedstack.cli.main:main``).

`seedstack why ID` with plain arguments runs before typer loads (``direct.py``); everything else
is the typer app in ``app.py``, imported only then. ``app`` and ``COMMANDS`` are still importable
from here (PEP 562), as tests and ``CliRunner`` use them.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import TYPE_CHECKING, Any

from .direct import run_direct

if TYPE_CHECKING:
    from .app import COMMANDS, app

__all__ = ["COMMANDS", "app", "main"]


def main() -> None:
    # A one-shot command leaves no garbage worth collecting, and the collector's passes over all
    # it imported (while it runs, and again at exit) cost `seedstack why` ~40 ms of its ~250 ms.
    gc.disable()
    try:
        status = run_direct(sys.argv[1:])
    finally:
        gc.enable()
    if status is not None:
        gc.freeze()  # what exists now is never collected again: exit without a pass over it all
        sys.exit(status)
    _typer_app().app()


def _typer_app() -> Any:
    return importlib.import_module(".app", __package__)


def __getattr__(name: str) -> Any:
    if name not in ("COMMANDS", "app"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_typer_app(), name)
