"""Typed configuration: one ``Settings`` object built by ``load_settings``."""

from .gateway import (
    AliasConfig,
    BackendConfig,
    GpuConfig,
    LimitsConfig,
    PriceConfig,
    RoutingConfig,
    ServerConfig,
    SimulatorConfig,
    TimeoutConfig,
)
from .settings import DEFAULT_ALIAS, Settings, load_settings
from .telemetry import SLOConfig, TelemetryConfig

__all__ = [
    "DEFAULT_ALIAS",
    "AliasConfig",
    "BackendConfig",
    "GpuConfig",
    "LimitsConfig",
    "PriceConfig",
    "RoutingConfig",
    "SLOConfig",
    "ServerConfig",
    "Settings",
    "SimulatorConfig",
    "TelemetryConfig",
    "TimeoutConfig",
    "load_settings",
]
