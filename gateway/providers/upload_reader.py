"""The one door every uploaded file's bytes pass through: ``read_upload``.

Files sent to a provider's Files, Uploads or Batch APIs are content like any
prompt, so their text is extracted here and scanned by the same engine. Today this
reads text files in any charset (a byte-order mark, the declared charset, strict
UTF-8, CP949 when it reads as Korean, else charset-normalizer's best guess) and treats every other
format as uninspectable: a file the gateway cannot read is a file it cannot guard,
so it is refused (``uninspectable_attachment``). The attachment extraction library
(PDF, Office, HWP, OCR) takes this seam over unchanged: same arguments, same
``ReadUpload`` and the same exception.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.providers.upload_errors import UploadProblem

__all__ = [
    "ReadUpload",
    "UninspectableAttachment",
    "read_upload",
    "read_upload_sync",
    "use_document_reader",
    "written_back",
]

#: reads what is not text (PDF, Office, HWP, images by OCR): the attachment reader,
#: set at start-up (``gateway/inline_files.py: upload_document_reader``); without
#: one, such files are uninspectable
DocumentReader = Callable[[bytes, str | None, str | None], Awaitable["ReadUpload"]]
_documents: DocumentReader | None = None


def use_document_reader(reader: DocumentReader | None) -> None:
    """Hand files that are not text to ``reader`` (None: refuse them as uninspectable)."""
    global _documents
    _documents = reader


#: above this many bytes a file is read on a worker thread (charset detection is CPU)
_OFFLOAD_BYTES = 64 * 1024

#: leading bytes of formats that are not text, with the kind recorded for them
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),  # also DOCX, XLSX, PPTX, HWPX, ODF
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # DOC, XLS, PPT, HWP 5
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF87a", "image"),
    (b"GIF89a", "image"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!\x1a\x07", "archive"),
    (b"{\\rtf", "rtf"),
)
#: byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Hangul syllables and compatibility jamo; how much text decides a charset
_HANGUL = re.compile("[\uac00-\ud7a3\u3131-\u318e]")
_SAMPLE_CHARS = 64 * 1024

#: control characters text files do not hold (tab, newlines, form feed, ESC allowed)
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ReadUpload:
    """What was read from one file.

    ``kind`` is recorded (a media type, or the format's family such as ``pdf``);
    ``texts`` are ``(location, text)`` pairs scanned like prompt segments (location
    ``""`` for the whole file); ``editable`` says whether an edit can be written
    back (``written_back``), which for a text file means re-encoding it in its
    ``charset``.
    """

    kind: str
    texts: tuple[tuple[str, str], ...]
    editable: bool
    charset: str | None = None


class UninspectableAttachment(UploadProblem):
    """A file the gateway cannot read; ``code`` is the stable reason recorded.

    Carries its message in English and Korean (``message``); neither quotes the file.
    """

    code = "uninspectable_attachment"

    def __init__(self, english: str, korean: str, kind: str = "binary") -> None:
        super().__init__(english, korean)
        #: what the record names: the format's family, the file's size and purpose
        self.upload: dict[str, object] = {"kind": kind}


async def read_upload(
    data: bytes, *, media_type: str | None, filename: str | None, charset: str | None = None
) -> ReadUpload:
    """Read one uploaded file; raises ``UninspectableAttachment`` for what cannot be read.

    ``media_type`` and ``filename`` are what the caller declared; the bytes decide
    (a PDF called ``notes.txt`` is still a PDF). Large files are read off the loop.
    Text is read here, in its own charset, so an edit can be written back; documents
    and images go to the attachment reader, scan-only.
    """
    try:
        if len(data) > _OFFLOAD_BYTES:
            return await asyncio.to_thread(read_upload_sync, data, media_type, filename, charset)
        return read_upload_sync(data, media_type, filename, charset)
    except UninspectableAttachment:
        if _documents is None:
            raise
    return await _documents(data, media_type, filename)


def read_upload_sync(
    data: bytes, media_type: str | None, filename: str | None, charset: str | None = None
) -> ReadUpload:
    """``read_upload`` on the calling thread."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise _uninspectable(filename, kind)
    if (len(data) > 11 and data[4:8] == b"ftyp") or data[:4] == b"RIFF":
        raise _uninspectable(filename, "media")  # MP4, MOV, HEIC, WAV, WebP, AVI
    declared = (media_type or "").lower()
    decoded = _decode(data, charset)
    if decoded is None:
        raise _uninspectable(filename, "binary")
    text, used = decoded
    if _CONTROL.search(text):
        raise _uninspectable(filename, "binary")
    kind = declared if declared and not declared.startswith("application/octet") else "text"
    editable = text.encode(used) == data
    return ReadUpload(kind, ((("", text),) if text else ()), editable, used)


def written_back(read: ReadUpload, texts: tuple[str, ...]) -> bytes:
    """The file's bytes with its texts replaced by ``texts`` (same order as ``read.texts``).

    Only for ``editable`` reads: a text file is its one text, re-encoded in its charset.
    """
    if not read.editable or read.charset is None or len(texts) > 1:
        raise ValueError("this file cannot be edited in place")
    return (texts[0] if texts else "").encode(read.charset)


def _decode(data: bytes, declared: str | None) -> tuple[str, str] | None:
    """(text, charset) by BOM, declared charset, UTF-8, Korean CP949, then detection."""
    for bom, charset in _BOMS:
        if data.startswith(bom):
            return _strict(data, charset)
    if b"\x00" in data:
        return None
    if declared:
        decoded = _strict(data, declared)
        if decoded is not None:
            return decoded
    decoded = _strict(data, "utf-8")
    if decoded is not None:
        return decoded
    decoded = _strict(data, "cp949")
    if decoded is not None and _mostly_hangul(decoded[0]):
        return decoded
    import charset_normalizer  # only for files that are not UTF-8

    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding is None:
        return None
    return _strict(data, best.encoding)


def _mostly_hangul(text: str) -> bool:
    """Whether most non-ASCII characters are Hangul: CP949 read right, not bytes of
    another charset that happen to decode (detection guesses wrong on short Korean
    texts, and Korean files that are not UTF-8 are CP949 or its subset EUC-KR).
    The first ``_SAMPLE_CHARS`` decide, counted in C."""
    sample = text[:_SAMPLE_CHARS]
    foreign = len(sample) - len(sample.encode("ascii", "ignore"))
    hangul = _HANGUL.subn("", sample)[1]
    return foreign > 0 and hangul >= 0.8 * foreign


def _strict(data: bytes, charset: str) -> tuple[str, str] | None:
    try:
        name = codecs.lookup(charset).name
        return data.decode(name), name
    except (LookupError, UnicodeDecodeError):
        return None


def _uninspectable(filename: str | None, kind: str) -> UninspectableAttachment:
    """A refusal naming the file, in English and Korean."""
    shown = _shown_name(filename)
    return UninspectableAttachment(
        f"the uploaded file {shown} ({kind}) cannot be read by the gateway, so it cannot be "
        "inspected and was not forwarded (uninspectable_attachment); upload its text instead",
        f"업로드한 파일 {shown}({kind})을(를) 게이트웨이가 읽을 수 없어 검사할 수 없으므로 "
        "전달하지 않았습니다(uninspectable_attachment). 텍스트로 변환해 올리세요",
        kind,
    )


def _shown_name(filename: str | None) -> str:
    """The file's name as the caller sent it, short and printable (refusals go to the
    caller only: ``errors.py``)."""
    if not filename or not filename.isprintable():
        return "'(unnamed)'"
    return f"'{filename[:80]}'"
