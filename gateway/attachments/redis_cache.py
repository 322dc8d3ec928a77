"""The read cache shared by replicas, in Redis under its own key prefix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis

__all__ = ["RedisCacheStore"]


class RedisCacheStore:
    """Sealed reads (``cache.ReadCache``) kept for ``ttl_seconds`` under ``prefix``."""

    def __init__(
        self,
        url: str,
        prefix: str = "haetae:attachments:",
        ttl_seconds: int = 86_400,
        options: Mapping[str, Any] | None = None,
        timeout: float = 0.5,
    ) -> None:
        # Short timeouts: a slow Redis must cost less than reading the file again.
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, **(options or {})
        )
        self._prefix = prefix
        self._ttl = ttl_seconds

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._prefix + key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes) -> None:
        await self._redis.set(self._prefix + key, value, ex=self._ttl)

    async def aclose(self) -> None:
        await self._redis.aclose()
