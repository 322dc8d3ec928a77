"""Large bodies, handled so that the event loop never waits for one (issue 10 §5).

Parsing, serialising, decoding and decompressing megabytes are each one C call, and most
of them (orjson, binascii) keep the GIL until they return: on a worker thread the event
loop still waits for them (10 MB: 6–15 ms each, 40 ms for an object-dense body). Here is
how the stages split that work instead:

- bytes are joined and decompressed in bounded pieces on a thread (``join_body``,
  ``inflate``): ``bytes.join`` and zlib release the GIL;
- a body over ``LARGE_BODY_BYTES`` is written out (as scanned, or with the policy's
  edits) by a scan worker process (``render``), which reads the received bytes again:
  the serving process never serialises it;
- base64 payloads are decoded a bounded piece at a time
  (``providers/attachments.py``), so the GIL changes hands between the pieces.

``render`` runs in a worker process: it is a module-level function, pickled by name.
"""

from __future__ import annotations

import asyncio
import zlib

import orjson

from gateway.providers.dialect import JSONPath, apply_edits

__all__ = [
    "INLINE_SEGMENTS",
    "LARGE_BODY_BYTES",
    "PIECE_BYTES",
    "InflateError",
    "inflate",
    "join_body",
    "render",
]

#: bodies larger than this are prescreened and written out by a scan worker process
LARGE_BODY_BYTES = 1024 * 1024
#: Above this many segments a request is scanned off the loop whatever its size, and its
#: findings are screened and its edits written there too: the per-segment work around the
#: scan (joining, mapping findings back, the policy's screen: ~85 ms for 60,000) adds up.
INLINE_SEGMENTS = 2_000
#: the most one C call decodes or inflates at a time (~1 ms of CPU)
PIECE_BYTES = 1024 * 1024


def render(body: bytes, edits: dict[JSONPath, str]) -> bytes:
    """The JSON body as it was scanned, with ``edits`` written in, as the bytes to forward.

    Runs in a scan worker. The serving process parsed the same bytes with the same
    parser, so the document here is the one it scanned; writing it out again (rather
    than forwarding the received bytes) keeps what a different parser might read
    differently, a key given twice, from leaving unscanned.
    """
    document = orjson.loads(body)
    if edits:
        apply_edits(document, edits)
    return orjson.dumps(document)


async def join_body(chunks: list[bytes], size: int) -> bytes:
    """The received chunks as one body; a large one joined on a thread (without the GIL)."""
    if size <= LARGE_BODY_BYTES:
        return b"".join(chunks)
    return await asyncio.to_thread(b"".join, chunks)


class InflateError(ValueError):
    """The body is not valid for its Content-Encoding, or inflates past the limit."""


def inflate(body: bytes, wbits: int, limit: int) -> bytes | None:
    """``body`` decompressed, at most ``limit`` bytes; None when it inflates past ``limit``.

    Meant for a thread: zlib releases the GIL while it inflates, and the output is
    produced a piece at a time, so a small bomb never allocates past ``limit + 1``
    piece. ``wbits`` 0: zlib-wrapped deflate, else raw deflate (both are sent as
    ``deflate``). ``InflateError`` when the bytes are not valid for the encoding.
    """
    for bits in (wbits,) if wbits else (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        decoder = zlib.decompressobj(bits)
        pieces: list[bytes] = []
        size = 0
        data = body
        try:
            while True:
                piece = decoder.decompress(data, PIECE_BYTES)
                pieces.append(piece)
                size += len(piece)
                if size > limit:
                    return None
                data = decoder.unconsumed_tail
                if not data:
                    break
            tail = decoder.flush()
        except zlib.error:
            continue
        if size + len(tail) > limit:
            return None
        pieces.append(tail)
        return b"".join(pieces)
    raise InflateError("not valid for its Content-Encoding")
