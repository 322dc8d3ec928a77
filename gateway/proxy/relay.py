"""Byte relays for the proxy: a blind two-way tunnel, and a holder for early bytes.

The tunnel carries what the proxy does not inspect (``proxy.other_hosts: tunnel``),
with flow control in both directions: when one side's send buffer fills, the
other side stops being read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

__all__ = ["Held", "Relay"]


class Relay(asyncio.Protocol):
    """One side of a tunnel: what arrives here is written to ``peer``."""

    def __init__(
        self,
        peer: asyncio.Transport,
        greeting: bytes = b"",
        on_close: Callable[[Relay], None] | None = None,
    ) -> None:
        self.peer = peer
        self.greeting = greeting  # written to the peer as soon as this side connects
        self.transport: asyncio.Transport | None = None
        self.partner: Relay | None = None  # the other side's relay, once both exist
        self.ended = False  # this side sent its EOF
        self.bytes_in = 0
        self._on_close = on_close

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        if self.greeting:
            self.peer.write(self.greeting)

    def data_received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        self.peer.write(data)

    def eof_received(self) -> bool:
        self.ended = True
        if self.partner is not None and self.partner.ended:
            return False  # both directions are done: let the transport close
        if self.peer.can_write_eof():
            self.peer.write_eof()
            return True  # keep the other direction open (half-close)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.peer.close()
        if self._on_close is not None:
            self._on_close(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.peer.close()

    def pause_writing(self) -> None:
        self.peer.pause_reading()

    def resume_writing(self) -> None:
        self.peer.resume_reading()


class Held(asyncio.Protocol):
    """Keeps what a fresh TLS connection receives until its real protocol takes over.

    ``start_tls`` delivers the first decrypted bytes as soon as the handshake ends,
    before it returns the transport that the HTTP protocol must be attached to.
    """

    def __init__(self) -> None:
        self.data = bytearray()
        self.eof = False
        self.lost = False

    def data_received(self, data: bytes) -> None:
        self.data += data

    def eof_received(self) -> bool:
        self.eof = True
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
