"""Plain text in whatever charset it came in, and RTF.

A CSV exported by Korean Excel is CP949; a log may be EUC-KR, UTF-16 or
UTF-8 with a byte-order mark. charset-normalizer picks the charset whose
decoding reads most like language; bytes that read as no text are refused.
"""

from __future__ import annotations

import codecs
import re

from gateway.attachments.result import UninspectableAttachment

__all__ = ["decode_text", "read_rtf"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")


def decode_text(data: bytes, declared: str | None = None, kind: str = "text") -> tuple[str, str]:
    """``(text, charset)``: the declared charset if it decodes, else the detected one."""
    for bom, charset in _BOMS:
        if data.startswith(bom):
            return data.decode(charset, "strict"), charset
    candidates = [declared] if declared else []
    candidates.append("utf-8")
    for charset in candidates:
        try:
            codecs.lookup(charset)
            text = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        if not _CONTROL.search(text):
            return text, charset
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise UninspectableAttachment("unreadable", kind=kind)
    text = str(best)
    if _CONTROL.search(text[:4096]):
        raise UninspectableAttachment("unsupported", kind=kind)
    return text, best.encoding


def read_rtf(data: bytes) -> str:
    """The text of an RTF document, in the code page it declares (``\\ansicpg949``)."""
    from striprtf.striprtf import rtf_to_text

    found = _CODEPAGE.search(data[:4096])
    encoding = f"cp{found.group(1).decode()}" if found else "cp1252"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        text: str = rtf_to_text(  # type: ignore[no-untyped-call]
            data.decode("latin-1"), encoding=encoding, errors="replace"
        )
    except (ValueError, IndexError, RecursionError):
        raise UninspectableAttachment("unreadable", kind="rtf") from None
    return text.strip()
