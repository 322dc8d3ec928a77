"""Attached media and documents: recorded by kind, and read before they are scanned.

Every attachment is reported (``Extraction.attach``) for policies to condition on.
A text document (``text/plain``, JSON, CSV, ...) sent inline as base64 or a
``data:`` URL in UTF-8 or its declared charset is decoded here and scanned like
any prompt; an edit re-encodes it in place. Any other inline file (a PDF, an
Office or HWP document, an image, text in an undeclared charset) is listed in
``Extraction.files`` for the Extract stage to read with ``gateway.attachments``;
audio and video are recorded only. When the media type is missing or generic,
the first bytes decide. Decoding is bounded per request.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import mimetypes
from typing import Any

from gateway.providers.dialect import (
    Extraction,
    InlineFile,
    JSONPath,
    Segment,
    UninspectableContent,
    format_location,
)

__all__ = [
    "MAX_DECODED_TEXT_BYTES",
    "attach_data",
    "attach_url",
    "decode_file",
    "is_text_media_type",
    "media_kind",
]

#: decoded text documents per request; beyond it a request is refused, not half-scanned
MAX_DECODED_TEXT_BYTES = 4 * 1024 * 1024

_TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/json",
        "application/jsonl",
        "application/x-ndjson",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/csv",
        "application/sql",
        "application/javascript",
        "application/x-javascript",
        "application/x-sh",
        "application/x-python",
        "application/markdown",
        "application/rtf",
        "application/x-httpd-php",
    }
)
#: declared types that say nothing; the bytes are sniffed instead
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_SNIFF_CHARS = 4096  # base64 characters: 3 KiB of content
_CONTROL = frozenset(chr(c) for c in range(32)) - set("\t\n\r\f\x1b")


#: base64 characters decoded per C call (a multiple of four; ~1 ms of CPU)
_PIECE_CHARS = 1024 * 1024
_URLSAFE = bytes.maketrans(b"-_", b"+/")


def is_text_media_type(media_type: str) -> bool:
    """``text/*``, JSON, XML, YAML, CSV, source code and ``+json``/``+xml`` types."""
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_APPLICATION_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def media_kind(media_type: Any, default: str) -> str:
    """``"image"``, ``"audio"`` or ``"video"`` by media type, else ``default``."""
    if not isinstance(media_type, str):
        return default
    major = media_type.partition("/")[0].strip().lower()
    return major if major in ("image", "audio", "video") else default


def _split_type(declared: str) -> tuple[str, str | None]:
    """``"Text/Plain; charset=EUC-KR"`` → ``("text/plain", "euc-kr")``."""
    media_type, *params = declared.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return media_type.strip().lower(), charset


def _b64decode(payload: str) -> tuple[bytes, bool] | None:
    """(bytes, url-safe alphabet?) or ``None`` when ``payload`` is not base64."""
    compact = "".join(payload.split())
    urlsafe = "-" in compact or "_" in compact
    padded = compact + "=" * (-len(compact) % 4)
    try:
        data = padded.encode("ascii")
        if len(data) > _PIECE_CHARS:
            pieces = _in_pieces(data, urlsafe)
            if pieces is not None:
                return pieces, urlsafe
        if urlsafe:
            return base64.urlsafe_b64decode(data), True
        return base64.b64decode(data, validate=True), False
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def _in_pieces(data: bytes, urlsafe: bool) -> bytes | None:
    """``data`` decoded a piece at a time, or None when a piece is not strict base64.

    Decoding megabytes is one C call that holds the GIL (12 MB: ~35 ms with the
    alphabet check), so on a worker thread the event loop waits for it; pieces let it
    in between. A piece holds a multiple of four characters, so when every piece is
    strict base64 (only the alphabet, padding only at the very end) the pieces decode
    exactly as the whole does; otherwise the caller decodes the whole as before.
    """
    pieces: list[bytes] = []
    for start in range(0, len(data), _PIECE_CHARS):
        piece = data[start : start + _PIECE_CHARS]
        if urlsafe:
            piece = piece.translate(_URLSAFE)
        try:
            pieces.append(binascii.a2b_base64(piece, strict_mode=True))
        except binascii.Error:
            return None
    return b"".join(pieces)


def _looks_like_text(payload: str) -> bool:
    """Whether the first bytes of a base64 payload are clean UTF-8 text."""
    head = "".join(payload[: _SNIFF_CHARS + 64].split())[:_SNIFF_CHARS]
    head = head[: len(head) - len(head) % 4]
    decoded = _b64decode(head)
    if decoded is None or not decoded[0]:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(decoded[0], final=False)
    except UnicodeDecodeError:
        return False
    return not any(ch in _CONTROL for ch in text)


def _decode_text(
    payload: str, charset: str, prefix: str, path: JSONPath, found: Extraction
) -> Segment | None:
    """The decoded text, or None when it is not in ``charset`` (then read as a file)."""
    where = format_location(path)
    if found.decoded_bytes + len(payload) * 3 // 4 > MAX_DECODED_TEXT_BYTES:
        raise UninspectableContent(
            f"{where}: attached text documents above {MAX_DECODED_TEXT_BYTES // 1024 // 1024} "
            "MiB per request cannot be inspected; send them as separate requests"
        )
    decoded = _b64decode(payload)
    if decoded is None:
        raise UninspectableContent(f"{where} is a text document but not valid base64")
    raw, urlsafe = decoded
    found.decoded_bytes += len(raw)
    try:
        codecs.lookup(charset)
        text = raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None
    return Segment(path, text, "base64url" if urlsafe else "base64", prefix, charset)


def _inline(
    payload: str,
    declared: str,
    prefix: str,
    kind: str,
    path: JSONPath,
    found: Extraction,
    filename: str | None = None,
) -> None:
    media_type, charset = _split_type(declared)
    media = media_kind(media_type, kind)
    found.attach(media)
    text = is_text_media_type(media_type) or (
        media_type in _GENERIC_TYPES and _looks_like_text(payload)
    )
    if text:
        segment = _decode_text(payload, charset or "utf-8", prefix, path, found)
        if segment is not None:
            if segment.text:
                found.segments.append(segment)
            return
        if charset is not None:
            raise UninspectableContent(
                f"{format_location(path)} is not text in its declared charset"
            )
    # binary, or text in an undeclared charset: its base64 is not text for the sweep
    found.skip(path)
    if media not in ("audio", "video"):  # recorded only: no reader for speech or film
        found.files.append(InlineFile(path, payload, prefix, declared or None, filename, media))


def decode_file(file: InlineFile) -> bytes:
    """The bytes of an inline file; a refusal when its payload is not base64."""
    decoded = _b64decode(file.payload)
    if decoded is None:
        raise UninspectableContent(f"{format_location(file.path)} is not valid base64")
    return decoded[0]


def _data_url(
    found: Extraction,
    kind: str,
    value: str,
    path: JSONPath,
    media_type: str | None,
    filename: str | None = None,
) -> None:
    header, comma, payload = value.partition(",")
    if not comma:
        raise UninspectableContent(f"{format_location(path)} is a malformed data URL")
    declared, _, encoding = header[5:].rpartition(";")
    if encoding.lower() != "base64":  # percent-encoded data: the URL itself is the text
        found.attach(media_kind(_split_type(header[5:])[0], kind))
        found.segments.append(Segment(path, value))
        return
    _inline(payload, declared or media_type or "", header + ",", kind, path, found, filename)


def _string(value: Any, path: JSONPath) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise UninspectableContent(f"{format_location(path)} is not a string")


def attach_url(found: Extraction, kind: str, value: Any, path: JSONPath) -> None:
    """A URL field: a ``data:`` URL is decoded, any other URL is scanned as text.

    A remote URL reaches the provider, query string and all, so it is text; the
    media it points to is fetched by the provider and only recorded here.
    """
    found.attach(kind)
    url = _string(value, path)
    if not url:
        return
    if url.startswith("data:"):
        _data_url(found, kind, url, path, None)
    else:
        found.segments.append(Segment(path, url))


def attach_data(
    found: Extraction,
    kind: str,
    value: Any,
    path: JSONPath,
    media_type: Any = None,
    filename: Any = None,
) -> None:
    """A data field: base64 bytes (or a ``data:`` URL) of ``media_type``.

    ``kind`` is what the dialect calls it (``"image"``, ``"file"``, ...); a media
    type of ``image/*``, ``audio/*`` or ``video/*`` overrides it, and ``filename``
    helps guess a missing media type.
    """
    data = _string(value, path)
    if not isinstance(media_type, str):
        media_type = None
    name = filename if isinstance(filename, str) else None
    if media_type is None and name:
        media_type = mimetypes.guess_type(name, strict=False)[0]
    if not data:
        found.attach(media_kind(media_type, kind))
    elif data.startswith("data:"):
        _data_url(found, kind, data, path, media_type, name)
    else:
        _inline(data, media_type or "", "", kind, path, found, name)
