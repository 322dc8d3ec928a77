"""Sign-in with the company's OpenID Connect provider: authorization code with PKCE.

``start`` makes a transaction (state, nonce, S256 code verifier) and the URL to
send the browser to; ``finish`` takes the code the provider sent back, redeems it
at the token endpoint with the verifier, and checks the ID token: signature by a
key of the provider's JWKS (asymmetric algorithms only), issuer, audience, expiry
and nonce. The groups claim maps to a console role (the most powerful one any
group grants); a user with no mapped group is refused.

The transaction is bound to the browser by a random value in a cookie of its own
(SameSite=Lax, since the provider's redirect back is a cross-site navigation on
which a Strict cookie is not sent); the value's digest is kept with the state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt

from gateway.admin.auth import AdminPrincipal
from gateway.settings import AdminRole, ConsoleOidcSettings

__all__ = ["ROLE_POWER", "OidcClient", "OidcError", "Transaction", "role_for_groups"]

#: most powerful first: a user in several mapped groups gets the first that applies
ROLE_POWER: tuple[AdminRole, ...] = (
    "admin", "incident_responder", "policy_approver", "policy_author", "auditor", "viewer",
)  # fmt: skip
_TRANSACTION_SECONDS = 600.0
_MAX_TRANSACTIONS = 1000


class OidcError(Exception):
    """Sign-in could not complete; the message names the step, never a token."""


@dataclass(frozen=True, slots=True)
class Transaction:
    binding: str  # sha256 of the browser cookie's value
    nonce: str
    verifier: str
    started: float
    redirect: str  # the redirect_uri sent, sent again with the code


def role_for_groups(groups: list[str], mapping: Mapping[str, AdminRole]) -> AdminRole | None:
    granted = {mapping[g] for g in groups if g in mapping}
    return next((role for role in ROLE_POWER if role in granted), None)


class OidcClient:
    def __init__(
        self,
        settings: ConsoleOidcSettings,
        client_secret: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._secret = client_secret or None
        self._transport = transport
        self._discovery: dict[str, Any] | None = None
        self._pending: OrderedDict[str, Transaction] = OrderedDict()

    async def start(self, callback: str) -> tuple[str, str]:
        """Begin a sign-in: returns (the URL to redirect to, the binding cookie's value).

        ``callback``: this console's callback URL as the browser reached it, used when
        ``redirect_url`` is not configured.
        """
        meta = await self._meta()
        redirect = self.settings.redirect_url or callback
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        binding = secrets.token_urlsafe(24)
        self._pending[state] = Transaction(
            _sha256(binding), nonce, verifier, time.monotonic(), redirect
        )
        while len(self._pending) > _MAX_TRANSACTIONS:
            self._pending.popitem(last=False)
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect,
            "scope": " ".join(self.settings.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        endpoint = str(meta["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(query)}", binding

    async def finish(self, code: str, state: str, binding: str | None) -> tuple[str, list[str]]:
        """The signed-in user's name and groups, or OidcError."""
        transaction = self._pending.pop(state, None)
        if transaction is None or time.monotonic() - transaction.started > _TRANSACTION_SECONDS:
            raise OidcError("unknown or expired sign-in (state); start again")
        if binding is None or not hmac.compare_digest(_sha256(binding), transaction.binding):
            raise OidcError("the sign-in was started in another browser (binding cookie)")
        meta = await self._meta()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": transaction.redirect,
            "client_id": self.settings.client_id,
            "code_verifier": transaction.verifier,
        }
        # a confidential client authenticates with HTTP Basic (client_secret_basic)
        headers = {}
        if self._secret:
            # RFC 6749 2.3.1: both form-urlencoded before joining
            pair = f"{quote_plus(self.settings.client_id)}:{quote_plus(self._secret)}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        async with self._client() as client:
            try:
                reply = await client.post(str(meta["token_endpoint"]), data=form, headers=headers)
            except httpx.HTTPError as exc:
                raise OidcError(f"token endpoint unreachable ({type(exc).__name__})") from None
            if reply.status_code != 200:
                raise OidcError(f"token endpoint answered {reply.status_code}")
            id_token = _json(reply).get("id_token")
            if not isinstance(id_token, str):
                raise OidcError("the token endpoint sent no id_token")
            claims = await self._verify(client, meta, id_token)
        if not hmac.compare_digest(str(claims.get("nonce", "")), transaction.nonce):
            raise OidcError("the ID token's nonce does not match this sign-in")
        user = claims.get(self.settings.user_claim) or claims.get("sub")
        if not isinstance(user, str) or not user:
            raise OidcError(f"the ID token has no {self.settings.user_claim} or sub")
        return user, _groups(claims, self.settings.groups_claim)

    def principal(self, user: str, groups: list[str]) -> AdminPrincipal | None:
        role = role_for_groups(groups, self.settings.group_roles)
        return None if role is None else AdminPrincipal(user, role)

    async def _verify(
        self, client: httpx.AsyncClient, meta: Mapping[str, Any], id_token: str
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise OidcError("the ID token is not a JWT") from None
        if header.get("alg") not in self.settings.algorithms:
            raise OidcError(f"the ID token's algorithm {header.get('alg')!r} is not allowed")
        try:
            reply = await client.get(str(meta["jwks_uri"]))
            keys = jwt.PyJWKSet.from_dict(_json(reply))
        except (httpx.HTTPError, jwt.PyJWTError, OidcError) as exc:
            raise OidcError(f"the provider's JWKS cannot be read ({type(exc).__name__})") from None
        matching = [k for k in keys.keys if header.get("kid") in (None, k.key_id)]
        if not matching:
            raise OidcError("no key of the provider's JWKS signed the ID token (kid)")
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                matching[0].key,
                algorithms=self.settings.algorithms,
                audience=self.settings.client_id,
                issuer=self.settings.issuer,
                leeway=30,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise OidcError(f"the ID token does not verify ({type(exc).__name__})") from None
        return claims

    async def _meta(self) -> dict[str, Any]:
        if self._discovery is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with self._client() as client:
                try:
                    meta = _json(await client.get(url))
                except httpx.HTTPError as exc:
                    raise OidcError(
                        f"the provider's discovery document cannot be read ({type(exc).__name__})"
                    ) from None
            if meta.get("issuer") != self.settings.issuer:
                raise OidcError("the discovery document names another issuer")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(meta.get(name), str):
                    raise OidcError(f"the discovery document has no {name}")
            self._discovery = meta
        return self._discovery

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._transport, timeout=self.settings.timeout_seconds, trust_env=False
        )


def _json(reply: httpx.Response) -> dict[str, Any]:
    try:
        data = reply.json()
    except ValueError:
        raise OidcError(f"{reply.request.url.path} did not answer JSON") from None
    if not isinstance(data, dict):
        raise OidcError(f"{reply.request.url.path} did not answer a JSON object")
    return data


def _groups(claims: Mapping[str, Any], dotted: str) -> list[str]:
    value: Any = claims
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [g for g in value if isinstance(g, str)]
    return []


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
