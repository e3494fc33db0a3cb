"""seedstack: the AI infrastructure layer for a seed-stage startup, in one package."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seedstack")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
