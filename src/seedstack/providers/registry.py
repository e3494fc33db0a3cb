"""Provider kinds by name. Built-ins register exactly as a third-party provider would."""

from __future__ import annotations

from ..config import BackendConfig
from ..errors import ConfigError
from .base import Provider
from .openai import OpenAIProvider
from .simulator import SimulatorProvider

__all__ = ["PROVIDERS", "build_provider"]

PROVIDERS: dict[str, type[Provider]] = {
    OpenAIProvider.kind: OpenAIProvider,
    SimulatorProvider.kind: SimulatorProvider,
}


def build_provider(config: BackendConfig, *, name: str, alias: str) -> Provider:
    cls = PROVIDERS.get(config.provider)
    if cls is None:
        raise ConfigError(f"backend '{name}': unknown provider '{config.provider}'; choose one of {sorted(PROVIDERS)}")
    return cls(config, name=name, alias=alias)
