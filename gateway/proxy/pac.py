"""``GET /proxy.pac``: AI hosts to the proxy, everything else DIRECT.

Generated on each request from the active policy's providers (a policy that
declares a provider adds its hosts) and the web-app table, so browsers and
operating systems send only AI traffic through Haetae.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from gateway.proxy.destinations import Destinations
from gateway.proxy.pages import send_page
from gateway.types import Receive, Scope, Send

__all__ = ["PacFile", "pac_script"]


def pac_script(hosts: list[str], proxy: str) -> str:
    """The PAC file for host globs (``*`` any part); ``proxy`` is ``host:port``."""
    exact = sorted(h for h in hosts if "*" not in h)
    patterns = sorted(h for h in hosts if "*" in h)
    return (
        "// Haetae: AI services through the gateway's proxy, everything else direct.\n"
        "function FindProxyForURL(url, host) {\n"
        "  host = host.toLowerCase();\n"
        f"  var exact = {json.dumps(exact)};\n"
        f"  var patterns = {json.dumps(patterns)};\n"
        "  for (var i = 0; i < exact.length; i++) {\n"
        f'    if (host == exact[i]) return "PROXY {proxy}";\n'
        "  }\n"
        "  for (var j = 0; j < patterns.length; j++) {\n"
        f'    if (shExpMatch(host, patterns[j])) return "PROXY {proxy}";\n'
        "  }\n"
        '  return "DIRECT";\n'
        "}\n"
    )


class PacFile:
    """The ASGI endpoint serving the current PAC file."""

    def __init__(self, destinations: Destinations, proxy: Callable[[], str]) -> None:
        self._destinations = destinations
        self._proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            body, status, kind = b"use GET\n", 405, b"text/plain"
        else:
            body = pac_script(self._destinations.proxied_hosts(), self._proxy()).encode()
            status, kind = 200, b"application/x-ns-proxy-autoconfig"
        if scope["method"] == "HEAD":
            body = b""
        await send_page(send, status, kind, body, [(b"cache-control", b"max-age=300")])
