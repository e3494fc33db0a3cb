"""Commands that run before the CLI framework loads.

Loading typer costs every command 110-150 ms on the 2-vCPU VM (its argument coercion imports
pydantic), and ``seedstack why ID`` is what someone types in a fresh shell to answer a complaint.
So when ``why``'s arguments are plain (the request id, ``--json``, ``--config PATH``) it runs
straight away. Any other shape (``--help``, a missing or extra argument, an unknown option,
``--``, shell completion) goes to typer, so usage and its errors have one source. The command's
work is the same function either way (``why_story.show_why``), and so is its ending: one line and
status 1 for an expected failure, 130 on Ctrl-C, 1 on a closed pipe, as typer's standalone mode.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SeedstackError

__all__ = ["WhyArgs", "parse_why", "run_direct"]


@dataclass(frozen=True)
class WhyArgs:
    request_id: str
    config: Path | None = None
    as_json: bool = False


def _plain(token: str) -> bool:
    return bool(token) and not token.startswith("-")


def parse_why(args: Sequence[str]) -> WhyArgs | None:
    """``seedstack why``'s arguments when they are plain, each given at most once; else None."""
    if not args or args[0] != "why":
        return None
    request_id: str | None = None
    config: str | None = None
    as_json = False
    rest = iter(args[1:])
    for token in rest:
        if token == "--json" and not as_json:
            as_json = True
        elif token in ("--config", "-c") and config is None:
            config = next(rest, "")
            if not _plain(config):
                return None
        elif token.startswith("--config=") and config is None and _plain(token[len("--config=") :]):
            config = token[len("--config=") :]
        elif _plain(token) and request_id is None:
            request_id = token
        else:
            return None
    if request_id is None:
        return None
    return WhyArgs(request_id, Path(config) if config is not None else None, as_json)


def _completing() -> bool:
    """Shell completion asks through ``_<PROG>_COMPLETE``; typer answers it."""
    return any(k.startswith("_") and k.endswith("_COMPLETE") and v for k, v in os.environ.items())


def run_direct(args: Sequence[str]) -> int | None:
    """Run ``args`` if no framework is needed: the exit status, or None to hand them to typer."""
    why = parse_why(args)
    if why is None or _completing():
        return None
    # imported only now: the commands typer runs must not pay for why's rich, orjson and store
    from ._console import print_error
    from .why_story import show_why

    try:
        show_why(why.request_id, why.config, why.as_json)
    except SeedstackError as exc:
        print_error(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _silence_closed_pipes()
        return 1
    return 0


def _silence_closed_pipes() -> None:
    """The reader went away (``seedstack why ID | head``): flushing at exit must not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a stream without a file descriptor
            os.dup2(devnull, stream.fileno())
