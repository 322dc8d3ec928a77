"""Encoded blobs in prompts that decode to text: found, decoded (nested once) and bounded.

People paste encoded payloads (tokens, config dumps, JSON) as base64 or hex, and an insider
can encode a value to slip it past a scanner; the scanner looks inside those that decode to
printable UTF-8 text:

- base64 (standard or URL-safe alphabet) of 16 characters or more: enough for a 12-byte
  value such as a bare RRN (``OTAwMTAxLTEyMzQ1Njg=``);
- hex of 16 digits or more (``3930303130312d…``, ``0x3930…``), in either case.

A decoded text is scanned like any other (its own normalization undoes percent escapes and
the like), and a blob inside it is decoded once more, so base64 of hex or of base64 is seen
too; deeper nesting is not followed. Binary data (a hash, random key bytes, an image) never
decodes to text and is skipped. The work one request can cause is bounded by
``MAX_BASE64_BYTES`` decoded bytes and ``MAX_BASE64_BLOBS`` blobs, nested ones included.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["MAX_BASE64_BLOBS", "MAX_BASE64_BYTES", "base64_blobs", "encoded_blobs"]

#: Base64 or hex long enough to hide an identifier. Hex digits are in the base64 alphabet,
#: so one pattern finds both and the decoder tells them apart.
#: An "=" may come before one (``payload=…``, ``?data=…``): padding only ever ends a blob.
_BLOB = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/_=-])")
_CAPITAL_OR_DIGIT = re.compile("[A-Z0-9]")
_HEX = re.compile(r"(?:[0-9a-f]{2})+|(?:[0-9A-F]{2})+")
#: Bounds on the work one request can cause: decoded bytes and blobs decoded.
MAX_BASE64_BYTES = 64 * 1024
MAX_BASE64_BLOBS = 16
#: Blobs inside a decoded blob are decoded too, this many levels deep.
NESTING = 1


def encoded_blobs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, decoded text) of the base64 and hex blobs in ``text`` that hold text.

    A blob found inside a decoded text is decoded as well, and its text appended to its
    outer blob's (after a line break), so findings in either are reported on the outer blob.
    """
    budget = [MAX_BASE64_BYTES, MAX_BASE64_BLOBS]
    return _blobs(text, budget, NESTING)


#: The former name: base64 was the only encoding looked into.
base64_blobs = encoded_blobs


def _blobs(text: str, budget: list[int], depth: int) -> list[tuple[int, int, str]]:
    blobs: list[tuple[int, int, str]] = []
    for match in _BLOB.finditer(text):
        if budget[1] <= 0:
            break
        blob = match.group()
        if _CAPITAL_OR_DIGIT.search(blob) is None:
            # snake_case names and words: base64 of 12+ bytes is all lower case one time in
            # half a million, hex always has digits.
            continue
        size = len(blob) * 3 // 4  # decoded bytes at most, known before decoding
        if size > budget[0]:
            continue
        decoded = _decode_text(blob)
        if decoded is None:
            continue
        budget[0] -= size
        budget[1] -= 1
        if depth > 0:
            inner = [found for _, _, found in _blobs(decoded, budget, depth - 1)]
            decoded = "\n".join([decoded, *inner])
        blobs.append((match.start(), match.end(), decoded))
    return blobs


def _decode_text(blob: str) -> str | None:
    """The blob's decoded text (hex first, then base64), or None when it holds no text."""
    if blob[:2] in ("0x", "0X") and _HEX.fullmatch(blob, 2):
        blob = blob[2:]  # a C-style hex literal
    if _HEX.fullmatch(blob):
        # Base64 of text is never hex digits alone (its capitals and digits come mixed), so
        # a trace id or a hash costs one decode, not two.
        return _text(bytes.fromhex(blob)) if len(blob) % 2 == 0 else None
    body = blob.rstrip("=")
    url_safe = "-" in body or "_" in body
    if (url_safe and ("+" in body or "/" in body)) or len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
    except binascii.Error:
        return None
    return _text(raw)


def _text(raw: bytes) -> str | None:
    """``raw`` as text: UTF-8, printable apart from line breaks and tabs; else None."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    unprintable = sum(not (char.isprintable() or char in "\t\n\r") for char in decoded)
    return decoded if unprintable == 0 else None
