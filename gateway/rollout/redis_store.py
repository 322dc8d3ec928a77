"""The policy store shared by replicas, in Redis, every value signed.

Keys, all under the configured prefix (default ``haetae:policy:``)::

    {prefix}versions      hash   content hash → signed StoredVersion
    {prefix}active        string the signed ChangeRecord that made the active version
    {prefix}history       list   signed ChangeRecords, newest first (trimmed)
    {prefix}file-version  string signed: the last policy-file version a replica rolled out
    {prefix}approvals:<v> hash   approver name → signed Approval of version <v> (four eyes)
    {prefix}activated     pub/sub channel: the new active hash, on every change
    {prefix}replicas      hash   replica id → its health (JSON, with a deadline) for the console

Redis is storage and transport, never authority: each policy value is sealed with
the rollout signing key (``signing.py``) and opened before use. A value that
does not verify is refused (``UntrustedState``), recorded in ``Rejections``
and never acted on. The pub/sub message is only a doorbell: a replica that
hears it re-reads and verifies the pointer.

Each change carries a sequence number one above the highest this store has
seen, assigned under ``WATCH`` so concurrent activations cannot share one; a
replica refuses a pointer whose number is below one it has already accepted
(an old, validly signed activation written back: a replay).

An activation writes the pointer and the log entry and publishes in one
MULTI/EXEC, so a replica that hears the message always finds the pointer set.
Pub/sub is fast but lossy (a replica that was reconnecting misses messages),
so replicas also re-read the pointer every poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from gateway.rollout.redis_connect import RedisTarget, describe_redis_error
from gateway.rollout.signing import Rejections, RolloutKeys, UntrustedState
from gateway.rollout.store import (
    Approval,
    ChangeRecord,
    PointerTaken,
    StoredVersion,
    StoreUnavailable,
)

__all__ = ["Doorbell", "RedisPolicyStore", "read_active_blocking"]

T = TypeVar("T")

_HISTORY_LIMIT = 1000
_VERSION_ID = re.compile(r"[0-9a-f]{1,64}")
_ORIGINS = frozenset({"upload", "file"})
_ACTIONS = frozenset({"activate", "rollback", "reload"})


class Doorbell:
    """Wake-ups on one pub/sub channel; what a message says is never used (it is only a
    reason to re-read something that is checked)."""

    def __init__(self, client: aioredis.Redis, channel: str, display: str) -> None:
        self._redis = client
        self._channel = channel
        self._display = display
        self._pubsub: Any = None

    async def wait(self, timeout: float) -> None:  # noqa: ASYNC109
        """Return at a message or after ``timeout`` s; StoreUnavailable if the link is down.

        The first call subscribes and returns at once: anything published before that
        moment was missed, so the caller re-reads now rather than after a whole interval.
        """
        try:
            if self._pubsub is None:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self._channel)
                self._pubsub = pubsub
                return
            deadline = asyncio.get_running_loop().time() + timeout
            while (left := deadline - asyncio.get_running_loop().time()) > 0:
                message = await self._pubsub.get_message(timeout=left)
                if message is not None and message.get("type") == "message":
                    return
        except (RedisError, OSError) as exc:
            await self.close()
            raise StoreUnavailable(f"redis {self._display}: {describe_redis_error(exc)}") from None

    async def close(self) -> None:
        """Unsubscribe; the next ``wait`` subscribes again on a fresh connection."""
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()


class RedisPolicyStore:
    kind = "redis"

    def __init__(
        self,
        target: RedisTarget,
        prefix: str,
        keys: RolloutKeys,
        *,
        rejections: Rejections | None = None,
        timeout: float = 1.0,
    ) -> None:
        # Short timeouts: an unreachable Redis must be noticed in about a second,
        # and the serving path never waits on it anyway.
        self._redis = aioredis.Redis.from_url(
            target.url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
            **target.options,
        )
        self._prefix = prefix
        self._channel = f"{prefix}activated"
        self._replicas = f"{prefix}replicas"
        self._doorbell = Doorbell(self._redis, self._channel, target.display)
        self._keys = keys
        self.rejections = rejections if rejections is not None else Rejections()
        #: the highest change sequence number this replica accepted or wrote
        self.seen_seq = 0
        self.url = target.display

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except (RedisError, OSError) as exc:
            await self._doorbell.close()  # resubscribe on a fresh connection next time
            raise StoreUnavailable(f"redis {self.url}: {describe_redis_error(exc)}") from None

    # -- versions ------------------------------------------------------------

    async def put_version(self, version: StoredVersion) -> bool:
        key = f"{self._prefix}versions"
        sealed = self._keys.seal("version", dataclasses.asdict(version))
        if await self._call(lambda: self._redis.hsetnx(key, version.version, sealed)):
            return True
        raw = await self._call(lambda: self._redis.hget(key, version.version))
        try:
            existing = None if raw is None else self._open_version(raw, version.version)
        except UntrustedState:
            existing = None  # whatever sat under this name was not ours: replace it
        if existing is not None and _signer(raw) == self._keys.signer_id:
            return False
        # New, or signed by a key being rotated out: (re-)sign it with the current key,
        # keeping who first stored it.
        resealed = self._keys.seal("version", dataclasses.asdict(existing or version))
        await self._call(lambda: self._redis.hset(key, version.version, resealed))
        return existing is None

    async def get_version(self, version: str) -> StoredVersion | None:
        key = f"{self._prefix}versions"
        raw = await self._call(lambda: self._redis.hget(key, version))
        if raw is None:
            return None
        return self._open_version(raw, version)

    async def list_versions(self) -> list[StoredVersion]:
        """The versions that verify; the others are recorded as rejections and left out."""
        key = f"{self._prefix}versions"
        raw = await self._call(lambda: self._redis.hgetall(key))
        versions = []
        for name, value in raw.items():
            with contextlib.suppress(UntrustedState):
                versions.append(self._open_version(value, _text(name)))
        return sorted(versions, key=lambda v: v.uploaded_at)

    def _open_version(self, raw: bytes | str, name: str) -> StoredVersion:
        where = f"{self._prefix}versions[{_shown(name)}]"
        try:
            payload = self._keys.open("version", raw, where)
            stored = StoredVersion(**payload)
            if stored.version != name:
                raise UntrustedState(where, "a signed version filed under another version's name")
            if stored.origin not in _ORIGINS:
                raise UntrustedState(where, "an origin no replica writes")
        except TypeError:
            self.rejections.record(UntrustedState(where, "malformed signed version"), raw)
            raise UntrustedState(where, "malformed signed version") from None
        except UntrustedState as exc:
            self.rejections.record(exc, raw)
            raise
        return stored

    # -- the active pointer and the change log -------------------------------

    async def active_change(self) -> ChangeRecord | None:
        """The verified change that made the active version, None if there is none."""
        raw = await self._call(lambda: self._redis.get(f"{self._prefix}active"))
        if raw is None:
            return None
        change = self._open_change(raw, f"{self._prefix}active")
        if change.seq < self.seen_seq:
            exc = UntrustedState(
                f"{self._prefix}active",
                f"an older activation (sequence {change.seq}, this replica has accepted "
                f"{self.seen_seq}) written back: a replay",
            )
            self.rejections.record(exc, raw)
            raise exc
        self.seen_seq = change.seq
        return change

    async def active_version(self) -> str | None:
        change = await self.active_change()
        return None if change is None else change.to_version

    async def set_active(
        self, change: ChangeRecord, *, only_if_unset: bool = False
    ) -> ChangeRecord:
        active, history = f"{self._prefix}active", f"{self._prefix}history"

        async def transaction() -> ChangeRecord:
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(active)
                        current = await pipe.get(active)
                        latest, valid = self.seen_seq, False
                        if current is not None:
                            with contextlib.suppress(UntrustedState):
                                latest = max(latest, self._open_change(current, active).seq)
                                valid = True
                        if only_if_unset and valid:
                            raise PointerTaken(change.to_version)
                        record = dataclasses.replace(change, seq=latest + 1)
                        sealed = self._keys.seal("change", dataclasses.asdict(record))
                        pipe.multi()  # type: ignore[no-untyped-call]
                        pipe.set(active, sealed)
                        pipe.lpush(history, sealed)
                        pipe.ltrim(history, 0, _HISTORY_LIMIT - 1)
                        pipe.publish(self._channel, record.to_version)
                        await pipe.execute()
                    except WatchError:
                        continue  # another replica activated meanwhile: number after it
                    self.seen_seq = record.seq
                    return record

        return await self._call(transaction)

    async def history(self, limit: int = 100) -> list[ChangeRecord]:
        """Newest first; entries that do not verify are recorded and left out."""
        key = f"{self._prefix}history"
        raw = await self._call(lambda: self._redis.lrange(key, 0, limit - 1))
        changes = []
        for value in raw:
            with contextlib.suppress(UntrustedState):
                changes.append(self._open_change(value, key))
        return changes

    def _open_change(self, raw: bytes | str, where: str) -> ChangeRecord:
        try:
            change = ChangeRecord(**self._keys.open("change", raw, where))
            if change.action not in _ACTIONS or not isinstance(change.seq, int):
                raise UntrustedState(where, "a change no replica writes")
        except TypeError:
            self.rejections.record(UntrustedState(where, "malformed signed change"), raw)
            raise UntrustedState(where, "malformed signed change") from None
        except UntrustedState as exc:
            self.rejections.record(exc, raw)
            raise
        return change

    # -- the policy file's last rolled-out version ---------------------------

    async def claim_file_version(self, version: str) -> bool:
        key = f"{self._prefix}file-version"
        sealed = self._keys.seal("file-version", {"version": version, "at": time.time()})
        # SET ... GET is atomic: of several replicas seeing the same new file, one wins.
        previous = await self._call(lambda: self._redis.set(key, sealed, get=True))
        if previous is None:
            return True
        if not isinstance(previous, bytes | str):
            previous = b""  # SET ... GET answers the old value; anything else is not ours
        try:
            claimed = self._keys.open("file-version", previous, key)
        except UntrustedState as exc:
            # Not ours: treat the file as new, so the operator's own policy file wins.
            self.rejections.record(exc, previous)
            return True
        return bool(claimed.get("version") != version)

    # -- approvals (four eyes) -----------------------------------------------

    async def add_approval(self, approval: Approval) -> None:
        key = f"{self._prefix}approvals:{approval.version}"
        sealed = self._keys.seal("approval", dataclasses.asdict(approval))
        await self._call(lambda: self._redis.hset(key, approval.by, sealed))

    async def approvals(self, version: str) -> list[Approval]:
        """Approvals that verify *and* name this version: a signed approval of another
        version copied under this key is refused like any forgery."""
        key = f"{self._prefix}approvals:{version}"
        raw = await self._call(lambda: self._redis.hgetall(key))
        found = []
        for value in raw.values():
            try:
                approval = Approval(**self._keys.open("approval", value, key))
                if approval.version != version:
                    raise UntrustedState(key, "an approval of another version")
            except TypeError:
                self.rejections.record(UntrustedState(key, "malformed signed approval"), value)
                continue
            except UntrustedState as exc:
                self.rejections.record(exc, value)
                continue
            found.append(approval)
        return found

    # -- push, lifecycle ---------------------------------------------------

    # -- replicas (reported, not signed: shown on the console, never acted on) ---------
    # One hash, not a key per replica: reading it costs the replicas, not a SCAN of the
    # whole keyspace (sessions, caches and counters share this Redis). Hash fields do not
    # expire, so each value carries its deadline and a reader drops the ones past it.

    async def publish_replica(self, replica: str, status: bytes, ttl: float) -> None:
        """This replica's health in ``{prefix}replicas``, ignored after ``ttl`` seconds."""
        value = orjson.dumps({"until": time.time() + ttl, "status": orjson.Fragment(status)})
        await self._call(lambda: self._redis.hset(self._replicas, replica, value))

    async def forget_replica(self, replica: str) -> None:
        """A replica that stops cleanly leaves the list at once."""
        await self._call(lambda: self._redis.hdel(self._replicas, replica))

    async def replicas(self, limit: int = 200) -> list[dict[str, Any]]:
        """What the live replicas last published (at most ``limit``); stale ones removed."""
        entries: dict[Any, Any] = await self._call(lambda: self._redis.hgetall(self._replicas))
        now, found, stale = time.time(), [], []
        for field_name, raw in entries.items():
            try:
                value = orjson.loads(raw)
                live = value["until"] >= now and isinstance(value["status"], dict)
            except (orjson.JSONDecodeError, KeyError, TypeError):
                live = False
            if live:
                found.append(value["status"])
            else:
                stale.append(field_name)
        if stale:
            await self._call(lambda: self._redis.hdel(self._replicas, *stale))
        return found[:limit]

    async def wait_for_change(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait for an activation message; raises StoreUnavailable if the link is down."""
        await self._doorbell.wait(timeout)

    async def aclose(self) -> None:
        await self._doorbell.close()
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()

    async def delete_all(self) -> None:
        """Remove every key under the prefix (tests and decommissioning)."""

        async def delete() -> None:
            keys = [k async for k in self._redis.scan_iter(match=f"{self._prefix}*")]
            if keys:
                await self._redis.delete(*keys)

        await self._call(delete)


def read_active_blocking(
    target: RedisTarget, prefix: str, keys: RolloutKeys, *, timeout: float = 1.0
) -> StoredVersion | None:
    """The shared active version, read once and verified, without an event loop (start-up).

    Raises ``StoreUnavailable`` when Redis cannot be reached and ``UntrustedState``
    when the pointer or the version does not verify; returns None when Redis
    holds no active version (or the pointer names a version it lacks).
    """
    client = redis.Redis.from_url(
        target.url, socket_timeout=timeout, socket_connect_timeout=timeout, **target.options
    )
    try:
        raw_active = client.get(f"{prefix}active")
        if raw_active is None:
            return None
        payload = keys.open("change", raw_active, f"{prefix}active")
        version = str(payload.get("to_version"))
        raw = client.hget(f"{prefix}versions", version)
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"redis {target.display}: {describe_redis_error(exc)}") from None
    finally:
        client.close()
    if raw is None:
        return None
    where = f"{prefix}versions[{_shown(version)}]"
    try:
        stored = StoredVersion(**keys.open("version", raw, where))
    except TypeError:
        raise UntrustedState(where, "malformed signed version") from None
    if stored.version != version or stored.origin not in _ORIGINS:
        raise UntrustedState(where, "a signed version filed under another version's name")
    return stored


def _shown(name: str) -> str:
    """A hash field's name as logs may show it: a version id, or not at all.

    The name is whatever a writer to Redis chose, so it could carry any text.
    """
    return name if _VERSION_ID.fullmatch(name) else "<not a version id>"


def _signer(raw: object) -> str | None:
    """The key id an envelope names (already verified by the caller)."""
    try:
        envelope = orjson.loads(raw) if isinstance(raw, bytes | str) else None
    except orjson.JSONDecodeError:
        return None
    return str(envelope.get("key")) if isinstance(envelope, dict) else None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
