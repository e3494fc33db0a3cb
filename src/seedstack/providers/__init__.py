"""Backends the gateway can route to: an ABC, a registry, one module per kind."""

from .base import (
    Provider,
    ProviderConnectError,
    ProviderError,
    ProviderHTTPError,
    ProviderTimeoutError,
    UpstreamResponse,
    UpstreamStream,
)
from .registry import PROVIDERS, build_provider

__all__ = [
    "PROVIDERS",
    "Provider",
    "ProviderConnectError",
    "ProviderError",
    "ProviderHTTPError",
    "ProviderTimeoutError",
    "UpstreamResponse",
    "UpstreamStream",
    "build_provider",
]
