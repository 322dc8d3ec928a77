"""Base64 blobs in prompts that decode to text: found, decoded and bounded.

People paste encoded payloads (tokens, config dumps, JSON) as base64; the scanner looks
inside those that decode to printable UTF-8 text. The work one request can cause is bounded
by ``MAX_BASE64_BYTES`` decoded bytes and ``MAX_BASE64_BLOBS`` blobs.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["MAX_BASE64_BLOBS", "MAX_BASE64_BYTES", "base64_blobs"]

#: Base64 (standard or URL-safe alphabet) long enough to hide an identifier.
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/_=-])")
#: Bounds on the work one request can cause: decoded bytes and blobs decoded.
MAX_BASE64_BYTES = 64 * 1024
MAX_BASE64_BLOBS = 16


def base64_blobs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded text) of the base64 blobs in ``text`` that hold UTF-8 text."""
    blobs: list[tuple[int, int, str]] = []
    budget = MAX_BASE64_BYTES
    for match in _BASE64.finditer(text):
        blob = match.group()
        size = len(blob) * 3 // 4  # decoded bytes, known before decoding
        if size > budget:
            continue
        decoded = _decode_text(blob)
        if decoded is None:
            continue
        budget -= size
        blobs.append((match.start(), match.end(), decoded))
        if len(blobs) == MAX_BASE64_BLOBS:
            break
    return blobs


def _decode_text(blob: str) -> str | None:
    """The blob's decoded text, or None for binary data, bad padding or mixed alphabets."""
    body = blob.rstrip("=")
    url_safe = "-" in body or "_" in body
    if (url_safe and ("+" in body or "/" in body)) or len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    # Text, not bytes that happen to be valid UTF-8: printable apart from line breaks/tabs.
    unprintable = sum(not (char.isprintable() or char in "\t\n\r") for char in decoded)
    return decoded if unprintable == 0 else None
