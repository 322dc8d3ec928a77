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
from collections.abc import Iterator
from typing import Any

import orjson

from gateway.providers.dialect import JSONPath, apply_edits

__all__ = [
    "INLINE_SEGMENTS",
    "LARGE_BODY_BYTES",
    "PIECE_BYTES",
    "PIECE_JSON_BYTES",
    "InflateError",
    "Piece",
    "assemble",
    "inflate",
    "join_body",
    "render",
    "split_document",
]

#: bodies larger than this are prescreened and written out by a scan worker process
LARGE_BODY_BYTES = 1024 * 1024
#: Above this many segments a request is scanned off the loop whatever its size, and its
#: findings are screened and its edits written there too: the per-segment work around the
#: scan (joining, mapping findings back, the policy's screen: ~85 ms for 60,000) adds up.
INLINE_SEGMENTS = 2_000
#: the most one C call decodes or inflates at a time (~1 ms of CPU)
PIECE_BYTES = 1024 * 1024
#: the most JSON one piece of a large document holds: parsing 256 KB of the densest
#: JSON takes ~2 ms
PIECE_JSON_BYTES = 256 * 1024


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


#: a piece of a document, as the worker sends it: where, its JSON, and how it goes in
#: (``set`` the value there, ``extend`` the list or ``update`` the object there with it,
#: or ``text``: one more piece of the long string there)
Piece = tuple[JSONPath, bytes, str]


def split_document(document: Any, limit: int = PIECE_JSON_BYTES) -> list[Piece]:
    """``document`` as pieces of at most ``limit`` bytes of JSON each, in document order.

    Runs in a scan worker, which has parsed the body already. A container whose JSON is
    over ``limit`` is sent as an empty one followed by its children, consecutive small
    children grouped into one piece; a long string as pieces of ``limit`` characters.
    ``assemble`` turns the pieces back into the document, each piece one bounded parse.
    """
    pieces: list[Piece] = []
    _split(document, (), limit, pieces)
    return pieces


def _split(
    value: Any, path: JSONPath, limit: int, pieces: list[Piece], data: bytes | None = None
) -> None:
    """``data``: ``value``'s JSON, when the caller has it already."""
    if isinstance(value, str) and len(value) > limit:  # over ``limit`` bytes of JSON too
        pieces.extend(
            (path, orjson.dumps(value[i : i + limit]), "text") for i in range(0, len(value), limit)
        )
        return
    if data is None:
        data = orjson.dumps(value)
    if len(data) <= limit or not value or isinstance(value, str):
        pieces.append((path, data, "set"))
    elif isinstance(value, dict):
        pieces.append((path, b"{}", "set"))
        _runs(
            ((key, orjson.dumps(key) + b":", orjson.dumps(child)) for key, child in value.items()),
            value,
            path,
            limit,
            pieces,
            b"{}",
        )
    elif isinstance(value, list):
        pieces.append((path, b"[]", "set"))
        _runs(
            ((index, b"", orjson.dumps(child)) for index, child in enumerate(value)),
            value,
            path,
            limit,
            pieces,
            b"[]",
        )
    else:  # a number: never longer than ``limit``
        pieces.append((path, data, "set"))


def _runs(
    members: Iterator[tuple[str | int, bytes, bytes]],
    container: Any,
    path: JSONPath,
    limit: int,
    pieces: list[Piece],
    brackets: bytes,
) -> None:
    """Consecutive small members as one piece each run; a large one split on its own.

    ``members``: each member's key or index, its ``"key":`` prefix (empty in a list)
    and its JSON."""
    how = "update" if brackets == b"{}" else "extend"
    run: list[bytes] = []
    size = 0

    def flush() -> None:
        nonlocal run, size
        if run:
            pieces.append((path, brackets[:1] + b",".join(run) + brackets[1:], how))
            run, size = [], 0

    for name, prefix, data in members:
        if len(prefix) + len(data) > limit:
            flush()
            _split(container[name], (*path, name), limit, pieces, data)
            continue
        if size + len(prefix) + len(data) > limit:
            flush()
        run.append(prefix + data)
        size += len(prefix) + len(data) + 1
    flush()


def assemble(pieces: list[Piece]) -> Any:
    """The document ``split_document`` cut into ``pieces``.

    Meant for a thread: each piece is one parse of at most ``PIECE_JSON_BYTES``, and
    between two of them the event loop can take the GIL, where parsing the whole body
    at once held it for 10–60 ms.
    """
    root: Any = None
    text: list[str] = []
    text_path: JSONPath | None = None
    for path, data, how in pieces:
        if text_path is not None and (how != "text" or path != text_path):
            root = _place(root, text_path, "".join(text))
            text, text_path = [], None
        value = orjson.loads(data)
        if how == "set":
            root = _place(root, path, value)
        elif how == "text":
            text.append(value)
            text_path = path
        else:
            target = _at(root, path)
            if how == "extend":
                target.extend(value)
            else:
                target.update(value)
    if text_path is not None:
        root = _place(root, text_path, "".join(text))
    return root


def _at(root: Any, path: JSONPath) -> Any:
    for key in path:
        root = root[key]
    return root


def _place(root: Any, path: JSONPath, value: Any) -> Any:
    """``value`` set at ``path`` (appended to a list that ends just before it); the root."""
    if not path:
        return value
    parent = _at(root, path[:-1])
    key = path[-1]
    if isinstance(parent, list) and key == len(parent):
        parent.append(value)
    else:
        parent[key] = value
    return root
