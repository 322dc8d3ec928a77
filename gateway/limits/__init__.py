"""Limits on requests, tokens and spend, and what requests cost (docs/governance.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.lazy import lazy_exports

if TYPE_CHECKING:
    from gateway.limits.build import build_limits
    from gateway.limits.counters import Counters, MemoryCounters
    from gateway.limits.enforce import Limits
    from gateway.limits.prices import PriceTable, load_prices

__all__ = ["Counters", "Limits", "MemoryCounters", "PriceTable", "build_limits", "load_prices"]

__getattr__ = lazy_exports(
    __name__,
    {
        "build_limits": "gateway.limits.build",
        "Counters": "gateway.limits.counters",
        "MemoryCounters": "gateway.limits.counters",
        "Limits": "gateway.limits.enforce",
        "PriceTable": "gateway.limits.prices",
        "load_prices": "gateway.limits.prices",
    },
)
