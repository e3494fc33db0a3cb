"""Where the CLI prints: stdout and stderr consoles, and the one-line error. No typer here, so a
command that runs before the CLI framework loads (``direct.py``) prints exactly as the rest."""

from __future__ import annotations

from rich.console import Console

__all__ = ["console", "err_console", "print_error"]

console = Console()
err_console = Console(stderr=True)


def print_error(message: str) -> None:
    """One clear line on stderr: what a CLI command prints for an expected failure."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
