"""``admin.listen``: the admin API and the console on an address of their own.

A deployment that keeps administration on an internal network binds this
listener to an internal interface; the main listener (reachable by every
employee's tools) then answers 404 for ``/admin/`` and ``/console/``. Started
and stopped with the gateway, on its event loop, with uvicorn's HTTP protocol;
with several workers each binds the same port (``reuse_port``), as the main
listener does. Plain HTTP: terminate TLS in front of it (and set
``console.secure_cookies: always``), or keep it on loopback.
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from uvicorn.server import ServerState

from gateway.responses import send_json
from gateway.types import ASGIApp, Receive, Scope, Send

__all__ = ["AdminListener", "admin_path"]

log = logging.getLogger("haetae")


def admin_path(path: str) -> bool:
    """The paths this listener takes over from the main one."""
    return path.startswith("/admin/") or path == "/console" or path.startswith("/console/")


class AdminListener:
    def __init__(self, address: str, admin: ASGIApp, console: ASGIApp | None) -> None:
        host, _, port = address.rpartition(":")
        self._host, self._port = host.strip("[]"), int(port)
        self._admin, self._console = admin, console
        self._config = uvicorn.Config(
            self._route,
            http="h11",
            interface="asgi3",
            lifespan="off",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            log_config=None,
        )
        self._config.load()
        self._state = ServerState()
        self._server: asyncio.Server | None = None
        self.address: tuple[str, int] | None = None  # bound, once started

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path.startswith("/admin/"):
            await self._admin(scope, receive, send)
        elif self._console is not None and admin_path(path):
            await self._console(scope, receive, send)
        else:
            await send_json(send, 404, b'{"error":{"message":"not found"}}')

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self._config.http_protocol_class(  # type: ignore[call-arg]
                config=self._config, server_state=self._state, app_state={}
            ),
            self._host,
            self._port,
            reuse_port=self._port != 0,
        )
        bound = self._server.sockets[0].getsockname()
        self.address = (self._host, bound[1])
        log.info("admin API and console on http://%s:%d", bound[0], bound[1])

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for connection in list(self._state.connections):
            connection.shutdown()
        await self._server.wait_closed()
        self._server = None
