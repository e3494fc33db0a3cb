"""Shared CLI plumbing: settings from ``--config``, the store, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ..config import Settings, load_settings
from ..errors import SeedstackError
from ..store import Store, open_store
from ._console import console, err_console, print_error

__all__ = ["ConfigOption", "console", "err_console", "fail", "friendly_errors", "open_cli_store", "settings_from"]

F = TypeVar("F", bound=Callable[..., Any])

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="seedstack.yaml (default: ./seedstack.yaml if present)")
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line and return the exit to raise."""
    print_error(message)
    return typer.Exit(code)


def friendly_errors(fn: F) -> F:
    """Expected failures print one line and exit non-zero: never a traceback (and never locals)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SeedstackError as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def settings_from(config: Path | None) -> Settings:
    return load_settings(config)


@contextmanager
def open_cli_store(settings: Settings) -> Iterator[Store]:
    store = open_store(settings.store_url)
    try:
        yield store
    finally:
        store.close()
