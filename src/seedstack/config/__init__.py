"""Typed configuration: one ``Settings`` object built by ``load_settings``.

Names are loaded on first use (PEP 562): the models cost pydantic ~100 ms to build, and a cold
``seedstack why`` needs only ``store_settings`` (no pydantic) when nothing else is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

if TYPE_CHECKING:
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
    from .store_settings import StoreSettings, load_store_settings
    from .telemetry import SLOConfig, TelemetryConfig

_HOME = {
    "AliasConfig": "gateway",
    "BackendConfig": "gateway",
    "GpuConfig": "gateway",
    "LimitsConfig": "gateway",
    "PriceConfig": "gateway",
    "RoutingConfig": "gateway",
    "ServerConfig": "gateway",
    "SimulatorConfig": "gateway",
    "TimeoutConfig": "gateway",
    "DEFAULT_ALIAS": "settings",
    "Settings": "settings",
    "load_settings": "settings",
    "StoreSettings": "store_settings",
    "load_store_settings": "store_settings",
    "SLOConfig": "telemetry",
    "TelemetryConfig": "telemetry",
}

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
    "StoreSettings",
    "TelemetryConfig",
    "TimeoutConfig",
    "load_settings",
    "load_store_settings",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
