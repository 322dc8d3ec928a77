"""Bearer tokens (JWTs) from the company's OIDC provider: verify, then map claims.

Verification is PyJWT's, with everything pinned by configuration: the issuer,
the audience, the accepted algorithms (public-key ones only; the token's own
``alg`` never widens them), the signing key from the JWKS by ``kid``, and
``exp``/``iss``/``aud`` required. Every failure is a 401 that says what is wrong
in words a person can act on ("expired: sign in again"), never the token.

A client reuses one token for many requests, and PyJWT spends ~80 µs per
decode (most of it validating base64 in Python), so a verified token is
remembered, by digest, until it expires or for ``cache_seconds`` at most.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jwt
import orjson

from gateway.identity.errors import Unauthenticated
from gateway.identity.jwks import JwksSource, SigningKey
from gateway.settings import JwtSettings

__all__ = ["TokenVerifier", "VerifiedToken"]

_MAX_NAME = 200
_MAX_GROUPS = 256
_MAX_REMEMBERED = 10_000

VerifiedToken = tuple[str, tuple[str, ...]]  # user, groups


class TokenVerifier:
    def __init__(
        self,
        settings: JwtSettings,
        keys: JwksSource,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._algorithms = frozenset(settings.algorithms)
        self._clock = wall_clock
        # digest → (valid until, user and groups); oldest first, for eviction
        self._verified: OrderedDict[bytes, tuple[float, VerifiedToken]] = OrderedDict()

    def is_company_token(self, token: str) -> bool:
        """Whether an (unverified) token names our issuer, i.e. is ours to verify."""
        claims = _unverified_part(token, 1)
        return claims is not None and claims.get("iss") == self._settings.issuer

    async def verify(self, token: str) -> VerifiedToken:
        digest = hashlib.sha256(token.encode("latin-1")).digest()
        now = self._clock()
        remembered = self._verified.get(digest)
        if remembered is not None:
            if now < remembered[0]:
                return remembered[1]
            del self._verified[digest]
        result, expires = await self._verify(token)
        if len(self._verified) >= _MAX_REMEMBERED:
            self._verified.popitem(last=False)
        self._verified[digest] = (min(expires, now + self._settings.cache_seconds), result)
        return result

    async def _verify(self, token: str) -> tuple[VerifiedToken, float]:
        header = _unverified_part(token, 0)  # PyJWT checks it again, strictly, in decode
        if header is None:
            raise Unauthenticated("the sign-in token is malformed (not a JWT)")
        algorithm = header.get("alg")
        if algorithm not in self._algorithms:
            raise Unauthenticated(
                f"the sign-in token is signed with {str(algorithm)[:20]!r}, which this "
                f"gateway does not accept (accepted: {', '.join(sorted(self._algorithms))})"
            )
        kid = header.get("kid")
        key = await self._keys.key_for(kid if isinstance(kid, str) else None)
        if key is None:
            raise Unauthenticated(
                "the sign-in token was signed with a key the identity provider does not "
                "publish (unknown key id); sign in again"
            )
        if not key.signs(algorithm):
            # The token must not choose another family for the key material (the
            # JWK's own alg, or its type, decides).
            raise Unauthenticated("the sign-in token's algorithm does not match its signing key")
        claims = self._decode(token, key, algorithm)
        return (self._user(claims), self._groups(claims)), float(claims["exp"])

    def _decode(self, token: str, key: SigningKey, algorithm: str) -> dict[str, Any]:
        settings = self._settings
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=settings.audience,
                issuer=settings.issuer,
                leeway=settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the sign-in token has expired; sign in again") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated(
                "the sign-in token is not valid yet (check the computer's clock)"
            ) from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(
                "the sign-in token was issued for another application (audience), "
                "not for this gateway"
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(
                "the sign-in token comes from an identity provider this gateway does not trust"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(
                f"the sign-in token lacks the required '{exc.claim}' claim"
            ) from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated(
                "the sign-in token's signature does not verify; it was altered or forged"
            ) from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(
                f"the sign-in token is not valid ({type(exc).__name__})"
            ) from None

    def _user(self, claims: dict[str, Any]) -> str:
        name = self._settings.user_claim
        user = _claim(claims, name)
        if not isinstance(user, str) or not _usable(user):
            raise Unauthenticated(
                f"the sign-in token has no usable '{name}' claim to name the user"
            )
        return user

    def _groups(self, claims: dict[str, Any]) -> tuple[str, ...]:
        name = self._settings.groups_claim
        raw = _claim(claims, name) if name else None
        if isinstance(raw, str):
            raw = raw.replace(",", " ").split()
        if not isinstance(raw, list):
            return ()
        groups = [g.strip() for g in raw[:_MAX_GROUPS] if isinstance(g, str) and _usable(g)]
        return tuple(dict.fromkeys(groups))


def _unverified_part(token: str, index: int) -> dict[str, Any] | None:
    """A JWT's header (0) or claims (1), unchecked: only to decide what to verify with.

    PyJWT's own unverified decode validates base64 one character at a time in
    Python (~40 µs); the C decoder is enough to read ``alg``/``kid``/``iss``.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    part = parts[index]
    try:
        data = orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _claim(claims: dict[str, Any], name: str) -> Any:
    """``name`` as a claim, else as a dotted path (``realm_access.roles``)."""
    if name in claims:
        return claims[name]
    node: Any = claims
    for part in name.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _usable(value: str) -> bool:
    return 0 < len(value.strip()) <= _MAX_NAME and value.isprintable()
