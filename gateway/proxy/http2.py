"""HTTP/2 inside an intercepted tunnel: each stream is one ASGI request to the proxy's front.

Clients that negotiate ``h2`` by ALPN (browsers, ``httpx`` with ``http2=True``)
are served here instead of by the HTTP/1.1 protocol; the requests meet the same
``ProxyFront`` and so the same pipeline. The h2 library keeps the protocol's
state; this module only moves bytes and events between it and the ASGI calls.

Flow control bounds memory: a stream's received data is acknowledged (and the
client allowed to send more) only as the application reads it, and a response
is sent no faster than the client's windows and the socket's buffer allow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import MutableMapping
from typing import Any, cast
from urllib.parse import unquote

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from gateway.proxy.front import TARGET, Target
from gateway.trailers import TRAILERS
from gateway.types import ASGIApp

__all__ = ["Http2Connection"]

log = logging.getLogger("haetae.proxy")

MAX_CONCURRENT_STREAMS = 100
#: body bytes still accepted (and dropped) after a stream was answered early; beyond
#: this the stream is reset, as RFC 9113 8.1 allows. Clients built on httpcore send the
#: whole body before reading the answer and fail on a reset, so small bodies drain.
DRAIN_LIMIT = 1 << 20
#: seconds a connection with no open stream is kept (the HTTP/1.1 side's keep-alive)
IDLE_TIMEOUT = 75.0
#: response headers that belong to an HTTP/1.1 connection and are forbidden in HTTP/2
_CONNECTION_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"}
)


class _Stream:
    def __init__(self, stream_id: int) -> None:
        self.id = stream_id
        self.chunks: deque[tuple[bytes, int]] = deque()  # data, flow-controlled length
        self.ended = False  # the client sent END_STREAM
        self.body_done = False  # the application was told the body ended
        self.closed = False  # reset, or the connection is gone
        self.started = False  # the response head was sent
        self.finished = False  # the response ended
        self.wake = asyncio.Event()  # data, end, reset, or a larger window


class Http2Connection(asyncio.Protocol):
    """One client's HTTP/2 connection over the decrypted tunnel to ``target``."""

    def __init__(self, app: ASGIApp, target: Target, connections: set[Http2Connection]) -> None:
        self._app = app
        self._target = target
        self._connections = connections
        config = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self._h2 = h2.connection.H2Connection(config=config)
        self._streams: dict[int, _Stream] = {}
        #: trailer field names per stream, as the gateway's HTTP/1.1 protocol keeps them
        self._trailers: dict[int, list[str]] = {}
        #: streams answered before their body ended: body bytes dropped so far
        self._draining: dict[int, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._transport: asyncio.Transport | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._client: tuple[str, int] | None = None
        self._server: tuple[str, int] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._last_read = 0.0

    # -- the transport's side ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self._connections.add(self)
        peer, local = transport.get_extra_info("peername"), transport.get_extra_info("sockname")
        self._client = (str(peer[0]), int(peer[1])) if peer else None
        self._server = (str(local[0]), int(local[1])) if local else None
        loop = asyncio.get_running_loop()
        self._last_read = loop.time()
        self._idle = loop.call_later(IDLE_TIMEOUT, self._on_idle)
        self._h2.initiate_connection()
        self._h2.update_settings(
            {h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: MAX_CONCURRENT_STREAMS}
        )
        self._flush()

    def data_received(self, data: bytes) -> None:
        self._last_read = asyncio.get_running_loop().time()  # the idle timer checks it
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            log.info(
                "HTTP/2 protocol error host=%s error=%s", self._target.host, type(exc).__name__
            )
            self._flush()
            self.close()
            return
        for event in events:
            self._on_event(event)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        if self._idle is not None:
            self._idle.cancel()
        self._writable.set()
        for stream in self._streams.values():
            stream.closed = True
            stream.wake.set()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def _on_idle(self) -> None:
        """Close a connection that carried nothing for ``IDLE_TIMEOUT`` seconds."""
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self._last_read
        if self._streams or quiet < IDLE_TIMEOUT:
            delay = IDLE_TIMEOUT if self._streams else IDLE_TIMEOUT - quiet
            self._idle = loop.call_later(delay, self._on_idle)
            return
        with contextlib.suppress(h2.exceptions.H2Error):
            self._h2.close_connection()  # GOAWAY: the client opens a new one when it needs it
        self._flush()
        self.close()

    def close(self) -> None:
        """Stop at once (server shutdown); running requests see a disconnect."""
        if self._transport is not None:
            self._transport.close()

    def _flush(self) -> None:
        data = self._h2.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    # -- h2's events ---------------------------------------------------------------

    def _on_event(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self._start(event.stream_id, event.headers or [])
            if event.stream_ended is not None:
                self._on_event(event.stream_ended)
            return
        stream_id = getattr(event, "stream_id", None)
        stream = self._streams.get(stream_id) if stream_id else None
        if isinstance(event, h2.events.DataReceived):
            flow = event.flow_controlled_length or 0
            if stream is None:  # a stream already answered: free the connection's window
                self._drain(stream_id, flow)
                return
            stream.chunks.append((event.data or b"", flow))
        elif isinstance(event, h2.events.TrailersReceived) and stream is not None:
            self._trailers[stream.id].extend(
                bytes(name).decode("latin-1")[:64] for name, _ in event.headers or []
            )
        elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset) and stream_id:
            self._draining.pop(stream_id, None)
            if stream is not None and isinstance(event, h2.events.StreamEnded):
                stream.ended = True
            elif stream is not None:
                stream.closed = True
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            for each in self._streams.values() if not stream_id else [stream] if stream else []:
                each.wake.set()
            return
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.close()
            return
        if stream is not None:
            stream.wake.set()

    def _start(self, stream_id: int, raw: list[tuple[bytes, bytes]]) -> None:
        pseudo: dict[bytes, bytes] = {}
        headers: list[tuple[bytes, bytes]] = []
        for name, value in raw:
            if name.startswith(b":"):
                pseudo[name] = value
            else:
                headers.append((name.lower(), value))
        authority = pseudo.get(b":authority")
        if authority is not None and not any(name == b"host" for name, _ in headers):
            headers.insert(0, (b"host", authority))
        raw_path, _, query = pseudo.get(b":path", b"/").partition(b"?")
        trailers: list[str] = []
        self._trailers[stream_id] = trailers
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "2",
            "method": pseudo.get(b":method", b"GET").decode("latin-1"),
            "scheme": "https",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": self._client,
            "server": self._server,
            "extensions": {TARGET: self._target, TRAILERS: trailers},
        }
        stream = self._streams[stream_id] = _Stream(stream_id)
        task = asyncio.get_running_loop().create_task(self._run(stream, scope))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- one request ---------------------------------------------------------------

    async def _run(self, stream: _Stream, scope: dict[str, Any]) -> None:
        async def receive() -> dict[str, Any]:
            return await self._receive(stream)

        async def send(message: MutableMapping[str, Any]) -> None:
            await self._send(stream, message)

        try:
            await self._app(scope, receive, send)
        except Exception as exc:
            log.error("HTTP/2 request failed error=%s", type(exc).__name__)
        finally:
            if not stream.finished and not stream.closed:
                self._abandon(stream)
            elif stream.finished and not stream.ended and not stream.closed:
                # answered before the whole body came (a refusal): drop the rest
                self._draining[stream.id] = 0
            self._drain(stream.id, sum(flow for _, flow in stream.chunks))
            self._streams.pop(stream.id, None)
            self._trailers.pop(stream.id, None)
            self._flush()

    def _drain(self, stream_id: int | None, flow: int) -> None:
        """Drop body data of an answered stream, resetting it once it sent too much."""
        drained = self._draining.get(stream_id) if stream_id else None
        if stream_id is None or drained is None or not flow:
            self._release(flow)
            return
        drained += flow
        if drained > DRAIN_LIMIT:
            self._draining.pop(stream_id, None)
            self._release(flow)
            with contextlib.suppress(h2.exceptions.H2Error):
                self._h2.reset_stream(stream_id, h2.errors.ErrorCodes.NO_ERROR)
            return
        self._draining[stream_id] = drained
        with contextlib.suppress(h2.exceptions.H2Error, ValueError):
            self._h2.acknowledge_received_data(flow, stream_id)  # stream and connection

    def _release(self, flow: int) -> None:
        """Give back connection window for data no request will read."""
        if flow:
            with contextlib.suppress(h2.exceptions.H2Error, ValueError):
                self._h2.increment_flow_control_window(flow)

    async def _receive(self, stream: _Stream) -> dict[str, Any]:
        while True:
            if stream.chunks:
                data, flow = stream.chunks.popleft()
                if flow and not stream.closed:
                    # the client may now send this much more
                    with contextlib.suppress(h2.exceptions.StreamClosedError):
                        self._h2.acknowledge_received_data(flow, stream.id)
                    self._flush()
                more = bool(stream.chunks) or not stream.ended
                stream.body_done = not more
                return {"type": "http.request", "body": data, "more_body": more}
            if stream.ended and not stream.body_done:
                stream.body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if stream.closed or stream.finished:
                return {"type": "http.disconnect"}
            stream.wake.clear()
            await stream.wake.wait()

    async def _send(self, stream: _Stream, message: MutableMapping[str, Any]) -> None:
        if stream.closed:
            return  # the client went away; the application learns it from receive()
        if message["type"] == "http.response.start":
            headers = [(b":status", str(message["status"]).encode())]
            headers += [
                (bytes(name).lower(), bytes(value))
                for name, value in message.get("headers", [])
                if bytes(name).lower() not in _CONNECTION_HEADERS
            ]
            self._h2.send_headers(stream.id, headers)
            stream.started = True
            self._flush()
        elif message["type"] == "http.response.body":
            data = memoryview(message.get("body", b""))
            while data and not stream.closed:
                window = min(
                    self._h2.local_flow_control_window(stream.id),
                    self._h2.max_outbound_frame_size,
                )
                if window <= 0:
                    stream.wake.clear()
                    await stream.wake.wait()
                    continue
                self._h2.send_data(stream.id, bytes(data[:window]))
                data = data[window:]
                self._flush()
                await self._writable.wait()
            if not message.get("more_body", False) and not stream.closed:
                self._h2.end_stream(stream.id)
                stream.finished = True
                self._flush()

    def _abandon(self, stream: _Stream) -> None:
        """The application ended without a whole response: 500 if nothing was sent, else reset."""
        try:
            if not stream.started:
                body = b"Internal Server Error"
                self._h2.send_headers(
                    stream.id,
                    [(b":status", b"500"), (b"content-length", str(len(body)).encode())],
                )
                self._h2.send_data(stream.id, body, end_stream=True)
            else:
                self._h2.reset_stream(stream.id, h2.errors.ErrorCodes.INTERNAL_ERROR)
        except h2.exceptions.H2Error:
            pass
        self._flush()
