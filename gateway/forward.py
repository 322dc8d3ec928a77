"""The upstream side: one pooled client per process, streaming both ways.

Requests are built by hand (``httpx.Request``) rather than through
``AsyncClient.build_request`` so that httpx adds none of its default headers
(``accept-encoding``, ``user-agent``): the provider sees what the caller sent,
minus hop-by-hop and gateway headers. Responses are relayed chunk by chunk as
they arrive, and the upstream is closed as soon as the caller goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Iterator

import aiohttp
import httpx

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.settings import ForwardSettings, TimeoutSettings

__all__ = [
    "HOP_BY_HOP",
    "UpstreamClient",
    "build_transport",
    "map_upstream_errors",
    "response_headers",
]

#: RFC 9110 §7.6.1 connection-specific fields, plus the ones a proxy recomputes.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)


def build_transport(settings: ForwardSettings) -> httpx.AsyncBaseTransport:
    """httpx's own pool, or aiohttp's (faster under concurrency: see docs/performance.md)."""
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_keepalive_connections,
        keepalive_expiry=settings.keepalive_expiry,
    )
    if settings.transport == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=settings.max_connections, keepalive_timeout=settings.keepalive_expiry
        )
        # aiohttp would otherwise add its own Accept/Accept-Encoding/User-Agent.
        return aiohttp.ClientSession(
            connector=connector,
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent"),
            auto_decompress=False,
            trust_env=False,
        )

    return AiohttpTransport(limits=limits, client=session, trust_env=False)


@contextlib.contextmanager
def map_upstream_errors(provider_id: str) -> Iterator[None]:
    """httpx and aiohttp failures → the gateway's 502/504, with a useful message."""
    try:
        yield
    except httpx.TimeoutException as exc:
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientConnectorError) and not isinstance(
            cause, asyncio.TimeoutError
        ):
            # httpx-aiohttp reports a refused connection as ConnectTimeout.
            raise _unreachable(provider_id, cause) from None
        phase = {
            httpx.ConnectTimeout: "connecting to",
            httpx.PoolTimeout: "waiting for a free connection to",
            httpx.WriteTimeout: "sending the request to",
        }.get(type(exc), "waiting for an answer from")
        raise UpstreamTimeout(f"timed out {phase} provider '{provider_id}'") from None
    except httpx.TransportError as exc:
        raise _unreachable(provider_id, exc.__cause__ or exc) from None


def _unreachable(provider_id: str, exc: BaseException) -> UpstreamUnreachable:
    return UpstreamUnreachable(f"could not reach provider '{provider_id}' ({type(exc).__name__})")


class UpstreamClient:
    """Owns the connection pool; started and closed with the application."""

    def __init__(
        self,
        timeouts: TimeoutSettings,
        transport: httpx.AsyncBaseTransport,
    ) -> None:
        self._timeout = httpx.Timeout(
            connect=timeouts.connect,
            read=timeouts.read,
            write=timeouts.write,
            pool=timeouts.pool,
        ).as_dict()
        self._client = httpx.AsyncClient(transport=transport, follow_redirects=False)

    async def open(
        self,
        provider_id: str,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> httpx.Response:
        """Send the request and return once the response head has arrived."""
        request = httpx.Request(
            method,
            url,
            headers=headers,
            content=content,
            extensions={"timeout": self._timeout},
        )
        with map_upstream_errors(provider_id):
            return await self._client.send(request, stream=True)

    async def relay(self, provider_id: str, response: httpx.Response) -> AsyncIterator[bytes]:
        """The response body as the upstream sends it: no buffering, no decoding."""
        with map_upstream_errors(provider_id):
            async for chunk in response.aiter_raw():
                if chunk:
                    yield chunk

    async def aclose(self) -> None:
        await self._client.aclose()


def response_headers(response: httpx.Response) -> list[tuple[bytes, bytes]]:
    """Upstream response headers minus hop-by-hop ones (and those ``Connection`` names)."""
    raw = response.headers.raw
    named = {
        token.strip().lower().encode("latin-1")
        for name, value in raw
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    dropped = HOP_BY_HOP | named
    return [(name.lower(), value) for name, value in raw if name.lower() not in dropped]


#: request headers that describe the caller's side and never go upstream
_NOT_FORWARDED = HOP_BY_HOP | {
    b"host",
    b"content-length",
    b"forwarded",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"x-real-ip",
}
_CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key", b"api-key", b"x-goog-api-key"})
_GATEWAY_HEADER_PREFIX = b"x-haetae-"


def upstream_request_headers(
    headers: Iterable[tuple[bytes, bytes]], injected: tuple[bytes, bytes] | None
) -> list[tuple[bytes, bytes]]:
    """The caller's headers as the provider should see them.

    Gateway headers (``x-haetae-*``) and the caller's network details never
    leave; with an injected key every caller credential is replaced by it.
    """
    out = [
        (name, value)
        for name, value in headers
        if name not in _NOT_FORWARDED
        and not name.startswith(_GATEWAY_HEADER_PREFIX)
        and not (injected is not None and name in _CREDENTIAL_HEADERS)
    ]
    if injected is not None:
        out.append(injected)
    return out


def strip_query_key(query: bytes) -> bytes:
    """Drop a ``key=`` parameter (Gemini's query-string API key) from a raw query."""
    kept = [part for part in query.split(b"&") if part and not part.startswith(b"key=")]
    return b"&".join(kept)
