"""The shipped price catalog: dated, sourced rows; overrides; staleness; GPU name mapping."""

from __future__ import annotations

import datetime as dt

import pytest

from seedstack.config.cost import CostConfig, GpuPriceOverride
from seedstack.cost.catalog import GPU_TYPES, PRICINGS, PriceCatalog, normalize_gpu

MAIN_PROVIDERS = {"aws", "gcp", "azure", "lambda", "coreweave", "runpod", "modal", "together"}


def test_every_row_has_a_source_and_a_date_and_every_gpu_is_priced() -> None:
    cat = PriceCatalog(PriceCatalog.shipped_rows())
    assert {r.gpu for r in cat.rows} == set(GPU_TYPES)
    assert {r.pricing for r in cat.rows} == set(PRICINGS)
    assert {r.provider for r in cat.rows} == MAIN_PROVIDERS
    for r in cat.rows:
        assert r.source.startswith("https://") and r.usd_per_gpu_hour > 0
        assert isinstance(r.as_of, dt.date)


def test_override_replaces_the_shipped_row_and_is_dated_today() -> None:
    cfg = CostConfig(
        prices=[
            GpuPriceOverride(
                gpu="h100",
                provider="Lambda",
                pricing="reserved",
                usd_per_gpu_hour=1.10,
                source="our contract",
            )
        ]
    )
    cat = PriceCatalog.from_config(cfg, today=dt.date(2026, 11, 27))
    rows = cat.find("H100", "reserved", "lambda")
    assert len(rows) == 1 and rows[0].usd_per_gpu_hour == 1.10 and rows[0].source == "our contract"
    assert rows[0].as_of == dt.date(2026, 11, 27)


def test_price_uses_preferred_provider_else_median() -> None:
    cat = PriceCatalog.from_config(CostConfig())
    median = cat.price("H100", "on-demand")
    values = sorted(r.usd_per_gpu_hour for r in cat.find("H100", "on-demand"))
    assert median is not None and median.provider == "median"
    assert median.usd_per_gpu_hour == pytest.approx(
        (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        if len(values) % 2 == 0
        else values[len(values) // 2]
    )
    lam = PriceCatalog.from_config(CostConfig(provider="lambda")).price("H100", "on-demand")
    assert lam is not None and lam.provider == "lambda"
    assert cat.price("A10G", "reserved") is None


def test_stale_rows_after_90_days() -> None:
    cat = PriceCatalog.from_config(CostConfig())
    newest = max(r.as_of for r in cat.rows)
    assert cat.stale_rows(newest + dt.timedelta(days=90), 90) == [r for r in cat.rows if r.as_of < newest]
    assert len(cat.stale_rows(newest + dt.timedelta(days=91), 90)) == len(cat.rows)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("NVIDIA H100 80GB HBM3", "H100"),
        ("NVIDIA H200", "H200"),
        ("NVIDIA A100-SXM4-80GB", "A100-80GB"),
        ("NVIDIA L4", "L4"),
        ("NVIDIA A10G", "A10G"),
        ("NVIDIA B200", "B200"),
        ("Tesla T4", None),
        (None, None),
    ],
)
def test_device_names_map_to_catalog_keys(name: str | None, key: str | None) -> None:
    assert normalize_gpu(name) == key
