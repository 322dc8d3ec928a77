"""Bytes in, located text out: the whole read of one file, run inside a worker.

The bytes decide the format (``sniff.py``); the declared media type and file
name only name a text format (CSV or JSON) or break a tie. Archives are opened
one level deep: an archive inside an archive is refused (``too_deep``), as is
anything over the limits. Nothing here touches the network or the event loop.
"""

from __future__ import annotations

import io

from gateway.attachments.containers import container_kind, read_container
from gateway.attachments.embedded import ImageText
from gateway.attachments.ocr import ocr_image
from gateway.attachments.result import AttachmentLimits, ReadAttachment, UninspectableAttachment
from gateway.attachments.sniff import IMAGE_KINDS, sniff, text_kind
from gateway.attachments.text import decode_text, read_rtf
from gateway.attachments.zipsafe import SafeZip

__all__ = ["extract"]

#: formats recognised by their bytes that the gateway does not read
_UNSUPPORTED = frozenset({"gzip", "7z", "rar", "mp3", "ogg", "flac", "audio", "video"})


def extract(
    data: bytes,
    media_type: str | None,
    filename: str | None,
    limits: AttachmentLimits,
    depth: int = 0,
) -> ReadAttachment:
    """Read one file within ``limits``; raises ``UninspectableAttachment`` otherwise."""
    if len(data) > limits.max_file_bytes:
        raise UninspectableAttachment("too_large", kind=sniff(data) or "file")
    kind = sniff(data)
    try:
        return _read(data, kind, media_type, filename, limits, depth)
    except UninspectableAttachment as exc:
        if not exc.kind:
            exc.kind = kind or "file"
        raise
    except MemoryError:
        raise UninspectableAttachment("too_large", kind=kind or "file") from None
    except RecursionError:
        raise UninspectableAttachment("too_deep", kind=kind or "file") from None


def _read(
    data: bytes,
    kind: str | None,
    media_type: str | None,
    filename: str | None,
    limits: AttachmentLimits,
    depth: int,
) -> ReadAttachment:
    size = len(data)
    image_text = _image_reader(limits)
    if kind in IMAGE_KINDS:
        text = ocr_image(data, kind, limits)
        return ReadAttachment(kind, (("image", text),) if text else (), False, size, images=1)
    if kind == "pdf":
        from gateway.attachments.pdf import read_pdf

        texts, images = read_pdf(data, limits, image_text)
        return _bounded(ReadAttachment("pdf", tuple(texts), False, size, images=images), limits)
    if kind == "zip":
        archive = SafeZip(data, limits)
        kind = container_kind(archive)
        if kind == "zip":
            return _archive(archive, size, limits, depth)
        texts, images = read_container(data, archive, kind, limits, image_text)
        return _bounded(ReadAttachment(kind, tuple(texts), False, size, images=images), limits)
    if kind == "ole":
        return _ole(data, limits, image_text)
    if kind == "rtf":
        text = read_rtf(data)
        return _bounded(ReadAttachment("rtf", (("text", text),), False, size), limits)
    if kind is not None:
        raise UninspectableAttachment("unsupported", kind=kind)
    declared = _charset(media_type)
    named = text_kind(media_type, filename)
    text, charset = decode_text(data, declared, named)
    read = ReadAttachment(named, (("text", text),) if text else (), True, size, charset)
    return _bounded(read, limits)


def _bounded(read: ReadAttachment, limits: AttachmentLimits) -> ReadAttachment:
    if read.chars > limits.max_chars:
        raise UninspectableAttachment("too_large", kind=read.kind)
    return read


def _image_reader(limits: AttachmentLimits) -> ImageText:
    """Reads an embedded file by OCR when it is an image; None when it is not one."""

    def read(data: bytes) -> str | None:
        kind = sniff(data)
        if kind not in IMAGE_KINDS:
            return None
        return ocr_image(data, kind, limits)

    return read


def _archive(archive: SafeZip, size: int, limits: AttachmentLimits, depth: int) -> ReadAttachment:
    """Each file of a ZIP archive, read like an attachment of its own (one level only).

    Entries are labelled by number, not name: a file name is the sender's text.
    """
    if depth >= 1:
        raise UninspectableAttachment("too_deep", kind="zip")
    texts: list[tuple[str, str]] = []
    images = 0
    for number, name in enumerate(archive.names(), 1):
        if name.endswith("/"):
            continue
        inner = extract(archive.read(name), None, name, limits, depth + 1)
        images += inner.images
        texts += [(f"entry {number} ({inner.kind}) {where}", text) for where, text in inner.texts]
    return _bounded(ReadAttachment("zip", tuple(texts), False, size, images=images), limits)


def _ole(data: bytes, limits: AttachmentLimits, image_text: ImageText) -> ReadAttachment:
    """An OLE compound file: HWP 5 is read; encrypted Office files and old formats are not."""
    import olefile

    from gateway.attachments.hwp import is_hwp, read_hwp

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError, IndexError, TypeError):
        raise UninspectableAttachment("unreadable", kind="ole") from None
    try:
        if is_hwp(ole):
            texts, images = read_hwp(ole, limits, image_text)
            read = ReadAttachment("hwp", tuple(texts), False, len(data), images=images)
            return _bounded(read, limits)
        if ole.exists("EncryptedPackage"):  # a password-protected DOCX/XLSX/PPTX
            raise UninspectableAttachment("encrypted", kind="ole")
        kind = "doc" if ole.exists("WordDocument") else "xls" if ole.exists("Workbook") else "ole"
        raise UninspectableAttachment("unsupported", kind=kind)
    except (OSError, ValueError, IndexError, TypeError, KeyError):
        raise UninspectableAttachment("unreadable", kind="hwp") from None
    finally:
        ole.close()


def _charset(media_type: str | None) -> str | None:
    if not media_type:
        return None
    for param in media_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None
