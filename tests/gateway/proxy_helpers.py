"""A forward proxy on loopback that records what it relays (plain HTTP, one request per
connection), for testing the gateway's outbound-proxy setting."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_HOP = {b"proxy-authorization", b"proxy-connection", b"connection", b"keep-alive"}


@dataclass
class Relayed:
    method: str
    target: str  # as the client sent it: absolute-form for a proxy
    headers: dict[str, str]


@dataclass
class LoopbackProxy:
    relayed: list[Relayed] = field(default_factory=list)
    port: int = 0

    def __enter__(self) -> LoopbackProxy:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0)
            )
            self.port = server.sockets[0].getsockname()[1]
            self._server = server
            ready.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "proxy did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            request_line, *lines = head[:-4].split(b"\r\n")
            method, target, _ = request_line.split(b" ", 2)
            headers = [line.split(b":", 1) for line in lines if b":" in line]
            named = {k.strip().lower(): v.strip() for k, v in headers}
            self.relayed.append(
                Relayed(
                    method.decode(),
                    target.decode(),
                    {k.decode(): v.decode("latin-1") for k, v in named.items()},
                )
            )
            if method == b"CONNECT":
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                return
            body = await reader.readexactly(int(named.get(b"content-length", b"0")))
            url = urlsplit(target.decode())
            path = url.path + (f"?{url.query}" if url.query else "")
            upstream_reader, upstream_writer = await asyncio.open_connection(
                url.hostname, url.port or 80
            )
            out = [f"{method.decode()} {path} HTTP/1.1".encode()]
            out += [
                k.strip() + b": " + v.strip() for k, v in headers if k.strip().lower() not in _HOP
            ]
            out.append(b"connection: close")
            upstream_writer.write(b"\r\n".join(out) + b"\r\n\r\n" + body)
            await upstream_writer.drain()
            while chunk := await asyncio.wait_for(upstream_reader.read(65536), 10):
                writer.write(chunk)
                await writer.drain()
            upstream_writer.close()
        finally:
            writer.close()
