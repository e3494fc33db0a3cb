"""Per-token prices for hosted models: a shipped, dated table plus per-backend overrides."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from ..config import BackendConfig

__all__ = ["TokenPrice", "load_price_table", "price_for_backend"]


@dataclass(frozen=True, slots=True)
class TokenPrice:
    """USD per 1M tokens; ``source`` says where the figure came from."""

    input: float
    output: float
    cached_input: float | None
    source: str
    as_of: str | None = None

    def cost(self, tokens_in: int, tokens_out: int, tokens_cached: int = 0) -> float:
        cached = min(tokens_cached, tokens_in)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        return ((tokens_in - cached) * self.input + cached * cached_rate + tokens_out * self.output) / 1e6


@cache
def load_price_table() -> dict[str, TokenPrice]:
    raw = json.loads(files("seedstack.cost").joinpath("model_prices.json").read_text(encoding="utf-8"))
    table = {}
    for row in raw["models"]:
        table[row["model"]] = TokenPrice(
            row["input"], row["output"], row.get("cached_input"), row["source"], row.get("as_of")
        )
    return table


def price_for_backend(config: BackendConfig, upstream_model: str) -> TokenPrice | None:
    """The backend's own ``price:`` wins; else the shipped table by upstream model name."""
    if config.price is not None:
        p = config.price
        return TokenPrice(p.input_per_1m, p.output_per_1m, p.cached_input_per_1m, "seedstack.yaml")
    table = load_price_table()
    return table.get(upstream_model) or table.get(upstream_model.rsplit("/", 1)[-1])
