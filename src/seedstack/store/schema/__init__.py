"""Ordered, named migrations. Each module ``mNNNN_<name>.py`` defines ``STATEMENTS`` (a list of SQL
strings both engines accept) or ``statements(dialect) -> list[str]``. They are applied in name
order and recorded in ``seedstack_migrations``; a module is never edited once released.

Numbering by service keeps parallel work apart: 0001–0099 gateway, 0100 guard, 0200 observability,
0300 data/registry, 0400 cost, 0500 bench/evals.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MIGRATIONS", "Migration"]


@dataclass(frozen=True)
class Migration:
    name: str
    _statements: Callable[[str], list[str]]

    def statements(self, dialect: str) -> list[str]:
        return self._statements(dialect)


def _discover() -> tuple[Migration, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("m"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "statements"):
            fn = mod.statements
        else:
            stmts = list(mod.STATEMENTS)
            fn = lambda _d, s=stmts: s  # noqa: E731
        found.append(Migration(info.name, fn))
    return tuple(found)


MIGRATIONS = _discover()
