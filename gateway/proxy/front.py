"""The proxy's ASGI front: a proxied request becomes an ordinary gateway request.

A request to an AI API is rewritten to the reverse proxy's form (``/<provider>``
in front of its path, the provider chosen by host) and handed to the gateway's
application, so it meets the same pipeline: identity, policy, detection,
refusals in the provider's format, audit. The proxy's credentials
(``Proxy-Authorization``) become the gateway key header; inside a CONNECT
tunnel, identity headers come from the CONNECT request alone, which is the
only part an upstream proxy could have added.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass

from gateway.policy.messages import Language, choose_language
from gateway.proxy.destinations import Destinations
from gateway.proxy.judge import Verdict
from gateway.proxy.pages import block_page, refusal_text, send_page
from gateway.types import ASGIApp, Receive, Scope, Send

__all__ = ["TARGET", "ProxyFront", "Target", "proxy_key", "with_proxy_key"]

log = logging.getLogger("haetae.proxy")

#: scope extension carrying the proxied request's ``Target``
TARGET = "haetae.proxy_target"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a proxied request goes, as the proxy (not the request's Host) saw it."""

    host: str  # lower-case, without port
    port: int
    #: inside an intercepted CONNECT tunnel (else an absolute-form plain HTTP request)
    tunnelled: bool
    #: from the CONNECT request: Proxy-Authorization and the trusted identity headers
    connect_headers: tuple[tuple[bytes, bytes], ...] = ()
    #: a refused web-app connection: intercepted only to show why
    verdict: Verdict | None = None


def proxy_key(value: bytes) -> bytes | None:
    """The gateway key or token in a ``Proxy-Authorization`` value (Basic or Bearer)."""
    scheme, _, credentials = value.strip().partition(b" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == b"bearer" and credentials:
        return credentials
    if scheme == b"basic":
        try:
            user, _, password = base64.b64decode(credentials, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return None
        return password or user or None  # the key as the password, or as the user name
    return None


Headers = list[tuple[bytes, bytes]]


def with_proxy_key(headers: Headers, key_header: bytes) -> Headers:
    """``headers`` with ``Proxy-Authorization`` turned into the gateway key header.

    The proxy's credentials stand for the caller: a key found there replaces any
    key header; without one, the headers stay as they are (less the proxy's own).
    """
    key: bytes | None = None
    kept: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name == b"proxy-authorization":
            key = proxy_key(value) or key
        else:
            kept.append((name, value))
    if key is None:
        return kept
    return [(n, v) for n, v in kept if n != key_header] + [(key_header, key)]


class ProxyFront:
    """Routes proxied requests by host into the gateway ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        destinations: Destinations,
        key_header: str,
        identity_headers: tuple[str, ...],
        default_language: Callable[[], Language],
        pac: ASGIApp,
    ) -> None:
        self._app = app
        self._destinations = destinations
        self._key_header = key_header.lower().encode("latin-1")
        self._identity = frozenset(h.lower().encode("latin-1") for h in identity_headers)
        self._language = default_language
        self._pac = pac

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        extensions = scope.get("extensions") or {}
        target: Target | None = extensions.get(TARGET)
        if target is None:  # origin-form: asked of the proxy itself
            if scope["path"] == "/proxy.pac":
                await self._pac(scope, receive, send)
            else:
                await self._refuse(scope, send, 400, "not_proxied", "")
            return
        destination = self._destinations.classify(target.host)
        if destination.provider is not None:
            await self._app(self._rewritten(scope, target, destination.provider.id), receive, send)
        elif destination.web_app is not None:
            language = self._language_of(scope)
            body = block_page(destination.web_app, target.host, language, target.verdict)
            await _send(send, 403, body, b"text/html; charset=utf-8", language)
        else:  # plain HTTP; or a tunnel whose host a new policy no longer lists
            reason = "denied" if target.tunnelled else "plain_http"
            await self._refuse(scope, send, 403, reason, target.host)

    def _rewritten(self, scope: Scope, target: Target, provider_id: str) -> Scope:
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if not (target.tunnelled and name in self._identity)
        ]
        headers = with_proxy_key(headers + list(target.connect_headers), self._key_header)
        prefix = "/" + provider_id
        raw_path = scope.get("raw_path") or scope["path"].encode("latin-1")
        return {
            **scope,
            "path": prefix + scope["path"],
            "raw_path": prefix.encode("ascii") + raw_path,
            "headers": headers,
        }

    def _language_of(self, scope: Scope) -> Language:
        accept = next((v for n, v in scope["headers"] if n == b"accept-language"), None)
        return choose_language(accept.decode("latin-1") if accept else None, self._language())

    async def _refuse(self, scope: Scope, send: Send, status: int, reason: str, host: str) -> None:
        language = self._language_of(scope)
        body = refusal_text(reason, host, language)
        await _send(send, status, body, b"text/plain; charset=utf-8", language)


async def _send(send: Send, status: int, body: bytes, kind: bytes, language: Language) -> None:
    headers = [(b"content-language", language.encode()), (b"cache-control", b"no-store")]
    await send_page(send, status, kind, body, headers)
