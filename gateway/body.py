"""Read body: the whole request body, bounded, decoded once.

Compressed bodies are decompressed here (bounded, so a small gzip bomb cannot
expand past the limit) because what is forwarded must be exactly what was
scanned; encodings Haetae cannot decode are refused rather than passed blind.
Inflating and joining megabytes happen on a thread (``large_bodies.py``): on the
event loop, inflating 10 MB held every other request for ~40 ms.
A body that ended with trailer fields is refused (``gateway/trailers.py``).
"""

from __future__ import annotations

import asyncio
import zlib
from typing import TYPE_CHECKING

from gateway.errors import BadRequest, PayloadTooLarge, UnsupportedMedia
from gateway.large_bodies import InflateError, inflate, join_body
from gateway.trailers import check_trailers

if TYPE_CHECKING:
    from gateway.exchange import Exchange

__all__ = ["ReadBody"]

_ZLIB_WBITS = {b"gzip": 16 + zlib.MAX_WBITS, b"x-gzip": 16 + zlib.MAX_WBITS, b"deflate": 0}


class ReadBody:
    name = "read_body"

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes

    async def __call__(self, exchange: Exchange) -> None:
        encoding = (exchange.header(b"content-encoding") or b"identity").strip().lower()
        if encoding not in _ZLIB_WBITS and encoding != b"identity":
            raise UnsupportedMedia(
                f"Content-Encoding '{encoding.decode('latin-1')[:32]}' is not supported; "
                "send identity, gzip or deflate"
            )
        declared = exchange.header(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await exchange.receive()
            if message["type"] == "http.disconnect":
                raise BadRequest("the client closed the connection before sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max:
                raise self._too_large()
            chunks.append(chunk)
            more = message.get("more_body", False)
        check_trailers(exchange)  # the server has read them by the body's end
        body = await join_body(chunks, size)
        if encoding in _ZLIB_WBITS and body:
            body = await self._decompress(body, _ZLIB_WBITS[encoding])
            exchange.headers = [(k, v) for k, v in exchange.headers if k != b"content-encoding"]
        exchange.body = body

    async def _decompress(self, body: bytes, wbits: int) -> bytes:
        # however small the body, it may inflate to the limit: always on a thread
        try:
            data = await asyncio.to_thread(inflate, body, wbits, self._max)
        except InflateError:
            raise BadRequest("the request body is not valid for its Content-Encoding") from None
        if data is None:
            raise self._too_large()
        return data

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"request body exceeds the gateway limit of {self._max} bytes (limits.max_body_bytes)"
        )
