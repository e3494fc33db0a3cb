"""Which GPU price a benchmark's cost per 1M tokens uses: the most specific source wins."""

from __future__ import annotations

import pytest

from seedstack.bench import cost_per_1m_tokens
from seedstack.bench.pricing import resolve_gpu_price
from seedstack.config import load_settings


def test_price_precedence_flag_then_config_then_alias_gpu_then_catalog() -> None:
    settings = load_settings(
        bench={"gpu_usd_per_hour": {"llama-fp8": 1.5}},
        models={
            "chat": {
                "backends": [
                    {
                        "provider": "openai",
                        "base_url": "http://x/v1",
                        "gpu": {"type": "H100", "count": 2, "usd_per_hour": 2.0},
                    }
                ]
            }
        },
    )
    assert resolve_gpu_price(settings, label="llama-fp8", model="chat", usd_per_hour=9.0) == 9.0
    assert resolve_gpu_price(settings, label="llama-fp8", model="chat") == 1.5
    assert resolve_gpu_price(settings, label="other", model="chat") == 4.0
    catalog = resolve_gpu_price(settings, label="other", model="unknown", gpu_type="H100", gpu_count=2)
    assert catalog is not None and catalog > 0
    assert catalog == pytest.approx(2 * resolve_gpu_price(settings, label="o", model="u", gpu_type="H100"))
    assert resolve_gpu_price(settings, label="other", model="unknown") is None


def test_cost_per_million_tokens_spreads_the_hourly_price() -> None:
    # $3.60/h serving 1000 output tokens/s = 3.6M tokens/h -> $1 per 1M tokens
    assert cost_per_1m_tokens(3.6, 1000.0) == pytest.approx(1.0)
    assert cost_per_1m_tokens(None, 1000.0) is None
    assert cost_per_1m_tokens(3.6, 0.0) is None
