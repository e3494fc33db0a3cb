"""Which GPU price a benchmark's cost per 1M tokens uses, most specific first.

1. ``--gpu-usd-per-hour`` (the user knows best);
2. ``bench.gpu_usd_per_hour[label or model]`` in seedstack.yaml;
3. the alias's backend ``gpu:`` block in ``models:`` (price times count);
4. the cost catalog (``seedstack.cost``) for ``--gpu-type`` at ``--gpu-pricing`` (on-demand by default).
"""

from __future__ import annotations

from ..config import Settings

__all__ = ["resolve_gpu_price"]


def _catalog_price(settings: Settings, gpu_type: str, pricing: str) -> float | None:
    """Per-GPU hourly price from the cost catalog (shipped rows plus the user's overrides)."""
    try:
        from ..cost.catalog import PriceCatalog
    except ImportError:  # the cost service is optional for benchmarks
        return None
    cost_config = getattr(settings, "cost", None)
    if cost_config is None:
        return None
    row = PriceCatalog.from_config(cost_config).price(gpu_type, pricing)
    return None if row is None else float(row.usd_per_gpu_hour)


def resolve_gpu_price(
    settings: Settings,
    *,
    label: str,
    model: str,
    usd_per_hour: float | None = None,
    gpu_type: str | None = None,
    gpu_count: int = 1,
    pricing: str = "on-demand",
) -> float | None:
    """USD per hour for every GPU behind the endpoint, or ``None`` when nothing says."""
    if usd_per_hour is not None:
        return usd_per_hour
    table = settings.bench.gpu_usd_per_hour
    for key in (label, model):
        if key in table:
            return table[key]
    alias = settings.models.get(model)
    if alias is not None:
        for backend in alias.backends:
            gpu = getattr(backend, "gpu", None)
            if gpu is not None:
                return float(gpu.usd_per_hour) * int(gpu.count)
    if gpu_type:
        price = _catalog_price(settings, gpu_type, pricing)
        if price is not None:
            return price * gpu_count
    return None
