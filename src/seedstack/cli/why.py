"""``seedstack why ID``: the whole story of one request, rendered for a terminal.

The command's work is in ``why_story.py`` (no typer there): ``seedstack why`` with plain
arguments runs it before typer loads (``direct.py``); this is the typer command for the rest
(``--help``, usage errors, ``CliRunner``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import ConfigOption, friendly_errors
from .why_story import render_why, show_why

__all__ = ["JsonOption", "render_why", "why"]

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


@friendly_errors
def why(request_id: str, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The whole story of one request: payloads, template, params, route, guard, latency, cost, trace."""
    show_why(request_id, config, as_json)
