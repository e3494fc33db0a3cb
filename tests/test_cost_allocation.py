"""Cost per request: the shipped price table, overrides, and the GPU time-share formula."""

from __future__ import annotations

import pytest

from seedstack.config import BackendConfig, PriceConfig
from seedstack.cost import allocation
from seedstack.cost.allocation import GpuTimeShare
from seedstack.cost.model_prices import load_price_table, price_for_backend


def test_price_table_rows_carry_source_and_date() -> None:
    table = load_price_table()
    assert len(table) >= 10
    assert all(p.source and p.as_of for p in table.values())


def test_hosted_price_lookup_and_cached_tokens() -> None:
    cfg = BackendConfig(provider="openai", base_url="https://api.openai.com/v1", model="gpt-4o-mini")
    price = price_for_backend(cfg, "gpt-4o-mini")
    assert price is not None
    # 1000 input (400 cached) + 500 output at $0.15 / $0.075 cached / $0.60 per 1M
    assert price.cost(1000, 500, 400) == pytest.approx((600 * 0.15 + 400 * 0.075 + 500 * 0.60) / 1e6)
    fw = price_for_backend(
        BackendConfig(provider="openai", base_url="https://x/v1"),
        "accounts/fireworks/models/llama-v3p1-8b-instruct",
    )
    assert fw is not None and fw.input == 0.20


def test_config_override_wins() -> None:
    cfg = BackendConfig(provider="openai", base_url="https://x/v1", price=PriceConfig(input_per_1m=1, output_per_1m=2))
    p = price_for_backend(cfg, "gpt-4o")
    assert p is not None and p.source == "seedstack.yaml" and p.cost(1_000_000, 1_000_000) == pytest.approx(3.0)


def test_gpu_time_share_splits_concurrent_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(allocation.time, "perf_counter", lambda: now[0])
    meter = GpuTimeShare(usd_per_hour_total=3600.0)  # $1 per busy second
    a = meter.start()  # t=0: A alone
    now[0] = 10.0
    b = meter.start()  # t=10: A and B share
    now[0] = 20.0
    cost_a = meter.stop(a)  # A: 10 s alone + 10 s shared = 15
    now[0] = 30.0
    cost_b = meter.stop(b)  # B: 10 s shared + 10 s alone = 15
    assert cost_a == pytest.approx(15.0) and cost_b == pytest.approx(15.0)
    now[0] = 100.0  # idle time is charged to nobody
    c = meter.start()
    now[0] = 101.0
    assert meter.stop(c) == pytest.approx(1.0)
    assert cost_a + cost_b == pytest.approx(30.0)  # the busy time, exactly once
