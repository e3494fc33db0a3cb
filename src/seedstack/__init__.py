"""seedstack: the AI infrastructure layer for a seed-stage startup, in one package."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__`` is read from the installed metadata on first use: importing
    ``importlib.metadata`` costs a fresh process ~40 ms, and ``seedstack why`` never asks."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("seedstack")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        value = "0.0.0"
    globals()["__version__"] = value
    return value
