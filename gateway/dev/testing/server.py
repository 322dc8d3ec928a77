"""Run an ASGI app with uvicorn on a background thread, bound to loopback only.

Tests, the demo and the benchmark need real HTTP servers (the SDKs speak HTTP,
and stream/disconnect behaviour only shows over a socket) without spawning
processes. The socket is bound in ``__init__`` so the port is known before the
server starts and there is no bind race between parallel test runs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal, Self

import uvicorn

from gateway.server import http_protocol

__all__ = ["ServerThread"]


class ServerThread:
    """A uvicorn server on a daemon thread; ``with ServerThread(app) as s:`` stops by itself.

    ``lifespan="on"`` passes startup/shutdown through to the app (the gateway
    relies on it); ``"off"`` suits bare apps. ``graceful_shutdown`` bounds how
    long ``stop()`` lets open streams finish before uvicorn cancels them.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        loop: str = "auto",
        http: str | type[asyncio.Protocol] | None = None,
        lifespan: Literal["auto", "on", "off"] = "off",
        log_level: str = "warning",
        graceful_shutdown: int = 1,
        startup_timeout: float = 10.0,
        keep_alive: int = 75,
        tls: Mapping[str, Any] | None = None,
    ) -> None:
        """``tls``: uvicorn's ``ssl_*`` options (``gateway.server.tls_options``), to serve HTTPS."""
        address = ipaddress.ip_address(host)  # a literal IP, so no resolver is involved
        if not address.is_loopback:
            raise ValueError(f"ServerThread only binds loopback addresses, not {host!r}")
        config = uvicorn.Config(  # built first: a bad option must not leak the socket
            app,
            loop=loop,
            http=http or http_protocol(),  # the gateway's own, which keeps trailers apart
            ws="none",
            lifespan=lifespan,
            log_level=log_level,
            access_log=False,
            timeout_graceful_shutdown=graceful_shutdown,
            # Longer than the gateway's pool keeps idle connections, like real providers:
            # otherwise a request can race the server closing a pooled connection.
            timeout_keep_alive=keep_alive,
            **(tls or {}),
        )
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets
        # whose proto says TCP, and without it every response stalls ~40 ms (Nagle).
        self._sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self._sock.bind((host, port))
            self._sock.listen(2048)  # connections made before start() wait in the backlog
        except OSError:
            self._sock.close()
            raise
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        shown = f"[{host}]" if address.version == 6 else host
        self.base_url = f"{'https' if tls else 'http'}://{shown}:{self.port}"
        self.startup_timeout = startup_timeout
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def url(self, path: str = "") -> str:
        """``base_url`` joined with ``path``."""
        return self.base_url + ("" if not path or path.startswith("/") else "/") + path

    @property
    def running(self) -> bool:
        """True between a successful ``start()`` and ``stop()``."""
        return self._thread is not None and self._thread.is_alive() and self.server.started

    def start(self) -> Self:
        """Start serving; returns once uvicorn accepts connections (or raises)."""
        if self._thread is not None:
            raise RuntimeError("ServerThread can only be started once")
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self.server.started:
            if not self._thread.is_alive():
                self._sock.close()
                raise RuntimeError(f"server on {self.base_url} failed to start") from self._error
            if time.monotonic() >= deadline:
                self.stop()
                raise TimeoutError(f"server on {self.base_url} did not start in time")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._sock])
        except BaseException as exc:  # SystemExit on lifespan failure: report it to start()
            self._error = exc

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit and wait for the thread; idempotent."""
        thread = self._thread
        if thread is None:
            self._sock.close()
            return
        self.server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():  # a stuck app: skip the graceful part
            self.server.force_exit = True
            thread.join(2.0)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ServerThread {self.base_url} running={self.running}>"
