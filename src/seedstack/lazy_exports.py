"""Package exports loaded on first use (PEP 562), for packages a fresh ``seedstack why`` imports.

``__getattr__, __dir__ = lazy_exports(__name__, {"Name": "submodule", ...})`` in a package's
``__init__``: ``from package import Name`` imports ``package.submodule`` only then, and the value is
cached in the package, so the lookup runs once per name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{home}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(homes))

    return __getattr__, __dir__
