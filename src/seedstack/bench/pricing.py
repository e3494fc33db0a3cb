"""Which GPU price a benchmark's cost per 1M tokens uses, most specific first.

1. ``--gpu-usd-per-hour`` (the user knows best);
2. ``bench.gpu_usd_per_hour[label or model]`` in seedstack.yaml;
3. the alias's backend ``gpu:`` block in ``models:`` (price times count);
4. the cost catalog (``seedstack.cost``) for ``--gpu-type``, when that service is installed.
"""

from __future__ import annotations

from typing import Any

from ..config import Settings

__all__ = ["resolve_gpu_price"]


def _catalog_price(gpu_type: str) -> float | None:
    try:
        from ..cost import catalog  # type: ignore[attr-defined]
    except ImportError:
        return None
    lookup: Any = getattr(catalog, "gpu_usd_per_hour", None)
    if lookup is None:
        return None
    try:
        price = lookup(gpu_type)
    except Exception:  # an unknown GPU type falls through to "price unknown"
        return None
    return None if price is None else float(price)


def resolve_gpu_price(
    settings: Settings,
    *,
    label: str,
    model: str,
    usd_per_hour: float | None = None,
    gpu_type: str | None = None,
    gpu_count: int = 1,
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
        price = _catalog_price(gpu_type)
        if price is not None:
            return price * gpu_count
    return None
