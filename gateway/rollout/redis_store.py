"""The policy store shared by replicas, in Redis.

Keys, all under the configured prefix (default ``haetae:policy:``)::

    {prefix}versions      hash   content hash → StoredVersion JSON
    {prefix}active        string the active content hash
    {prefix}history       list   ChangeRecord JSON, newest first (trimmed)
    {prefix}file-version  string the last policy-file version a replica rolled out
    {prefix}activated     pub/sub channel: the new active hash, on every change

An activation writes the pointer and the log entry and publishes in one
MULTI/EXEC, so a replica that hears the message always finds the pointer set.
Pub/sub is fast but lossy (a replica that was reconnecting misses messages),
so replicas also re-read the pointer every poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.rollout.store import ChangeRecord, StoredVersion, StoreUnavailable

__all__ = ["RedisPolicyStore", "read_active_blocking", "redact_url"]

T = TypeVar("T")

_HISTORY_LIMIT = 1000


def redact_url(url: str) -> str:
    """``redis://user:secret@host`` → ``redis://***@host``: URLs can carry passwords."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


class RedisPolicyStore:
    kind = "redis"

    def __init__(self, url: str, prefix: str, *, timeout: float = 1.0) -> None:
        # Short timeouts: an unreachable Redis must be noticed in about a second,
        # and the serving path never waits on it anyway.
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
        )
        self._prefix = prefix
        self._channel = f"{prefix}activated"
        self._pubsub: Any = None
        self.url = redact_url(url)

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except (RedisError, OSError) as exc:
            await self._drop_pubsub()  # resubscribe on a fresh connection next time
            raise StoreUnavailable(f"redis {self.url}: {type(exc).__name__}") from None

    async def put_version(self, version: StoredVersion) -> bool:
        key = f"{self._prefix}versions"
        added = await self._call(
            lambda: self._redis.hsetnx(key, version.version, version.to_json())
        )
        return bool(added)

    async def get_version(self, version: str) -> StoredVersion | None:
        key = f"{self._prefix}versions"
        raw = await self._call(lambda: self._redis.hget(key, version))
        return StoredVersion.from_json(raw) if raw is not None else None

    async def list_versions(self) -> list[StoredVersion]:
        key = f"{self._prefix}versions"
        raw = await self._call(lambda: self._redis.hvals(key))
        return sorted((StoredVersion.from_json(r) for r in raw), key=lambda v: v.uploaded_at)

    async def active_version(self) -> str | None:
        raw = await self._call(lambda: self._redis.get(f"{self._prefix}active"))
        return _text(raw) if raw is not None else None

    async def set_active(self, change: ChangeRecord) -> None:
        async def transaction() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(f"{self._prefix}active", change.to_version)
                pipe.lpush(f"{self._prefix}history", change.to_json())
                pipe.ltrim(f"{self._prefix}history", 0, _HISTORY_LIMIT - 1)
                pipe.publish(self._channel, change.to_version)
                await pipe.execute()

        await self._call(transaction)

    async def history(self, limit: int = 100) -> list[ChangeRecord]:
        key = f"{self._prefix}history"
        raw = await self._call(lambda: self._redis.lrange(key, 0, limit - 1))
        return [ChangeRecord.from_json(r) for r in raw]

    async def claim_file_version(self, version: str) -> bool:
        key = f"{self._prefix}file-version"
        # SET ... GET is atomic: of several replicas seeing the same new file, one wins.
        previous = await self._call(lambda: self._redis.set(key, version, get=True))
        return previous is None or _text(previous) != version

    async def wait_for_change(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait for an activation message; raises StoreUnavailable if the link is down."""
        try:
            if self._pubsub is None:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self._channel)
                self._pubsub = pubsub
                # Anything published before this moment was missed: have the caller
                # re-read the pointer now rather than after a whole poll interval.
                return
            deadline = asyncio.get_running_loop().time() + timeout
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                message = await self._pubsub.get_message(timeout=left)
                if message is not None and message.get("type") == "message":
                    return
        except (RedisError, OSError) as exc:
            await self._drop_pubsub()
            raise StoreUnavailable(f"redis {self.url}: {type(exc).__name__}") from None

    async def _drop_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()

    async def aclose(self) -> None:
        await self._drop_pubsub()
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()

    async def delete_all(self) -> None:
        """Remove every key under the prefix (tests and decommissioning)."""

        async def delete() -> None:
            keys = [k async for k in self._redis.scan_iter(match=f"{self._prefix}*")]
            if keys:
                await self._redis.delete(*keys)

        await self._call(delete)


def read_active_blocking(url: str, prefix: str, *, timeout: float = 1.0) -> StoredVersion | None:
    """The shared active version, read once without an event loop (start-up only).

    Raises ``StoreUnavailable`` when Redis cannot be reached, and returns None
    when it holds no active version (or the pointer names a version it lacks).
    """
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        active = client.get(f"{prefix}active")
        if active is None:
            return None
        raw = client.hget(f"{prefix}versions", _text(active))
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"redis {redact_url(url)}: {type(exc).__name__}") from None
    finally:
        client.close()
    return StoredVersion.from_json(raw) if raw is not None else None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
