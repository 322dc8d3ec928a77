"""The proxy listener: CONNECT and absolute-form HTTP, on ``proxy.listen``.

Each connection starts by reading one request head. A CONNECT names a host:

- an AI API: the tunnel is answered, TLS is terminated with a certificate
  minted for the host, and the requests inside are served over the
  ``ProxyFront`` — the same pipeline as the reverse proxy — by the gateway's own
  HTTP/1.1 protocol, or by ``http2.py`` when the client negotiated ``h2``;
- an AI web app: the connection is judged by the policy (``judge.py``) and
  recorded; allowed, it is relayed untouched; refused, it is intercepted only
  to answer every request with a block page;
- any other host: relayed untouched (``proxy.other_hosts: tunnel``, on the
  ports in ``proxy.tunnel_ports``), or refused with 403.

Anything else (an absolute-form ``GET http://host/...``) is served by the same
protocol without TLS. Failures are logged with the host, the client address and
a reason, never a byte of what was sent.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

import uvicorn
from uvicorn.server import ServerState

from gateway.http_protocol import TrailerSeparatingProtocol
from gateway.policy.messages import Language, choose_language
from gateway.proxy.certificates import LeafContexts
from gateway.proxy.destinations import Destinations
from gateway.proxy.front import TARGET, ProxyFront, Target, with_proxy_key
from gateway.proxy.http2 import Http2Connection
from gateway.proxy.judge import ConnectionJudge
from gateway.proxy.pages import refusal_text
from gateway.proxy.relay import Held, Relay
from gateway.settings import ProxySettings

__all__ = ["ProxyListener"]

log = logging.getLogger("haetae.proxy")

MAX_HEAD_BYTES = 16 * 1024
_ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"

#: OpenSSL's reasons, as a network team reads them
_HANDSHAKE_REASONS = {
    "TLSV1_ALERT_UNKNOWN_CA": "the client does not trust the company CA (not installed, "
    "or the client pins certificates)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the client rejected the minted certificate (pinning?)",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "the client rejected the minted certificate "
    "(CA not trusted, or certificate pinning)",
    "TLSV1_ALERT_ACCESS_DENIED": "the client refused the connection",
    "HTTP_REQUEST": "the client sent plain HTTP inside the tunnel",
    "WRONG_VERSION_NUMBER": "the client did not start TLS",
    "UNSUPPORTED_PROTOCOL": "the client offered only TLS versions below 1.2",
    "NO_SHARED_CIPHER": "no cipher in common with the client",
    # the certificate's SNI check (certificates.py) refused the name
    "CALLBACK_FAILED": "the client named another host (SNI) than the one it CONNECTed to",
}


class ProxiedProtocol(TrailerSeparatingProtocol):
    """The gateway's HTTP/1.1 protocol, telling the front where each request goes."""

    tunnel: Target | None = None  # set for an intercepted CONNECT tunnel

    def on_headers_complete(self) -> None:
        target = self.tunnel or _absolute_target(self.url)
        if target is not None:
            extensions: Any = self.scope["extensions"]
            extensions[TARGET] = target
        super().on_headers_complete()


def _absolute_target(url: bytes) -> Target | None:
    if not url[:8].lower().startswith((b"http://", b"https://")):
        return None
    parts = urlsplit(url.decode("latin-1"))
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return None
    return Target(parts.hostname or "", port, tunnelled=False) if parts.hostname else None


class ProxyListener:
    def __init__(
        self,
        settings: ProxySettings,
        front: ProxyFront,
        destinations: Destinations,
        leaves: LeafContexts,
        identity_headers: tuple[str, ...],
        default_language: Callable[[], Language],
        judge: ConnectionJudge,
        key_header: str,
        connect_timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self._judge = judge
        self._key_header = key_header.lower().encode("latin-1")
        self._destinations = destinations
        self.leaves = leaves
        self._connect_headers = frozenset(
            [b"proxy-authorization", *(h.lower().encode("latin-1") for h in identity_headers)]
        )
        self._language = default_language
        self._connect_timeout = connect_timeout
        self._config = uvicorn.Config(
            front,
            http=ProxiedProtocol,
            ws="none",
            lifespan="off",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            date_header=False,
            timeout_keep_alive=75,
            log_config=None,
        )
        self._config.load()
        self._state = ServerState()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._relays: set[Relay] = set()  # both sides of each open tunnel
        self._http2: set[Http2Connection] = set()
        self._front = front
        self.address: tuple[str, int] | None = None  # bound address, once started

    async def start(self) -> None:
        host, port = self.settings.address()
        loop = asyncio.get_running_loop()
        # reuse_port: with several workers each binds the same port and the kernel spreads
        # connections, as uvicorn's shared socket does for the main listener.
        self._server = await loop.create_server(
            lambda: _Opening(self), host, port, reuse_port=port != 0
        )
        bound = self._server.sockets[0].getsockname()
        self.address = (host, bound[1])
        log.info("forward proxy on %s:%d", bound[0], bound[1])

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for connection in list(self._state.connections):
            connection.shutdown()
        for relay in list(self._relays):
            relay.close()
        for http2 in list(self._http2):
            http2.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._server = None

    def _protocol(self) -> ProxiedProtocol:
        return ProxiedProtocol(self._config, self._state, {})

    def dispatch(self, transport: asyncio.Transport, head: bytes, rest: bytes) -> None:
        task = asyncio.get_running_loop().create_task(self._dispatch(transport, head, rest))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, transport: asyncio.Transport, head: bytes, rest: bytes) -> None:
        request_line, _, header_block = head.partition(b"\r\n")
        method, _, target = request_line.partition(b" ")
        if method != b"CONNECT":
            self._serve_http(transport, head + rest)
            return
        headers = _headers(header_block)
        language = choose_language(_first(headers, b"accept-language"), self._language())
        authority = _authority(target.partition(b" ")[0])
        if authority is None:
            _reply(transport, 400, refusal_text("bad_request", "CONNECT", language))
            return
        host, port = authority
        client = _peer(transport)
        destination = self._destinations.classify(host)
        if destination.provider is not None:
            kept = tuple((n, v) for n, v in headers if n in self._connect_headers)
            if not await self._intercept(transport, Target(host, port, True, kept), rest, client):
                identity = with_proxy_key(headers, self._key_header)
                await self._judge.handshake_failed(destination.provider, identity, client)
        elif destination.web_app is not None:
            identity = with_proxy_key(headers, self._key_header)
            verdict = await self._judge(destination.web_app, host, identity, client)
            if verdict.allowed:
                log.info("tunnel host=%s port=%d client=%s kind=web_app", host, port, client)
                await self._tunnel(transport, host, port, rest, language)
            else:
                refused = Target(host, port, True, verdict=verdict)
                await self._intercept(transport, refused, rest, client)
        elif self.settings.other_hosts == "tunnel" and port in self.settings.tunnel_ports:
            log.info("tunnel host=%s port=%d client=%s kind=other", host, port, client)
            await self._tunnel(transport, host, port, rest, language)
        else:
            log.info("denied host=%s port=%d client=%s", host, port, client)
            _reply(transport, 403, refusal_text("denied", host, language))

    def _serve_http(self, transport: asyncio.Transport, received: bytes) -> None:
        protocol = self._protocol()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(received)
        transport.resume_reading()

    async def _intercept(
        self, transport: asyncio.Transport, target: Target, rest: bytes, client: str
    ) -> bool:
        """Terminate TLS and serve the requests inside; False when the handshake failed."""
        if rest:  # a client that sends before the tunnel is answered is not speaking TLS to us
            _reply(transport, 400, refusal_text("bad_request", target.host, "en"))
            return True  # refused before any handshake: nothing to record as one
        context = await self.leaves.context(target.host)
        transport.write(_ESTABLISHED)
        held = Held()
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(
                transport,
                held,
                context,
                server_side=True,
                ssl_handshake_timeout=self.settings.handshake_timeout,
            )
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            log.warning(
                "TLS handshake failed host=%s client=%s reason=%s",
                target.host,
                client,
                _handshake_reason(exc),
            )
            transport.abort()
            return False
        if tls is None or held.lost:
            return True
        tls_object = tls.get_extra_info("ssl_object")
        protocol: asyncio.Protocol
        if tls_object is not None and tls_object.selected_alpn_protocol() == "h2":
            protocol = Http2Connection(self._front, target, self._http2)
        else:
            protocol = self._protocol()
            protocol.tunnel = target
        tls.set_protocol(protocol)
        protocol.connection_made(tls)
        if held.data:
            protocol.data_received(bytes(held.data))
        if held.eof:
            protocol.eof_received()
        return True

    async def _tunnel(
        self, transport: asyncio.Transport, host: str, port: int, rest: bytes, language: Language
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            upstream, upstream_side = await asyncio.wait_for(
                loop.create_connection(
                    lambda: Relay(transport, _ESTABLISHED, self._relays.discard), host, port
                ),
                self._connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            log.warning("tunnel failed host=%s port=%d reason=%s", host, port, type(exc).__name__)
            _reply(transport, 502, refusal_text("upstream_failed", host, language))
            return
        client_side = Relay(upstream, on_close=self._relays.discard)
        client_side.partner, upstream_side.partner = upstream_side, client_side
        self._relays.update((client_side, upstream_side))
        transport.set_protocol(client_side)
        client_side.connection_made(transport)
        if rest:
            upstream.write(rest)
        transport.resume_reading()


class _Opening(asyncio.Protocol):
    """Reads a connection's first request head, then hands the connection on."""

    def __init__(self, listener: ProxyListener) -> None:
        self._listener = listener
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        timeout = self._listener.settings.handshake_timeout
        self._timer = asyncio.get_running_loop().call_later(timeout, self._transport.close)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                self._stop_timer()
                _reply(self._transport, 431, b"request head too large\n")
            return
        self._stop_timer()
        self._transport.pause_reading()
        head, rest = bytes(self._buffer[: end + 4]), bytes(self._buffer[end + 4 :])
        self._buffer.clear()
        self._listener.dispatch(self._transport, head, rest)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _headers(block: bytes) -> list[tuple[bytes, bytes]]:
    headers = []
    for line in block.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep:
            headers.append((name.strip().lower(), value.strip()))
    return headers


def _first(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    value = next((v for n, v in headers if n == name), None)
    return value.decode("latin-1") if value is not None else None


def _authority(target: bytes) -> tuple[str, int] | None:
    """``host:port`` of a CONNECT request (``[v6]:port`` too), host lower-cased."""
    text = target.decode("latin-1").lower()
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) <= 65535:
        return None
    host = host.strip("[]") if host.startswith("[") else host
    if not host or any(c in host for c in "/@ \t[]"):
        return None
    return host, int(port)


def _peer(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if peer else "-"


def _reply(transport: asyncio.Transport, status: int, body: bytes) -> None:
    reason = {
        400: "Bad Request",
        403: "Forbidden",
        431: "Request Header Fields Too Large",
        502: "Bad Gateway",
    }[status]
    transport.write(
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
        + body
    )
    transport.close()


def _handshake_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "the client did not finish the TLS handshake in time"
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str):
        return _HANDSHAKE_REASONS.get(reason, reason)
    return type(exc).__name__
