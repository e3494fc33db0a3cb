"""Every request record carries the registered model version its backend serves."""

from __future__ import annotations

import httpx
import pytest

from seedstack.access.actor import Actor
from seedstack.registry.models import ModelRegistry
from tests.gateway.conftest import GatewayFactory

pytestmark = pytest.mark.socket


def test_record_carries_the_registry_version_of_its_backend(gateway_factory: GatewayFactory) -> None:
    with gateway_factory() as gw:
        store = gw.app.ctx.store
        registry = ModelRegistry(store, Actor("ops", "admin"))
        registry.register("support-llama", "3", artifact="s3://models/support-llama/3", backend="demo/simulator")
        gw.app.ctx.gateway._refresh_model_versions()  # the gateway also refreshes this every 30 s
        body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
        assert httpx.post(gw.v1 + "/chat/completions", json=body, headers=gw.headers()).status_code == 200
        assert gw.records()[-1]["model_version"] == "support-llama@3"


def test_configured_model_version_wins(gateway_factory: GatewayFactory) -> None:
    models = {"demo": {"backends": [{"provider": "simulator", "name": "sim", "model_version": "pinned@1"}]}}
    with gateway_factory(models) as gw:
        body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
        httpx.post(gw.v1 + "/chat/completions", json=body, headers=gw.headers())
        assert gw.records()[-1]["model_version"] == "pinned@1"
