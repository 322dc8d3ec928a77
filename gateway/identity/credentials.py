"""Where a caller puts a Haetae credential, and taking it out of the request.

Official SDKs only know how to send the provider's key, in the provider's own
header. So besides the dedicated header (``X-Haetae-Key``) a Haetae key
(``hk_…``) or a company token is also accepted where the SDK puts its key:
``Authorization: Bearer``, ``x-api-key``, ``api-key``, ``x-goog-api-key`` or
Gemini's ``?key=``. Whatever is taken is removed from the request, so it never
reaches the provider; a provider key in those places is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote_to_bytes

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
# A cheap test before parsing the query: some spelling of a gateway key may be in it.
_QUERY_HINT = re.compile(rb"(?i)(hk_|%68k_|h%6bk_|hk%5f|%68%6b%5f)")


# A key behind some other scheme word or separator ("Token hk_…", "Bearer:hk_…");
# anchored, since a provider's own random key may contain "hk_" by chance.
_MANGLED_KEY = re.compile(r"^\s*(?:[A-Za-z-]+(?:\s+|\s*[:=]\s*))?hk_")


def _refuse_if_mangled(value: str, place: str) -> None:
    """A gateway key that is there but not in a form we read must not go upstream."""
    if _MANGLED_KEY.match(value):
        raise Unauthenticated(
            f"the {place} holds a Haetae key (hk_…) in a form this gateway does not read; "
            "send it as 'Bearer hk_…' or in the X-Haetae-Key header"
        )


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
        if self._provider_headers and _QUERY_HINT.search(exchange.query):
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
        place = f"{label} header"
        if label == "Authorization":
            parts = value.split(None, 1)
            if len(parts) == 2 and parts[0].lower() == "bearer":
                value = parts[1].strip()
            elif not value.startswith(KEY_PREFIX):  # a bare key counts too
                _refuse_if_mangled(value, place)
                return None
        if value.startswith(KEY_PREFIX):
            return Presented("api_key", place, value, from_provider_header=True)
        _refuse_if_mangled(value, place)
        if (
            self._is_company_token is not None
            and looks_like_jwt(value)
            and self._is_company_token(value)
        ):
            return Presented("jwt", place, value, from_provider_header=True)
        return None

    @staticmethod
    def _take_query_key(exchange: Exchange) -> list[Presented]:
        """``key=hk_…`` in any spelling the provider would decode (``KEY=``, ``%68k_``)."""
        kept: list[bytes] = []
        found: list[Presented] = []
        for part in exchange.query.split(b"&"):
            if not part:
                continue
            name, _, value = part.partition(b"=")
            decoded = unquote_to_bytes(value.replace(b"+", b" ")).decode("latin-1").strip()
            if unquote_to_bytes(name).lower() == b"key" and KEY_PREFIX in decoded:
                if not decoded.startswith(KEY_PREFIX):
                    _refuse_if_mangled(decoded, "?key= parameter")
                    kept.append(part)  # the provider's own key, which merely contains hk_
                    continue
                found.append(Presented("api_key", "?key= parameter", decoded, True))
            else:
                kept.append(part)
        exchange.query = b"&".join(kept)
        return found
