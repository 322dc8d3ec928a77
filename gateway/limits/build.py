"""Choosing the counters at start-up: the fleet's Redis, else this process's memory."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gateway.limits.counters import Counters, MemoryCounters
from gateway.limits.enforce import Limits

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from gateway.settings import LimitSettings

__all__ = ["build_limits"]

log = logging.getLogger("haetae.limits")


def build_limits(
    config: LimitSettings,
    redis_url: str | None = None,
    redis_options: Mapping[str, Any] | None = None,
    redis_display: str = "redis",
) -> Limits:
    """Redis when the replicas share one (``rollout.redis_url``); otherwise memory, which
    is exact for a single replica and per replica when there are several.

    ``redis_display`` names Redis in logs: the URL without its credentials.
    """
    counters: Counters
    if redis_url is not None:
        from gateway.limits.redis_counters import RedisCounters

        counters = RedisCounters(
            redis_url,
            config.redis_prefix,
            redis_options,
            config.redis_timeout_seconds,
            display=redis_display,
        )
        log.info("limits: counted in Redis %s (on error: %s)", redis_display, config.on_redis_error)
    else:
        counters = MemoryCounters()
        log.info("limits: counted in this process (no rollout.redis_url: one replica only)")
    return Limits(counters, config.on_redis_error)
