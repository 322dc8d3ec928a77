"""Company index notices through Redis (``company_notices.py`` says what they are).

{prefix}company-index     string the latest notice (JSON: generation, replica, at)
{prefix}company-reloaded  pub/sub channel: the generation, on every notice
"""

from __future__ import annotations

import contextlib

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.rollout.company_notices import Notice
from gateway.rollout.redis_connect import RedisTarget, describe_redis_error
from gateway.rollout.redis_store import Doorbell
from gateway.rollout.store import StoreUnavailable

__all__ = ["RedisCompanyNotices"]


class RedisCompanyNotices:
    kind = "redis"

    def __init__(self, target: RedisTarget, prefix: str, *, timeout: float = 1.0) -> None:
        self._redis = aioredis.Redis.from_url(
            target.url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
            **target.options,
        )
        self._key = f"{prefix}company-index"
        self._channel = f"{prefix}company-reloaded"
        self._doorbell = Doorbell(self._redis, self._channel, target.display)
        self._display = target.display

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"redis {self._display}: {describe_redis_error(exc)}")

    async def announce(self, notice: Notice) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._key, notice.to_json())
                pipe.publish(self._channel, notice.generation)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from None

    async def latest(self) -> Notice | None:
        try:
            raw = await self._redis.get(self._key)
        except (RedisError, OSError) as exc:
            raise self._unavailable(exc) from None
        return Notice.parse(raw)

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        await self._doorbell.wait(timeout)

    async def aclose(self) -> None:
        await self._doorbell.close()
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()
