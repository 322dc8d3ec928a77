"""The upstream client on aiohttp (``forward.transport: aiohttp``, the default)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.settings import ForwardSettings, TimeoutSettings
from gateway.upstream.proxy import OutboundProxy
from gateway.upstream.tls import upstream_ssl_context

__all__ = ["AiohttpUpstream", "map_aiohttp_errors"]

# aiohttp would otherwise add its own; the provider should see the caller's.
_NO_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent")

#: parsed upstream URLs kept at most (a provider's few paths repeat on every request)
_KEPT_URLS = 256


@contextlib.contextmanager
def map_aiohttp_errors(provider_id: str) -> Iterator[None]:
    """aiohttp failures → the gateway's 502/504, with a message that says which phase."""
    try:
        yield
    except TimeoutError as exc:  # aiohttp's timeouts subclass it
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            phase = "connecting to"
        else:
            phase = "waiting for an answer from"
        raise UpstreamTimeout(f"timed out {phase} provider '{provider_id}'") from None
    except aiohttp.ClientError as exc:
        raise UpstreamUnreachable(
            f"could not reach provider '{provider_id}' ({type(exc).__name__})"
        ) from None


class _AiohttpResponse:
    def __init__(self, provider_id: str, response: aiohttp.ClientResponse) -> None:
        self._provider_id = provider_id
        self._response = response
        self.status_code = response.status

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return list(self._response.raw_headers)

    async def chunks(self) -> AsyncIterator[bytes]:
        with map_aiohttp_errors(self._provider_id):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        if self._response.content.at_eof():
            self._response.release()  # connection back to the pool
        else:
            self._response.close()  # abandoned mid-body: the connection cannot be reused


class AiohttpUpstream:
    def __init__(self, forward: ForwardSettings, timeouts: TimeoutSettings) -> None:
        self._forward = forward
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.pool + timeouts.connect,  # a free pool slot, then a connection
            sock_connect=timeouts.connect,
            sock_read=timeouts.read,
        )
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}
        self._ssl = upstream_ssl_context(forward.ca_bundle)  # a bad bundle fails at start-up
        self._proxy = OutboundProxy.from_settings(forward.proxy, forward.no_proxy)
        self._proxy_headers = (
            {"Proxy-Authorization": self._proxy.basic_authorization()}
            if self._proxy is not None and self._proxy.username is not None
            else None
        )

    def _new_session(self) -> aiohttp.ClientSession:
        # Created on first use: aiohttp binds a session to the running event loop.
        connector = aiohttp.TCPConnector(
            limit=self._forward.max_connections,
            keepalive_timeout=self._forward.keepalive_expiry,
            ssl=self._ssl if self._ssl is not None else True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            skip_auto_headers=_NO_AUTO_HEADERS,
            auto_decompress=False,
            trust_env=False,
            timeout=self._timeout,
            # The session is shared by every caller: a cookie one caller's answer set
            # must never ride along with another caller's request.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self._session

    async def open(
        self,
        provider_id: str,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> _AiohttpResponse:
        session = self._session or self._new_session()
        outgoing = CIMultiDict(
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
        )
        proxied = self._proxy is not None and self._proxy.applies_to(url)
        if proxied and self._proxy_headers and url.startswith("http://"):
            # A plain-HTTP request goes to the proxy itself, which reads (and drops) this
            # header; for https:// it belongs on the CONNECT only, never inside the tunnel.
            outgoing.update(self._proxy_headers)
        with map_aiohttp_errors(provider_id):
            response = await session.request(
                method,
                self._parsed(url),
                headers=outgoing,
                data=_body(content),
                allow_redirects=False,
                proxy=self._proxy.url if proxied and self._proxy else None,
                proxy_headers=self._proxy_headers if proxied else None,
            )
        return _AiohttpResponse(provider_id, response)

    def _parsed(self, url: str) -> URL:
        """``url`` as given, byte for byte (``encoded``: no re-quoting of the caller's path).

        Parsed once per distinct URL. One with a query is parsed afresh each time: the
        query may carry a caller's credential, which is kept no longer than its request.
        """
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = URL(url, encoded=True)
            if "?" not in url:
                if len(self._urls) >= _KEPT_URLS:  # paths with ids in them: start over
                    self._urls.clear()
                self._urls[url] = parsed
        return parsed

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


#: a body larger than this is written to the socket a piece at a time
_PIECE_BYTES = 1024 * 1024


def _body(content: bytes) -> bytes | _PiecesPayload | None:
    if not content:
        return None
    return content if len(content) <= _PIECE_BYTES else _PiecesPayload(content)


class _PiecesPayload(aiohttp.Payload):
    """A large request body (up to ``limits.max_body_bytes``), written a piece at a time.

    aiohttp hands raw bytes to the transport in one write, and warns above 1 MiB that
    it may hold the event loop; here each piece is written and drained in turn. The
    length is known, so the request keeps its Content-Length.
    """

    _value: bytes

    def __init__(self, value: bytes) -> None:
        super().__init__(value, content_type="application/octet-stream")
        self._size = len(value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._value.decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self._value

    async def write(self, writer: aiohttp.abc.AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: aiohttp.abc.AbstractStreamWriter, content_length: int | None
    ) -> None:
        view = memoryview(self._value)[:content_length]
        for start in range(0, len(view), _PIECE_BYTES):
            await writer.write(view[start : start + _PIECE_BYTES])
