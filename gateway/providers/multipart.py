"""Multipart bodies (``multipart/form-data``, ``multipart/related``), read whole and bounded.

File uploads reach the gateway as multipart bodies. python-multipart's state machine
splits them; this module bounds what it may hold (parts, header lines, header bytes)
and keeps each part's headers and bytes so that the body can be written out again.
What is forwarded is always that re-rendering of the parsed parts, never the bytes
received: a preamble, an epilogue or bytes after the closing boundary, which another
parser might read as a part, never leave, and a part whose text was edited goes out
with the rest unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from gateway.providers.upload_errors import UploadProblem

__all__ = [
    "MAX_HEADERS",
    "MAX_HEADER_BYTES",
    "MAX_PARTS",
    "MalformedMultipart",
    "MultipartBody",
    "Part",
    "parse_multipart",
]

#: parts per body: a file upload has two to five (file, purpose, expiry, ...)
MAX_PARTS = 32
#: header lines per part, and bytes per header line
MAX_HEADERS = 8
MAX_HEADER_BYTES = 4096
_MAX_BOUNDARY = 70  # RFC 2046
#: transfer encodings that leave the bytes as they are (RFC 7578 deprecates the rest)
_IDENTITY_ENCODINGS = frozenset({b"7bit", b"8bit", b"binary"})


class _Silent(logging.LoggerAdapter[logging.Logger]):
    """python-multipart logs a parse error with the offending byte's value, a byte of the
    upload; each parser is given this logger instead, which drops everything (the
    refusal says what was wrong). Set per parser, so no logging configuration undoes it."""

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        return None


_SILENT = _Silent(logging.getLogger("haetae.multipart"))


class MalformedMultipart(UploadProblem):
    """The body is not a multipart body the gateway can read; the message says why.

    The message is shown to the caller and never quotes the body.
    """


@dataclass(slots=True)
class Part:
    """One part: its header lines as received, and its bytes."""

    headers: list[tuple[bytes, bytes]]
    data: bytes

    def header(self, name: bytes) -> bytes | None:
        """The value of header ``name`` (lower case), or ``None``."""
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def disposition(self) -> dict[bytes, bytes]:
        """The Content-Disposition parameters (``name``, ``filename``), empty without one."""
        value = self.header(b"content-disposition")
        return parse_options_header(value)[1] if value else {}

    @property
    def name(self) -> str | None:
        """The form field name, or ``None`` (``multipart/related`` parts have none)."""
        name = self.disposition.get(b"name")
        return name.decode("utf-8", "replace") if name is not None else None

    @property
    def filename(self) -> str | None:
        filename = self.disposition.get(b"filename")
        return filename.decode("utf-8", "replace") if filename is not None else None

    @property
    def media_type(self) -> str | None:
        """The declared Content-Type without parameters, lower case, or ``None``."""
        value = self.header(b"content-type")
        if not value:
            return None
        return value.split(b";", 1)[0].strip().lower().decode("latin-1") or None

    @property
    def charset(self) -> str | None:
        value = self.header(b"content-type")
        if not value:
            return None
        charset = parse_options_header(value)[1].get(b"charset")
        return charset.decode("latin-1").lower() if charset else None


@dataclass(slots=True)
class MultipartBody:
    """A parsed multipart body; ``render`` writes it out with some parts' bytes replaced."""

    boundary: bytes
    parts: list[Part]

    def render(self, replaced: Mapping[int, bytes] | None = None) -> bytes:
        """The body as parsed, with part ``i``'s bytes replaced by ``replaced[i]``."""
        replaced = replaced or {}
        delimiter = b"--" + self.boundary
        out: list[bytes] = []
        for index, part in enumerate(self.parts):
            out.append(delimiter + b"\r\n")
            out.extend(name + b": " + value + b"\r\n" for name, value in part.headers)
            out.append(b"\r\n")
            out.append(replaced.get(index, part.data))
            out.append(b"\r\n")
        out.append(delimiter + b"--\r\n")
        return b"".join(out)


def boundary_of(content_type: bytes | None, subtypes: tuple[bytes, ...]) -> bytes:
    """The boundary a ``multipart/<subtype>`` Content-Type declares; refuses anything else."""
    if not content_type:
        raise MalformedMultipart(
            "the request has no Content-Type; expected a multipart body",
            "요청에 Content-Type이 없습니다. multipart 본문이어야 합니다",
        )
    media_type, params = parse_options_header(content_type)
    if media_type not in tuple(b"multipart/" + subtype for subtype in subtypes):
        wanted = " or ".join(f"multipart/{s.decode()}" for s in subtypes)
        raise MalformedMultipart(
            f"the Content-Type must be {wanted}", f"Content-Type은 {wanted}이어야 합니다"
        )
    boundary = params.get(b"boundary", b"")
    if not boundary or len(boundary) > _MAX_BOUNDARY or b"\r" in boundary or b"\n" in boundary:
        raise MalformedMultipart(
            "the multipart Content-Type has no valid boundary",
            "multipart Content-Type에 올바른 boundary가 없습니다",
        )
    return boundary


class _Collector:
    """Callbacks for python-multipart: gathers parts within the limits."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.parts: list[Part] = []
        self._field = bytearray()
        self._value = bytearray()
        self._headers: list[tuple[bytes, bytes]] = []
        self._data: list[bytes] = []

    def part_begin(self) -> None:
        if len(self.parts) >= MAX_PARTS:
            raise MalformedMultipart(
                f"the multipart body has more than {MAX_PARTS} parts",
                f"multipart 본문의 파트가 {MAX_PARTS}개를 넘습니다",
            )
        self._headers, self._data = [], []

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self._headers.append((bytes(self._field).strip(), bytes(self._value).strip()))
        self._field.clear()
        self._value.clear()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        self._data.append(data[start:end])

    def part_end(self) -> None:
        self.parts.append(Part(self._headers, b"".join(self._data)))


def parse_multipart(body: bytes, boundary: bytes) -> MultipartBody:
    """Every part of ``body``; a body that is cut short, over a limit or malformed is refused."""
    collector = _Collector(body)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.part_begin,
            "on_header_field": collector.header_field,
            "on_header_value": collector.header_value,
            "on_header_end": collector.header_end,
            "on_part_data": collector.part_data,
            "on_part_end": collector.part_end,
        },
        max_header_count=MAX_HEADERS,
        max_header_size=MAX_HEADER_BYTES,
    )
    parser.logger = _SILENT  # type: ignore[assignment]
    # The body may not start with CRLF before the first delimiter (python-multipart
    # reads a preamble strictly); a leading blank line is common enough to allow.
    view = body[2:] if body.startswith(b"\r\n--") else body
    try:
        parser.write(view)
        parser.finalize()
    except MultipartParseError:
        raise MalformedMultipart(
            "the multipart body is malformed, or a part has too many or too long headers "
            f"(at most {MAX_HEADERS} of {MAX_HEADER_BYTES} bytes)",
            "multipart 본문의 형식이 잘못되었거나 파트의 헤더가 너무 많거나 깁니다"
            f"(최대 {MAX_HEADERS}개, 각 {MAX_HEADER_BYTES}바이트)",
        ) from None
    if parser.state != MultipartState.END:
        raise MalformedMultipart(
            "the multipart body ends before its closing boundary",
            "multipart 본문이 닫는 boundary 전에 끝났습니다",
        )
    if not collector.parts:
        raise MalformedMultipart(
            "the multipart body has no parts", "multipart 본문에 파트가 없습니다"
        )
    for part in collector.parts:
        encoding = part.header(b"content-transfer-encoding")
        if encoding is not None and encoding.strip().lower() not in _IDENTITY_ENCODINGS:
            # a server decoding it would store what was never scanned
            raise MalformedMultipart(
                "a multipart part declares a Content-Transfer-Encoding; send the bytes as they are",
                "multipart 파트에 Content-Transfer-Encoding이 있습니다. 바이트를 그대로 보내세요",
            )
    return MultipartBody(boundary, collector.parts)
