"""ICAP/1.0 on the wire (RFC 3507): request heads, encapsulated sections, chunked bodies.

Everything a proxy sends is bounded before it is believed: the ICAP head and the
encapsulated HTTP heads together by ``max_header_bytes``, a preview by its
``Preview`` header, the rest of a body by the body limit of the caller; the
wait for a head by the idle timeout, the encapsulated heads and the preview
that come with it by one timeout, each later chunk by one. The timeouts are
``asyncio.timeout`` scopes, not ``wait_for``, which before Python 3.12 wraps
each read in a task of its own.
Anything malformed raises :class:`IcapError`, which the server answers with its
ICAP status (400 for a broken message) and closes the connection, since after a
framing error the next message cannot be found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "CONTINUE",
    "LAST_CHUNK",
    "Body",
    "HttpHead",
    "IcapError",
    "IcapRequest",
    "Limits",
    "adapted_head",
    "chunk",
    "icap_message",
    "parse_http_head",
    "parse_icap_head",
    "read_icap_request",
]

CONTINUE = b"ICAP/1.0 100 Continue\r\n\r\n"
LAST_CHUNK = b"0\r\n\r\n"
_REASONS = {
    100: "Continue",
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    404: "ICAP Service Not Found",
    405: "Method Not Allowed For Service",
    408: "Request Timeout",
    413: "Request Entity Too Large",
    500: "Server Error",
    501: "Method Not Implemented",
    503: "Service Overloaded",
    505: "ICAP Version Not Supported",
}
_METHODS = frozenset({"OPTIONS", "REQMOD", "RESPMOD"})
_SECTIONS = ("req-hdr", "res-hdr", "req-body", "res-body", "null-body", "opt-body")
_MAX_CHUNK_LINE = 1024

Section = Literal["req-hdr", "res-hdr", "req-body", "res-body", "null-body", "opt-body"]


class IcapError(Exception):
    """The request cannot be served; ``status`` is the ICAP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Limits:
    max_header_bytes: int
    timeout: float  # seconds for each head, and for each chunk of a body


@dataclass(frozen=True, slots=True)
class HttpHead:
    """An encapsulated HTTP request or response head, as sent (names keep their case)."""

    start_line: bytes
    headers: list[tuple[bytes, bytes]]

    def get(self, name: bytes) -> bytes | None:
        """First value of header ``name`` (lower case)."""
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


@dataclass(slots=True)
class IcapRequest:
    method: str
    uri: str
    headers: dict[str, str]  # lower-case names; repeated ones joined by ", "
    encapsulated: list[tuple[Section, int]] = field(default_factory=list)
    req_head: HttpHead | None = None
    res_head: HttpHead | None = None

    @property
    def service(self) -> str:
        """The path of the ICAP URI (``/reqmod``), without query."""
        rest = self.uri.split("://", 1)[-1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return path.split("?", 1)[0]

    @property
    def preview(self) -> int | None:
        value = self.headers.get("preview")
        if value is None:
            return None
        if not value.strip().isdigit():
            raise IcapError(400, "Preview is not a number")
        return int(value)

    @property
    def allows_204(self) -> bool:
        allow = self.headers.get("allow", "")
        return "204" in (part.strip() for part in allow.split(","))

    @property
    def body_section(self) -> Section | None:
        """``req-body``/``res-body`` when a body follows, else None."""
        last = self.encapsulated[-1][0] if self.encapsulated else None
        return last if last in ("req-body", "res-body", "opt-body") else None

    @property
    def closes(self) -> bool:
        return self.headers.get("connection", "").strip().lower() == "close"


def parse_icap_head(raw: bytes) -> IcapRequest:
    """The ICAP request line and headers (``raw`` ends with the blank line)."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise IcapError(400, "the ICAP head is not ASCII") from None
    lines = text[:-4].split("\r\n") if text.endswith("\r\n\r\n") else text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[1]:
        raise IcapError(400, "malformed ICAP request line")
    method, uri, version = parts
    if version != "ICAP/1.0":
        raise IcapError(505 if version.startswith("ICAP/") else 400, "not ICAP/1.0")
    if method not in _METHODS:
        raise IcapError(501, "unknown ICAP method")
    if not uri.lower().startswith("icap://"):
        raise IcapError(400, "the request URI is not icap://")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise IcapError(400, "malformed ICAP header")
        key = name.lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    request = IcapRequest(method, uri, headers)
    if method != "OPTIONS" or "encapsulated" in headers:
        request.encapsulated = _encapsulated(headers.get("encapsulated"))
    return request


def _encapsulated(value: str | None) -> list[tuple[Section, int]]:
    if value is None:
        raise IcapError(400, "the Encapsulated header is missing")
    sections: list[tuple[Section, int]] = []
    for item in value.split(","):
        name, sep, offset = item.strip().partition("=")
        if not sep or name not in _SECTIONS or not offset.isdigit():
            raise IcapError(400, "malformed Encapsulated header")
        position = int(offset)
        if sections and position < sections[-1][1]:
            raise IcapError(400, "Encapsulated offsets go backwards")
        sections.append((name, position))  # type: ignore[arg-type]
    if not sections or sections[0][1] != 0:
        raise IcapError(400, "the first encapsulated section must start at 0")
    if any(name in ("req-body", "res-body", "null-body", "opt-body") for name, _ in sections[:-1]):
        raise IcapError(400, "a body section must come last")
    if sections[-1][0] not in ("req-body", "res-body", "null-body", "opt-body"):
        raise IcapError(400, "Encapsulated must end with a body or null-body")
    return sections


def parse_http_head(raw: bytes) -> HttpHead:
    """An encapsulated HTTP head; ``raw`` ends with its blank line."""
    if not raw.endswith(b"\r\n\r\n"):
        raise IcapError(400, "an encapsulated HTTP head does not end with a blank line")
    lines = raw[:-4].split(b"\r\n")
    if not lines[0] or lines[0].count(b" ") < 1:
        raise IcapError(400, "malformed encapsulated start line")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise IcapError(400, "malformed encapsulated HTTP header")
        headers.append((name, value.strip()))
    return HttpHead(lines[0], headers)


async def read_icap_request(
    reader: asyncio.StreamReader, limits: Limits, deadline: asyncio.Timeout
) -> IcapRequest | None:
    """The next request's head and encapsulated HTTP heads; None when the client is done.

    ``deadline`` is the caller's ``asyncio.timeout`` scope, set for the wait for
    the head (the connection's idle time) and moved on once the head is in, for
    the encapsulated heads and the preview that follow it (the server reads the
    preview under it too): one scope per message instead of one per read.
    """
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as closed:
        if not closed.partial.strip():
            return None  # closed between requests: the normal end of a connection
        raise IcapError(400, "the connection closed inside an ICAP head") from None
    except asyncio.LimitOverrunError:
        raise IcapError(400, "the ICAP head is larger than icap.max_header_bytes") from None
    request = parse_icap_head(raw)
    encapsulated = request.encapsulated
    if not encapsulated:  # OPTIONS
        return request
    deadline.reschedule(asyncio.get_running_loop().time() + limits.timeout)
    if len(encapsulated) < 2:  # a body or null-body alone: no HTTP head to read
        return request
    end = encapsulated[-1][1]  # the heads lie back to back, up to the body section
    if end > limits.max_header_bytes - len(raw):
        raise IcapError(400, "encapsulated heads larger than icap.max_header_bytes")
    try:
        sections = await reader.readexactly(end)  # every head in one read
    except asyncio.IncompleteReadError:
        raise IcapError(400, "the connection closed inside an encapsulated head") from None
    for index in range(len(encapsulated) - 1):
        name, offset = encapsulated[index]
        head = parse_http_head(sections[offset : encapsulated[index + 1][1]])
        if name == "req-hdr":
            request.req_head = head
        else:  # res-hdr: _encapsulated lets nothing else come before the body section
            request.res_head = head
    return request


class Body:
    """An encapsulated body, read chunk by chunk, asking for more after a preview.

    With ``Preview``, the proxy sends that much and waits: the rest comes only
    after ``100 Continue``, which :meth:`read` sends when asked past the
    preview. ``waiting`` says the proxy is held at that point, where an answer
    may be given without reading the rest and the connection stays usable.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        request: IcapRequest,
        limits: Limits,
        send_continue: Callable[[], Awaitable[None]],
    ) -> None:
        self._reader = reader
        self._limits = limits
        self._send_continue = send_continue
        self.complete = request.body_section is None
        self.waiting = False  # at the end of a preview, the rest not asked for
        preview = request.preview
        self._previewing = preview is not None and not self.complete
        self._preview_size = preview or 0
        self._held: list[bytes] = []  # preview read by ask_for_rest, not yet by read
        self.size = 0

    async def read(self) -> bytes | None:
        """The next piece of the body; None once it has all been read."""
        if self._held:
            return self._held.pop(0)
        while not self.complete:
            if self.waiting:
                self.waiting = False
                await self._send_continue()
            data = await self._chunk()
            if data:
                return data
        return None

    async def finish_preview(self) -> None:
        """Read what is left of the preview (kept for :meth:`read`), so that an answer
        given now leaves the connection in step."""
        if self.previewing:
            async with asyncio.timeout(self._limits.timeout):
                await self.read_preview()

    @property
    def previewing(self) -> bool:
        """Part of a preview is still to be read."""
        return self._previewing and not self.waiting and not self.complete

    async def read_preview(self) -> None:
        """The preview, under the caller's deadline: a preview is small (``Preview``
        bytes at most), and the server reads it with the heads, before any answer."""
        while self.previewing:
            if data := await self._read_chunk():
                self._held.append(data)

    async def ask_for_rest(self) -> None:
        """Send ``100 Continue`` now if the proxy waits at the end of its preview."""
        await self.finish_preview()
        if self.waiting:
            self.waiting = False
            await self._send_continue()

    @property
    def in_step(self) -> bool:
        """An answer now leaves the connection usable for the next request."""
        return self.complete or self.waiting

    async def read_all(self, limit: int) -> bytes | None:
        """The whole body, or None when it is larger than ``limit``."""
        parts: list[bytes] = []
        while (data := await self.read()) is not None:
            parts.append(data)
            if self.size > limit:
                return None
        return b"".join(parts)

    async def _chunk(self) -> bytes:
        async with asyncio.timeout(self._limits.timeout):  # the size line, data and CRLF
            return await self._read_chunk()

    async def _read_chunk(self) -> bytes:
        line = await self._line()
        size_text, _, extension = line.partition(b";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise IcapError(400, "malformed chunk size") from None
        if size < 0:
            raise IcapError(400, "malformed chunk size")
        if size == 0:
            if (await self._line()) != b"":
                raise IcapError(400, "trailers after the last chunk are not supported")
            if self._previewing and extension.strip() != b"ieof":
                self.waiting = True
            else:
                self.complete = True
            self._previewing = False
            return b""
        self.size += size
        if self._previewing and self.size > self._preview_size:
            raise IcapError(400, "the preview is longer than its Preview header")
        data = await self._exactly(size + 2)
        if not data.endswith(b"\r\n"):
            raise IcapError(400, "a chunk does not end with CRLF")
        return data[:-2]

    async def _line(self) -> bytes:
        try:
            line = await self._reader.readuntil(b"\r\n")
        except asyncio.IncompleteReadError:
            raise IcapError(400, "the connection closed inside a body") from None
        except asyncio.LimitOverrunError:
            raise IcapError(400, "a chunk-size line is too long") from None
        if len(line) > _MAX_CHUNK_LINE:
            raise IcapError(400, "a chunk-size line is too long")
        return line[:-2]

    async def _exactly(self, size: int) -> bytes:
        try:
            return await self._reader.readexactly(size)
        except asyncio.IncompleteReadError:
            raise IcapError(400, "the connection closed inside a chunk") from None


def chunk(data: bytes) -> bytes:
    """One ICAP body chunk."""
    return b"%x\r\n%b\r\n" % (len(data), data) if data else b""


def icap_message(
    status: int,
    headers: list[tuple[str, str]],
    encapsulated: list[tuple[Section, bytes]] | None = None,
) -> bytes:
    """An ICAP response head (and the encapsulated HTTP heads that follow it).

    ``encapsulated`` lists the heads in order and ends with the body section
    (``req-body``/``res-body``, whose bytes the caller then sends chunked, or
    ``null-body``); None gives ``Encapsulated: null-body=0``.
    """
    parts = [f"ICAP/1.0 {status} {_REASONS.get(status, 'Unknown')}"]
    parts.extend(f"{name}: {value}" for name, value in headers)
    offsets: list[str] = []
    heads = b""
    for name, data in encapsulated or [("null-body", b"")]:
        offsets.append(f"{name}={len(heads)}")
        heads += data
    parts.append("Encapsulated: " + ", ".join(offsets))
    return ("\r\n".join(parts) + "\r\n\r\n").encode("ascii") + heads


def adapted_head(start_line: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """An HTTP head to encapsulate in an answer."""
    lines = [start_line, *(name + b": " + value for name, value in headers)]
    return b"\r\n".join(lines) + b"\r\n\r\n"
