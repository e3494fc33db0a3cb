"""The one ``Settings`` object: the only place that reads env vars and seedstack.yaml (but for
``store_settings.py``, which reads the store's few when nothing else is configured).

Precedence, highest first (the order of ``settings_customise_sources``):
1. keyword arguments (tests, the CLI's flags);
2. ``SEEDSTACK_*`` environment variables (nested with ``__``: ``SEEDSTACK_SERVER__PORT=9000``);
3. the YAML file (``--config``, else ``$SEEDSTACK_CONFIG``, else ``./seedstack.yaml`` if present);
4. the embedded defaults: SQLite under ``.seedstack/`` and one simulator alias named ``demo``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ..errors import ConfigError
from .bench import BenchConfig, EvalsConfig
from .cost import CostConfig
from .data import DataConfig
from .gateway import AliasConfig, BackendConfig, LimitsConfig, RoutingConfig, ServerConfig, SimulatorConfig
from .guard import GuardConfig
from .observability import ObservabilityConfig
from .store_settings import DEFAULT_HOME, find_config_file, store_url
from .telemetry import SLOConfig, TelemetryConfig

__all__ = ["DEFAULT_ALIAS", "Settings", "load_settings"]

DEFAULT_ALIAS = "demo"


class _YamlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {self.path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{self.path} is not valid YAML: {exc}") from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ConfigError(f"{self.path} must hold a mapping of settings at the top level")
        return data


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SEEDSTACK_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    home: Path = Field(DEFAULT_HOME, description="where the embedded store, spool and keys live")
    store: str | None = Field(None, description="sqlite:///path.db or postgresql://…; default <home>/seedstack.db")
    server: ServerConfig = Field(default_factory=ServerConfig)
    models: dict[str, AliasConfig] = Field(default_factory=dict)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    slo: SLOConfig = Field(default_factory=SLOConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    bench: BenchConfig = Field(default_factory=BenchConfig)
    evals: EvalsConfig = Field(default_factory=EvalsConfig)
    cost: CostConfig = Field(default_factory=CostConfig)
    guard: GuardConfig = Field(default_factory=GuardConfig)

    _config_path: Path | None = None
    yaml_path: ClassVar[Path | None] = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = getattr(settings_cls, "yaml_path", None)
        return (init_settings, env_settings, _YamlSource(settings_cls, path))

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.models:
            self.models = {
                DEFAULT_ALIAS: AliasConfig(
                    backends=[BackendConfig(provider="simulator", name="demo/simulator", simulator=SimulatorConfig())],
                    description="local simulator (no GPU, no cost): replace it with real backends in seedstack.yaml",
                )
            }
        return self

    @model_validator(mode="after")
    def _shared_limits(self) -> Settings:
        if self.server.workers > 1 and self.limits.backend == "memory":
            raise ValueError(
                "server.workers > 1 needs limits.backend 'redis' or 'store', so rate limits and budgets are "
                "shared by the worker processes"
            )
        return self

    @property
    def store_url(self) -> str:
        return store_url(self.store, self.home)

    @property
    def spool_dir(self) -> Path:
        return self.telemetry.spool_dir or self.home / "spool"

    @property
    def config_path(self) -> Path | None:
        return self._config_path


@cache
def _bound(path: Path | None) -> type[Settings]:
    return type("Settings", (Settings,), {"yaml_path": path, "__module__": __name__})


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Build Settings from overrides > env > YAML > defaults; a typo names the key and the file."""
    cfg = find_config_file(path)
    try:
        settings = _bound(cfg)(**overrides)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, cfg)) from None
    settings._config_path = cfg
    return settings


def _explain(exc: ValidationError, path: Path | None) -> str:
    where = str(path) if path else "settings"
    lines = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (a typo?); see the config reference in the README"
        lines.append(f"{where}: {loc}: {msg}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines.append(f"… and {more} more")
    return "\n".join(lines)
