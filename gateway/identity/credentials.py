"""Where a caller puts a Haetae credential, and taking it out of the request.

Official SDKs only know how to send the provider's key, in the provider's own
header. So besides the dedicated header (``X-Haetae-Key``) a Haetae key
(``hk_…``) or a company token is also accepted where the SDK puts its key:
``Authorization: Bearer``, ``x-api-key``, ``api-key``, ``x-goog-api-key`` or
Gemini's ``?key=``. Whatever is taken is removed from the request, so it never
reaches the provider; a provider key in those places is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from gateway.identity.api_keys import KEY_PREFIX
from gateway.identity.errors import Unauthenticated

if TYPE_CHECKING:
    from gateway.exchange import Exchange

__all__ = ["CredentialFinder", "Presented", "looks_like_jwt"]

Kind = Literal["api_key", "jwt"]

#: headers in which SDKs send the provider key (OpenAI & co, Anthropic, Azure, Gemini)
_PROVIDER_KEY_HEADERS = {
    b"authorization": "Authorization",
    b"x-api-key": "x-api-key",
    b"api-key": "api-key",
    b"x-goog-api-key": "x-goog-api-key",
}
_BEARER = "bearer "
_QUERY_KEY = b"key=" + KEY_PREFIX.encode()


@dataclass(frozen=True, slots=True)
class Presented:
    """A gateway credential found in the request; ``place`` is safe to show, ``value`` is not."""

    kind: Kind
    place: str
    value: str
    from_provider_header: bool


def looks_like_jwt(value: str) -> bool:
    """Three base64url parts, the first a JSON object (``eyJ`` is ``{"``)."""
    return value.startswith("eyJ") and value.count(".") == 2


class CredentialFinder:
    """Finds, classifies and removes the Haetae credentials of one request."""

    def __init__(
        self,
        key_header: str,
        provider_headers: bool,
        is_company_token: Callable[[str], bool] | None,
    ) -> None:
        self._key_header = key_header.lower().encode("latin-1")
        self._key_header_name = key_header
        self._provider_headers = provider_headers
        # Only a token from the configured issuer is ours: other JWTs in a provider
        # header may be that provider's own credential.
        self._is_company_token = is_company_token

    def take(self, exchange: Exchange) -> list[Presented]:
        found: list[Presented] = []
        taken: list[int] = []
        for index, (name, raw) in enumerate(exchange.headers):
            if name == self._key_header:
                presented: Presented | None = self._dedicated(raw)
            elif self._provider_headers and name in _PROVIDER_KEY_HEADERS:
                presented = self._in_provider_header(_PROVIDER_KEY_HEADERS[name], raw)
            else:
                continue
            if presented is not None:
                found.append(presented)
                taken.append(index)
        for index in reversed(taken):
            del exchange.headers[index]
        if self._provider_headers and _QUERY_KEY in exchange.query:
            found.extend(self._take_query_key(exchange))
        if len(found) > 1 and len({p.value for p in found}) > 1:
            places = ", ".join(p.place for p in found)
            raise Unauthenticated(
                f"more than one Haetae credential was sent ({places}); send exactly one"
            )
        return found

    def _dedicated(self, raw: bytes) -> Presented:
        value = raw.decode("latin-1").strip()
        if value[: len(_BEARER)].lower() == _BEARER:
            value = value[len(_BEARER) :].strip()
        place = f"{self._key_header_name} header"
        if value.startswith(KEY_PREFIX):
            return Presented("api_key", place, value, from_provider_header=False)
        if looks_like_jwt(value):
            return Presented("jwt", place, value, from_provider_header=False)
        raise Unauthenticated(
            f"the {place} holds neither a Haetae key (hk_…) nor a sign-in token (JWT)"
        )

    def _in_provider_header(self, label: str, raw: bytes) -> Presented | None:
        value = raw.decode("latin-1").strip()
        if label == "Authorization":
            if value[: len(_BEARER)].lower() != _BEARER:
                return None
            value = value[len(_BEARER) :].strip()
        place = f"{label} header"
        if value.startswith(KEY_PREFIX):
            return Presented("api_key", place, value, from_provider_header=True)
        if (
            self._is_company_token is not None
            and looks_like_jwt(value)
            and self._is_company_token(value)
        ):
            return Presented("jwt", place, value, from_provider_header=True)
        return None

    @staticmethod
    def _take_query_key(exchange: Exchange) -> list[Presented]:
        parts = exchange.query.split(b"&")
        taken = [p for p in parts if p.startswith(_QUERY_KEY)]
        exchange.query = b"&".join(p for p in parts if p and not p.startswith(_QUERY_KEY))
        return [
            Presented("api_key", "?key= parameter", p[4:].decode("latin-1"), True) for p in taken
        ]
