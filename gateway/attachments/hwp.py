"""HWP 5.x (Hangul Word Processor), the format of Korean public and financial offices.

An HWP 5 file is an OLE compound file. ``FileHeader`` says whether the streams
are compressed and whether the document is password-protected or a
"distribution" document (its body encrypted, shown read-only): both are refused.
Each ``BodyText/SectionN`` stream is a run of records (raw-deflated when
compressed); a record's 32-bit header holds its tag (10 bits), level (10 bits)
and size (12 bits, 0xFFF meaning a 32-bit size follows). ``HWPTAG_PARA_TEXT``
(0x43) holds a paragraph's text in UTF-16LE, in which the characters below 32
are controls: 0, 10, 13 and 24–31 take one code unit, all others eight (an
inline or extended control, e.g. a table or a field), and are skipped.
``PrvText`` (a UTF-16LE preview) is read when no section is, and ``BinData``
streams that are images are read by OCR.
"""

from __future__ import annotations

import struct
import zlib

from gateway.attachments.embedded import EmbeddedImages, ImageText
from gateway.attachments.result import AttachmentLimits, UninspectableAttachment

__all__ = ["HWP_SIGNATURE", "PARA_TEXT", "is_hwp", "paragraph_text", "read_hwp", "records"]

HWP_SIGNATURE = b"HWP Document File"
PARA_TEXT = 0x43
_COMPRESSED, _PASSWORD, _DISTRIBUTION = 0x1, 0x2, 0x4
#: control characters that are one code unit; every other one below 32 is eight
_SHORT_CONTROLS = frozenset({0, 10, 13, *range(24, 32)})


def is_hwp(ole: object) -> bool:
    """Whether an opened OLE file is an HWP document."""
    exists = getattr(ole, "exists", None)
    return bool(exists and exists("FileHeader"))


def records(stream: bytes) -> list[tuple[int, bytes]]:
    """``(tag, payload)`` of each record of a (decompressed) HWP stream."""
    out: list[tuple[int, bytes]] = []
    offset = 0
    end = len(stream)
    while offset + 4 <= end:
        (header,) = struct.unpack_from("<I", stream, offset)
        offset += 4
        tag, size = header & 0x3FF, header >> 20
        if size == 0xFFF:
            if offset + 4 > end:
                break
            (size,) = struct.unpack_from("<I", stream, offset)
            offset += 4
        out.append((tag, stream[offset : offset + size]))
        offset += size
    return out


def paragraph_text(payload: bytes) -> str:
    """The readable text of a ``PARA_TEXT`` record: controls skipped, breaks kept."""
    units = struct.unpack_from(f"<{len(payload) // 2}H", payload)
    out: list[str] = []
    index = 0
    count = len(units)
    while index < count:
        unit = units[index]
        if unit >= 32:
            out.append(chr(unit))
            index += 1
        elif unit in _SHORT_CONTROLS:
            if unit in (10, 13):
                out.append("\n")
            index += 1
        else:
            if unit == 9:
                out.append("\t")
            index += 8
    # surrogate pairs arrive as two code units: join them back
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _inflate(raw: bytes, budget: int) -> bytes:
    """Raw deflate, stopped (as a bomb) past ``budget`` bytes."""
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(raw, budget + 1)
    except zlib.error:
        raise UninspectableAttachment("unreadable", kind="hwp") from None
    if len(out) > budget:
        raise UninspectableAttachment("bomb", kind="hwp")
    return out


def read_hwp(
    ole: object, limits: AttachmentLimits, image_text: ImageText
) -> tuple[list[tuple[str, str]], int]:
    """The sections' text (``section 1``, ...), images read by OCR, and their count."""
    import olefile

    assert isinstance(ole, olefile.OleFileIO)
    try:
        header = ole.openstream("FileHeader").read(256)
    except OSError:
        raise UninspectableAttachment("unreadable", kind="hwp") from None
    if not header.startswith(HWP_SIGNATURE) or len(header) < 40:
        raise UninspectableAttachment("unsupported", kind="hwp")
    (flags,) = struct.unpack_from("<I", header, 36)
    if flags & (_PASSWORD | _DISTRIBUTION):
        raise UninspectableAttachment("encrypted", kind="hwp")
    compressed = bool(flags & _COMPRESSED)
    budget = limits.max_unpacked_bytes

    def stream(path: list[str], stored_ok: bool = False) -> bytes:
        nonlocal budget
        raw = ole.openstream(path).read()
        try:
            data = _inflate(raw, budget) if compressed else raw
        except UninspectableAttachment as exc:
            if not stored_ok or exc.reason != "unreadable":
                raise
            data = raw  # an embedded file may be stored uncompressed in a compressed file
        budget -= len(data)
        return data

    sections = sorted(
        (entry for entry in ole.listdir() if len(entry) == 2 and entry[0] == "BodyText"),
        key=lambda entry: int("".join(filter(str.isdigit, entry[1])) or 0),
    )
    texts: list[tuple[str, str]] = []
    chars = 0
    for number, entry in enumerate(sections, 1):
        lines = [paragraph_text(p) for tag, p in records(stream(entry)) if tag == PARA_TEXT]
        text = "\n".join(line.rstrip("\n") for line in lines).strip()
        chars += len(text)
        if chars > limits.max_chars:
            raise UninspectableAttachment("too_large", kind="hwp")
        if text:
            texts.append((f"section {number}", text))
    if not texts and ole.exists("PrvText"):
        preview = ole.openstream("PrvText").read().decode("utf-16-le", "replace")
        preview = preview.replace("\x00", "").strip()
        if preview:
            texts.append(("preview", preview))
    pictures = EmbeddedImages(image_text, limits.max_images)
    embedded = [entry for entry in ole.listdir() if len(entry) == 2 and entry[0] == "BinData"]
    pictures.read((stream(entry, stored_ok=True) for entry in embedded), texts)
    return texts, pictures.count
