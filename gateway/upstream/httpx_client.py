"""The upstream client on httpx (``forward.transport: httpx``, and any httpx transport).

Requests are built by hand (``httpx.Request``) and handed to the transport itself,
not to an ``AsyncClient``: httpx adds none of its default headers, and nothing keeps
the cookies a provider sets (a client's jar is shared by every caller of the gateway;
the client's redirect, auth and cookie steps are work a relay never needs).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator

import httpx

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.settings import ForwardSettings, TimeoutSettings
from gateway.upstream.proxy import OutboundProxy
from gateway.upstream.tls import upstream_ssl_context

__all__ = ["HttpxUpstream", "map_httpx_errors"]


@contextlib.contextmanager
def map_httpx_errors(provider_id: str) -> Iterator[None]:
    """httpx failures → the gateway's 502/504, with a message that says which phase."""
    try:
        yield
    except httpx.TimeoutException as exc:
        phase = {
            httpx.ConnectTimeout: "connecting to",
            httpx.PoolTimeout: "waiting for a free connection to",
            httpx.WriteTimeout: "sending the request to",
        }.get(type(exc), "waiting for an answer from")
        raise UpstreamTimeout(f"timed out {phase} provider '{provider_id}'") from None
    except httpx.TransportError as exc:
        raise UpstreamUnreachable(
            f"could not reach provider '{provider_id}' ({type(exc).__name__})"
        ) from None


class _HttpxResponse:
    def __init__(self, provider_id: str, response: httpx.Response) -> None:
        self._provider_id = provider_id
        self._response = response
        self.status_code = response.status_code

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return self._response.headers.raw

    async def chunks(self) -> AsyncIterator[bytes]:
        with map_httpx_errors(self._provider_id):
            async for chunk in self._response.aiter_raw():
                if chunk:
                    yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxUpstream:
    def __init__(
        self,
        forward: ForwardSettings,
        timeouts: TimeoutSettings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._proxy = OutboundProxy.from_settings(forward.proxy, forward.no_proxy)
        self._proxied: httpx.AsyncBaseTransport | None = None
        limits = httpx.Limits(
            max_connections=forward.max_connections,
            max_keepalive_connections=forward.max_keepalive_connections,
            keepalive_expiry=forward.keepalive_expiry,
        )
        verify: ssl.SSLContext | bool = upstream_ssl_context(forward.ca_bundle) or True
        if transport is None:
            transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False, verify=verify)
        if self._proxy is not None:
            proxy = httpx.Proxy(
                self._proxy.url,
                auth=(self._proxy.username, self._proxy.password or "")
                if self._proxy.username is not None
                else None,
            )
            self._proxied = httpx.AsyncHTTPTransport(
                limits=limits, trust_env=False, proxy=proxy, verify=verify
            )
        self._timeout = httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        ).as_dict()
        self._transport = transport

    async def open(
        self,
        provider_id: str,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> _HttpxResponse:
        request = httpx.Request(
            method, url, headers=headers, content=content, extensions={"timeout": self._timeout}
        )
        with map_httpx_errors(provider_id):
            transport = self._transport
            if self._proxied is not None and self._proxy and self._proxy.applies_to(url):
                transport = self._proxied
            response = await transport.handle_async_request(request)
        response.request = request
        return _HttpxResponse(provider_id, response)

    async def aclose(self) -> None:
        await self._transport.aclose()
        if self._proxied is not None:
            await self._proxied.aclose()
