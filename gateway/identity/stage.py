"""The identify stage (before routing) and the admit stage (right after it).

Identify works out the subject: a gateway key or a company token if one was
presented (a presented credential that fails is never downgraded to anonymous),
else a verified client certificate (mTLS), else trusted proxy headers, else
anonymous. It removes every gateway credential
and identity header from the request, so none reaches the provider.

Admit refuses what Identify found wrong. It runs after routing only because a
refusal is rendered in the provider's own error format, which routing decides;
the subject is already on the exchange for the records of routing's refusals.
"""

from __future__ import annotations

import logging

from gateway.errors import Refusal
from gateway.exchange import Exchange, IdentityCheck
from gateway.identity.api_keys import KeyStore
from gateway.identity.credentials import CredentialFinder, Presented
from gateway.identity.errors import Unauthenticated
from gateway.identity.jwks import JwksSource
from gateway.identity.oidc import TokenVerifier
from gateway.identity.trusted_headers import TrustedHeaders
from gateway.labels import application_name
from gateway.settings import IdentitySettings
from gateway.subject import Subject

__all__ = ["Admit", "Identify"]

log = logging.getLogger("haetae.identity")

_PROVIDER_CREDENTIALS = frozenset({b"authorization", b"x-api-key", b"api-key", b"x-goog-api-key"})


class Identify:
    """Who is calling. ``Identify()`` alone gives every caller an anonymous subject."""

    name = "identify"

    def __init__(self, settings: IdentitySettings | None = None) -> None:
        settings = settings or IdentitySettings()
        self.settings = settings
        self.keys = (
            KeyStore(settings.api_keys.file, settings.api_keys.reload_seconds)
            if settings.api_keys.file is not None
            else None
        )
        self.verifier = (
            TokenVerifier(settings.jwt, JwksSource(settings.jwt))
            if settings.jwt is not None
            else None
        )
        self._credentials = CredentialFinder(
            settings.key_header,
            settings.provider_headers,
            self.verifier.is_company_token if self.verifier else None,
        )
        self._headers = TrustedHeaders(settings.trusted_headers)
        self._client_header = settings.client_header.lower().encode("latin-1")

    async def __call__(self, exchange: Exchange) -> None:
        client, agent = exchange.header(self._client_header), exchange.header(b"user-agent")
        application = application_name(client, agent)
        # Both are the caller's words: scanned with the request, masked in the record.
        exchange.label_headers = (self._client_header, b"user-agent")
        anonymous = Subject(address=exchange.client_address, application=application)
        exchange.subject = anonymous
        header_identity = self._headers.take(exchange)  # strips them whatever comes next
        try:
            presented = self._credentials.take(exchange)
            if presented:
                credential = presented[0]
                user, groups = await self._verify(credential)
                exchange.subject = Subject(
                    user, groups, exchange.client_address, application, credential.kind
                )
                exchange.identity_check = IdentityCheck(
                    credential_place=credential.place,
                    in_provider_header=credential.from_provider_header,
                )
                return
        except Refusal as refusal:
            exchange.identity_check = IdentityCheck(refusal=refusal)
            log.info(
                "credential refused request_id=%s reason=%s", exchange.request_id, refusal.code
            )
            return
        certificate = exchange.client_certificate
        if certificate is not None:  # verified by the TLS layer against listen.tls_client_ca
            exchange.subject = Subject(
                certificate.user,
                certificate.groups,
                exchange.client_address,
                application,
                "client_certificate",
            )
            return
        if header_identity is not None:
            exchange.subject = Subject(
                header_identity.user,
                header_identity.groups,
                exchange.client_address,
                application,
                "header",
            )

    async def _verify(self, credential: Presented) -> tuple[str, tuple[str, ...]]:
        if credential.kind == "api_key":
            if self.keys is None:
                raise Unauthenticated(
                    f"a Haetae key was sent ({credential.place}) but this gateway does not "
                    "issue keys (identity.api_keys.file is not set)"
                )
            entry = await self.keys.lookup(credential.value)
            if entry is None:
                raise Unauthenticated(
                    f"the Haetae key in the {credential.place} is not valid; check it was "
                    "copied whole, or ask for a new one"
                )
            if entry.revoked is not None:
                raise Unauthenticated(
                    f"the Haetae key {entry.id} was revoked on {entry.revoked[:10]}; "
                    "ask for a new one"
                )
            return entry.user, entry.groups
        if self.verifier is None:
            raise Unauthenticated(
                f"a sign-in token was sent ({credential.place}) but this gateway does not "
                "accept tokens (identity.jwt is not set)"
            )
        return await self.verifier.verify(credential.value)


class Admit:
    """Refuses, in the provider's error format, what Identify found wrong."""

    name = "admit"

    def __init__(self, settings: IdentitySettings | None = None) -> None:
        settings = settings or IdentitySettings()
        self._deny_anonymous = settings.anonymous == "deny"
        self._key_header = settings.key_header

    async def __call__(self, exchange: Exchange) -> None:
        check = exchange.identity_check
        if check is not None and check.refusal is not None:
            raise check.refusal
        if exchange.subject.anonymous and self._deny_anonymous:
            raise Unauthenticated(
                "this gateway requires you to identify yourself: use your Haetae key "
                f"(hk_…) or sign-in token as your SDK's API key, or send it in the "
                f"{self._key_header} header",
                code="authentication_required",
            )
        provider = exchange.provider
        if (
            check is not None
            and check.in_provider_header
            and provider is not None
            and provider.injected_key is None
            and not any(name in _PROVIDER_CREDENTIALS for name, _ in exchange.headers)
            and not any(part.startswith(b"key=") for part in exchange.query.split(b"&"))
        ):
            # The gateway credential took the provider key's place, and this provider
            # expects the caller's own key: without this the provider would answer
            # with a puzzling "missing API key".
            raise Unauthenticated(
                f"your Haetae credential ({check.credential_place}) was accepted, but "
                f"'{provider.id}' needs your own {provider.id} key, which this gateway "
                f"passes through: send the Haetae credential in the {self._key_header} "
                "header and your provider key as usual",
                code="provider_key_missing",
            )
