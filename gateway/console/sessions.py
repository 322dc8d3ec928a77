"""Console sessions, kept on the server: the cookie holds only a random key.

A session ends at sign-out, after ``idle`` seconds without a request, or ``max_age``
after sign-in, whichever is first; the server forgets it then, so a copied cookie
is worth nothing afterwards (a signed cookie would stay valid until it expired).
Stores keep SHA-256 digests of the keys, not the keys. Sessions before sign-in
(which carry the sign-in form's CSRF token) last ``ANONYMOUS_IDLE``.

``MemorySessions`` keeps them in this process (one worker, one replica);
``redis_sessions.RedisSessions`` shares them between workers and replicas.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.admin.auth import AdminPrincipal

__all__ = ["ANONYMOUS_IDLE", "MemorySessions", "Session", "Sessions", "digest", "new_session"]

ANONYMOUS_IDLE = 900.0  # a sign-in form stays usable for 15 minutes


@dataclass(slots=True)
class Session:
    csrf: str
    created: float
    seen: float
    principal: AdminPrincipal | None = None
    method: str | None = None  # how they signed in: password | token | oidc


class Sessions(Protocol):
    """Where sessions live; every method is a short store operation."""

    async def anonymous(self) -> tuple[str, Session]:
        """A new session before sign-in: the cookie value and the session."""

    async def sign_in(self, old_key: str | None, principal: AdminPrincipal, method: str) -> str:
        """A fresh key for the signed-in session (never the anonymous one's: no fixation)."""

    async def get(self, key: str | None) -> Session | None:
        """The live session of this cookie value, its idle clock reset; None if it ended."""

    async def end(self, key: str | None) -> None: ...


def new_session(
    now: float, principal: AdminPrincipal | None = None, method: str | None = None
) -> tuple[str, Session]:
    """A cookie key and its session; both values are 256 random bits."""
    session = Session(secrets.token_urlsafe(32), now, now, principal, method)
    return secrets.token_urlsafe(32), session


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def expired(session: Session, now: float, idle: float, max_age: float) -> bool:
    limit = idle if session.principal is not None else ANONYMOUS_IDLE
    return now - session.seen > limit or now - session.created > max_age


class MemorySessions:
    """In this process. Anonymous sessions have a pool of their own, a tenth of the
    size, so that a flood of anonymous visits cannot push signed-in people out."""

    def __init__(
        self,
        idle: float,
        max_age: float,
        capacity: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.idle = idle
        self.max_age = max_age
        self._clock = clock
        self._signed_in: OrderedDict[str, Session] = OrderedDict()
        self._anonymous: OrderedDict[str, Session] = OrderedDict()
        self._capacity = capacity
        self._anonymous_capacity = max(10, capacity // 10)

    async def anonymous(self) -> tuple[str, Session]:
        return self._add(self._anonymous, self._anonymous_capacity, None, None)

    async def sign_in(self, old_key: str | None, principal: AdminPrincipal, method: str) -> str:
        if old_key is not None:
            self._anonymous.pop(digest(old_key), None)
        key, _ = self._add(self._signed_in, self._capacity, principal, method)
        return key

    async def get(self, key: str | None) -> Session | None:
        if not key:
            return None
        found = digest(key)
        for pool in (self._signed_in, self._anonymous):
            session = pool.get(found)
            if session is None:
                continue
            now = self._clock()
            if expired(session, now, self.idle, self.max_age):
                del pool[found]
                return None
            session.seen = now
            pool.move_to_end(found)
            return session
        return None

    async def end(self, key: str | None) -> None:
        if key:
            self._signed_in.pop(digest(key), None)
            self._anonymous.pop(digest(key), None)

    def __len__(self) -> int:
        return len(self._signed_in)

    def _add(
        self,
        pool: OrderedDict[str, Session],
        capacity: int,
        principal: AdminPrincipal | None,
        method: str | None,
    ) -> tuple[str, Session]:
        key, session = new_session(self._clock(), principal, method)
        pool[digest(key)] = session
        while len(pool) > capacity:
            pool.popitem(last=False)  # the least recently used
        return key, session
