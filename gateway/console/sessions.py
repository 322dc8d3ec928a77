"""Console sessions, kept on the server: the cookie holds only a random key.

A session ends at sign-out, after ``idle`` seconds without a request, or ``max_age``
after sign-in, whichever is first; the server forgets it then, so a copied cookie
is worth nothing afterwards (a signed cookie would stay valid until it expired).
The store keeps SHA-256 digests of the keys, not the keys. Sessions before sign-in
(which carry the sign-in form's CSRF token) live in a separate, smaller pool, so
that a flood of anonymous visits cannot push signed-in people out.

Sessions live in this process: with several replicas, route each browser to one
replica (sticky sessions) or sign in again after a switch (docs/console.md).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.admin.auth import AdminPrincipal

__all__ = ["ANONYMOUS_IDLE", "Session", "SessionStore"]

ANONYMOUS_IDLE = 900.0  # a sign-in form stays usable for 15 minutes


@dataclass(slots=True)
class Session:
    csrf: str
    created: float
    seen: float
    principal: AdminPrincipal | None = None
    method: str | None = None  # how they signed in: password | token | oidc
    #: flash messages for the next page (text keys), e.g. after a redirect
    notices: list[str] = field(default_factory=list)


class SessionStore:
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

    def anonymous(self) -> tuple[str, Session]:
        """A new session before sign-in; returns the cookie value and the session."""
        return self._add(self._anonymous, self._anonymous_capacity, None, None)

    def sign_in(self, old_key: str | None, principal: AdminPrincipal, method: str) -> str:
        """A fresh key for the signed-in session (never the anonymous one's: no fixation)."""
        if old_key is not None:
            self._anonymous.pop(_digest(old_key), None)
        key, _ = self._add(self._signed_in, self._capacity, principal, method)
        return key

    def get(self, key: str | None) -> Session | None:
        """The live session of this cookie value, its idle clock reset; None if it ended."""
        if not key:
            return None
        digest = _digest(key)
        for pool in (self._signed_in, self._anonymous):
            session = pool.get(digest)
            if session is None:
                continue
            now = self._clock()
            idle = self.idle if session.principal is not None else ANONYMOUS_IDLE
            if now - session.seen > idle or now - session.created > self.max_age:
                del pool[digest]
                return None
            session.seen = now
            pool.move_to_end(digest)
            return session
        return None

    def end(self, key: str | None) -> None:
        if key:
            digest = _digest(key)
            self._signed_in.pop(digest, None)
            self._anonymous.pop(digest, None)

    def __len__(self) -> int:
        return len(self._signed_in)

    def _add(
        self,
        pool: OrderedDict[str, Session],
        capacity: int,
        principal: AdminPrincipal | None,
        method: str | None,
    ) -> tuple[str, Session]:
        key = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), now, now, principal, method)
        pool[_digest(key)] = session
        while len(pool) > capacity:
            pool.popitem(last=False)  # the least recently used
        return key, session


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
