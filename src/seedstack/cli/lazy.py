"""Command groups load on first use: `seedstack version` should not import the gateway, Delta Lake
and the guard model. The table in ``main.py`` names where each command lives; a command's module is
imported only when that command runs (or when ``--help`` lists them all)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup

__all__ = ["LazyCommand", "LazyGroup", "lazy_group"]


@dataclass(frozen=True)
class LazyCommand:
    module: str
    attr: str
    sub: str | None = None  # pick one command out of a Typer app's flat commands

    def load(self, name: str) -> Any:
        obj: Any = getattr(importlib.import_module(self.module), self.attr)
        cmd: Any
        if isinstance(obj, typer.Typer):
            cmd = typer.main.get_group(obj)  # a group even when it holds one command (`traces show`)
        else:
            single = typer.Typer()
            single.command(name)(obj)
            cmd = typer.main.get_command(single)
        if self.sub is not None:
            found = getattr(cmd, "commands", {}).get(self.sub)
            if found is None:
                raise LookupError(f"{self.module}.{self.attr} has no command {self.sub!r}")
            return found
        return cmd


class LazyGroup(TyperGroup):
    """A typer group whose ``lazy`` commands are imported on first use."""

    lazy: dict[str, LazyCommand] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return super().get_command(ctx, cmd_name)
        cmd = entry.load(cmd_name)
        cmd.name = cmd_name
        return cmd


def lazy_group(commands: dict[str, LazyCommand]) -> type[LazyGroup]:
    """A ``LazyGroup`` class for one table (pass it as ``typer.Typer(cls=...)``)."""
    return type("LazyGroup", (LazyGroup,), {"lazy": dict(commands)})
