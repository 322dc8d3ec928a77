"""Console sessions in Redis, shared by every worker and replica.

Each session is a value under ``<prefix><sha256(cookie key)>`` whose time to live
is its idle timeout (reset on each request, never past ``max_age`` after
sign-in). Redis is not trusted with the console's authority (docs/security.md):
each value carries an HMAC-SHA256 over the Redis key and the value, made with
``console.session_key_env``, a secret the replicas share and Redis never sees. A
value written by anyone else, or moved to another key, is refused and deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import redis.asyncio as aioredis

from gateway.admin.auth import AdminPrincipal
from gateway.console.sessions import ANONYMOUS_IDLE, Session, digest, expired, new_session

__all__ = ["RedisSessions"]


class RedisSessions:
    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        idle: float,
        max_age: float,
        prefix: str = "haetae:console:session:",
        options: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0, **(options or {})
        )
        self._secret = hashlib.sha256(b"haetae console sessions\0" + secret).digest()
        self.idle, self.max_age = idle, max_age
        self._prefix = prefix
        self._clock = clock

    async def anonymous(self) -> tuple[str, Session]:
        key, session = new_session(self._clock())
        await self._put(key, session)
        return key, session

    async def sign_in(self, old_key: str | None, principal: AdminPrincipal, method: str) -> str:
        await self.end(old_key)
        key, session = new_session(self._clock(), principal, method)
        await self._put(key, session)
        return key

    async def get(self, key: str | None) -> Session | None:
        if not key:
            return None
        name = self._prefix + digest(key)
        raw = await self._redis.get(name)
        if not isinstance(raw, bytes):
            return None
        session = self._open(name, raw)
        now = self._clock()
        if session is None or expired(session, now, self.idle, self.max_age):
            await self._redis.delete(name)
            return None
        session.seen = now
        await self._put(key, session)
        return session

    async def end(self, key: str | None) -> None:
        if key:
            await self._redis.delete(self._prefix + digest(key))

    async def aclose(self) -> None:
        await self._redis.aclose()

    async def _put(self, key: str, session: Session) -> None:
        name = self._prefix + digest(key)
        idle = self.idle if session.principal is not None else ANONYMOUS_IDLE
        left = min(idle, self.max_age - (session.seen - session.created))
        await self._redis.set(name, self._seal(name, session), px=max(1, int(left * 1000)))

    def _seal(self, name: str, session: Session) -> bytes:
        principal = session.principal
        body = orjson.dumps({
            "csrf": session.csrf, "created": session.created, "seen": session.seen,
            "name": principal.name if principal else None,
            "role": principal.role if principal else None, "method": session.method,
        })  # fmt: skip
        return self._tag(name, body).encode() + b"." + body

    def _open(self, name: str, raw: bytes) -> Session | None:
        tag, _, body = raw.partition(b".")
        if not hmac.compare_digest(tag, self._tag(name, body).encode()):
            return None  # not written by a replica holding the session key
        data = orjson.loads(body)
        principal = AdminPrincipal(data["name"], data["role"]) if data["name"] else None
        return Session(data["csrf"], data["created"], data["seen"], principal, data["method"])

    def _tag(self, name: str, body: bytes) -> str:
        return hmac.new(self._secret, name.encode() + b"\0" + body, hashlib.sha256).hexdigest()
