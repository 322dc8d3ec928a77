"""The identity provider's signing keys (a JWKS), from a file or a URL.

A URL is fetched with the async client and a bounded timeout, so a slow
identity provider delays only the requests that need a fresh key, never the
event loop. Keys are cached for ``cache_seconds``; a token signed with a key id
the cache lacks triggers a refetch (the provider rotated its keys), at most once
per ``min_refresh_seconds`` so that made-up key ids cannot hammer it. When a
refresh fails the keys already held keep working; with none held, tokens are
answered 503 rather than let through.

Symmetric (``oct``) and encryption keys are dropped on load: a JWKS publishes
public signing keys, and an HMAC secret in it would only invite forgeries.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson

from gateway.errors import ConfigError
from gateway.identity.errors import IdentityUnavailable
from gateway.settings import JwtSettings

__all__ = ["JwksSource", "SigningKey", "parse_jwks"]

log = logging.getLogger("haetae.identity")

_MAX_JWKS_BYTES = 1024 * 1024
_FAMILY_OF_ALGORITHM = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A public key from the JWKS; ``algorithm`` is set when the JWK pins one."""

    kid: str | None
    key_type: str
    algorithm: str | None
    key: Any  # the cryptography public key object PyJWT verifies with

    def signs(self, algorithm: str) -> bool:
        """RSA keys sign RS*/PS*, EC keys ES*, OKP keys EdDSA; a pinned ``alg`` only itself."""
        if self.algorithm is not None:
            return self.algorithm == algorithm
        return _FAMILY_OF_ALGORITHM.get(algorithm[:2]) == self.key_type


def parse_jwks(data: bytes, where: str) -> dict[str | None, SigningKey]:
    """Signing keys by ``kid`` (a key without one is stored under None)."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ValueError(f"{where} is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError(f'{where} is not a JWKS (expected {{"keys": [...]}})')
    keys: dict[str | None, SigningKey] = {}
    for raw in document["keys"]:
        if not isinstance(raw, dict) or raw.get("kty") == "oct" or raw.get("use") == "enc":
            continue
        try:
            parsed = jwt.PyJWK.from_dict(raw)
        except jwt.PyJWTError as exc:
            log.warning("%s: skipping key %r: %s", where, raw.get("kid"), exc)
            continue
        pinned = raw.get("alg")
        kid = raw.get("kid")
        keys[kid if isinstance(kid, str) else None] = SigningKey(
            kid=kid if isinstance(kid, str) else None,
            key_type=str(raw["kty"]),
            algorithm=pinned if isinstance(pinned, str) else None,
            key=parsed.key,
        )
    if not keys:
        raise ValueError(f"{where} holds no usable public signing key")
    return keys


class JwksSource:
    """Looks up a signing key by ``kid``, refreshing the set when it needs to."""

    def __init__(
        self,
        settings: JwtSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._file: Path | None = settings.jwks_file
        self._url = settings.jwks_url
        self._timeout = settings.fetch_timeout_seconds
        self._cache_seconds = settings.cache_seconds
        self._min_refresh = settings.min_refresh_seconds
        self._clock = clock
        self._keys: dict[str | None, SigningKey] = {}
        self._loaded_at = -math.inf
        self._attempted_at = -math.inf
        self._attempts = 0
        self._lock: asyncio.Lock | None = None
        if self._file is not None:
            try:
                self._keys = parse_jwks(self._read_file(), str(self._file))
            except ValueError as exc:
                raise ConfigError(f"identity.jwt.jwks_file: {exc}") from None
            self._loaded_at = self._attempted_at = clock()

    async def key_for(self, kid: str | None) -> SigningKey | None:
        now = self._clock()
        stale = self._url is not None and now - self._loaded_at >= self._cache_seconds
        # Every refetch after the first waits out min_refresh_seconds since the last
        # attempt, failed or not: an unreachable provider then costs one timeout per
        # interval instead of one per request.
        may_fetch = self._attempts == 0 or now - self._attempted_at >= self._min_refresh
        if may_fetch and (stale or not self._keys or self._find(kid) is None):
            await self._refresh()
        if not self._keys:
            raise IdentityUnavailable(self._unavailable_message())
        return self._find(kid)

    def _find(self, kid: str | None) -> SigningKey | None:
        if kid is not None:
            return self._keys.get(kid)
        # No kid in the token: only unambiguous with a single published key.
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    async def _refresh(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        seen = self._attempts
        async with self._lock:
            if self._attempts != seen:  # another request refreshed while this one waited
                if not self._keys:
                    raise IdentityUnavailable(self._unavailable_message())
                return
            self._attempts += 1
            self._attempted_at = self._clock()
            try:
                keys = await self._load()
            except (OSError, ValueError, httpx.HTTPError) as exc:
                where = self._url or str(self._file)
                log.warning("cannot load the JWKS from %s: %s", where, _describe(exc))
                if not self._keys:
                    raise IdentityUnavailable(self._unavailable_message()) from None
                return  # keep serving the keys already held
            self._keys = keys
            self._loaded_at = self._clock()

    async def _load(self) -> dict[str | None, SigningKey]:
        if self._file is not None:
            return parse_jwks(await asyncio.to_thread(self._read_file), str(self._file))
        assert self._url is not None
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            response = await client.get(self._url, headers={"accept": "application/json"})
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        if len(response.content) > _MAX_JWKS_BYTES:
            raise ValueError("the response is larger than 1 MiB")
        return parse_jwks(response.content, self._url)

    def _read_file(self) -> bytes:
        assert self._file is not None
        try:
            return self._file.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {self._file}: {exc.strerror}") from None

    @staticmethod
    def _unavailable_message() -> str:
        return (
            "Haetae cannot check sign-in tokens right now: the identity provider's keys "
            "could not be loaded. Try again shortly, or ask the gateway's operators."
        )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
