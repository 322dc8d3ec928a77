"""Real listeners on loopback that play the SIEM: a syslog collector over TCP or TLS
(octet-counted frames, RFC 6587) and an HTTP collector for Splunk HEC and webhooks."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class SyslogCollector:
    tls: ssl.SSLContext | None = None
    port: int = 0
    messages: list[bytes] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _clients: set[asyncio.StreamWriter] = field(default_factory=set)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._client, "127.0.0.1", self.port, ssl=self.tls
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while True:
                length = await reader.readuntil(b" ")
                self.messages.append(await reader.readexactly(int(length[:-1])))
                self._arrived.set()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):  # a restart drops its connections too
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def received(self, count: int) -> list[bytes]:
        """The messages once there are ``count`` of them (within five seconds)."""
        async with asyncio.timeout(5.0):
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.messages


@dataclass
class HttpCollector:
    """Answers each POST with ``status`` (changeable between batches) and keeps it."""

    status: int = 200
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.status < 300:
            self.requests.append((dict(request.headers), body))
        return web.json_response({"text": "ok", "code": 0}, status=self.status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"
