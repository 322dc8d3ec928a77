"""A gateway with its forward proxy on, a test CA, and clients that go through the proxy."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.dev.testing.ca import make_ca
from tests.support.stack import GatewayStack, gateway_stack

__all__ = ["ProxyStack", "connect", "proxy_stack"]


@dataclass
class ProxyStack:
    stack: GatewayStack
    ca: Path  # the CA certificate clients trust

    @property
    def port(self) -> int:
        assert self.stack.app.proxy is not None and self.stack.app.proxy.address is not None
        return self.stack.app.proxy.address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **options: Any) -> httpx.Client:
        """An httpx client that uses the proxy and trusts the test CA; no base URL."""
        return httpx.Client(proxy=self.proxy_url, verify=self.verify(), timeout=10, **options)

    def verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


@contextlib.contextmanager
def proxy_stack(
    folder: Path, settings: Mapping[str, Any] | None = None, **options: Any
) -> Iterator[ProxyStack]:
    """``gateway_stack`` with ``proxy.listen`` on a free loopback port and a fresh CA."""
    cert, key = make_ca(folder / "ca")
    proxy = {"proxy.listen": "127.0.0.1:0", "proxy.ca_cert": str(cert), "proxy.ca_key": str(key)}
    with gateway_stack(folder, settings={**proxy, **(settings or {})}, **options) as stack:
        yield ProxyStack(stack, cert)


def connect(port: int, request: bytes, timeout: float = 5.0) -> tuple[socket.socket, bytes]:
    """Send ``request`` (a CONNECT) to the proxy; the socket and the answer's head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(request)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head
