"""The gateway's HTTP/1.1 protocol: uvicorn's httptools one, with request trailers kept apart.

Why trailers must not become headers, and how the application refuses them, is
in ``gateway/trailers.py``. This module only changes where the parser puts a
field that arrives after the body: not into ``scope["headers"]`` (which is the
list the stock protocol appends it to), but, by name only, into the scope's
``haetae.request_trailers`` extension, which Read body checks.

Importing it needs httptools (a dependency of the gateway; uvicorn falls back to
h11 without it, which drops trailers and lists none, so chunked bodies are refused).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.client_tls import CLIENT_CERTIFICATE, ClientCertificate, peer_certificate
from gateway.trailers import TRAILERS

__all__ = ["TrailerSeparatingProtocol"]

_KEPT = 16


class TrailerSeparatingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the trailer fields of a request kept apart."""

    _in_trailers = False
    _certificate: ClientCertificate | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        # Once per connection: the client certificate (mTLS), verified by the TLS layer.
        self._certificate = peer_certificate(transport)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_trailers = False
        extensions: Any = {TRAILERS: []}
        if self._certificate is not None:
            extensions[CLIENT_CERTIFICATE] = self._certificate
        self.scope["extensions"] = extensions

    def on_headers_complete(self) -> None:
        self._in_trailers = True  # any field from here on comes after the body
        super().on_headers_complete()

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._in_trailers:
            extensions: Any = self.scope["extensions"]
            names: list[str] = extensions[TRAILERS]
            if len(names) < _KEPT:  # one is enough to refuse; the rest only cost memory
                names.append(name.lower().decode("latin-1")[:64])
            return
        super().on_header(name, value)
