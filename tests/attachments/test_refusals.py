"""Files the gateway cannot read are refused with a reason, never passed on half-read."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pytest

from gateway.attachments.extract import extract
from gateway.attachments.result import AttachmentLimits, UninspectableAttachment
from gateway.dev.testing import documents as files


def _huge_png() -> bytes:
    """A valid PNG header declaring 100,000 × 100,000 pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def _gzip() -> bytes:
    import gzip

    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as archive:
        archive.write(b"900101-1234568")
    return out.getvalue()


CASES: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("encrypted pdf", lambda: files.encrypted_pdf("900101-1234568"), "encrypted", "pdf"),
    ("zip bomb", files.zip_bomb, "bomb", "zip"),
    ("archive in an archive", lambda: files.nested_zip(b"x"), "too_deep", "zip"),
    ("password hwp", lambda: files.hwp(["x"], password=True), "encrypted", "hwp"),
    ("distribution hwp", lambda: files.hwp(["x"], distribution=True), "encrypted", "hwp"),
    ("pixel bomb", _huge_png, "bomb", "png"),
    ("gzip", _gzip, "unsupported", "gzip"),
    ("damaged pdf", lambda: files.pdf(["x"])[:60], "unreadable", "pdf"),
    ("damaged docx", lambda: files.docx(["x"])[:-30], "unreadable", "zip"),
    ("binary noise", lambda: bytes(range(256)) * 8, "unreadable", "text"),
    ("too many pages", lambda: files.pdf(["p"] * 4), "too_large", "pdf"),
    ("image without OCR", lambda: files.text_image(["hello"]), "ocr_unavailable", "png"),
]


@pytest.mark.parametrize(
    ("build", "reason", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_unreadable_files_are_refused_with_a_reason(
    build: Callable[[], bytes], reason: str, kind: str
) -> None:
    limits = AttachmentLimits(max_pages=3, ocr=False)
    with pytest.raises(UninspectableAttachment) as refused:
        extract(build(), None, None, limits)
    assert (refused.value.reason, refused.value.kind) == (reason, kind)


def test_text_over_the_character_budget_is_refused_not_cut() -> None:
    with pytest.raises(UninspectableAttachment, match="too_large"):
        extract(b"a" * 2_000, "text/plain", None, AttachmentLimits(max_chars=1_000))


def test_a_file_over_the_byte_limit_is_not_opened() -> None:
    with pytest.raises(UninspectableAttachment, match="too_large"):
        extract(files.pdf(["x"]), None, None, AttachmentLimits(max_file_bytes=100))


def test_an_archive_with_too_many_entries_is_refused() -> None:
    archive = files.zip_of({f"{n}.txt": b"x" for n in range(20)})
    with pytest.raises(UninspectableAttachment, match="too_large"):
        extract(archive, None, None, AttachmentLimits(max_zip_entries=10))


def test_the_message_names_the_file_and_why_in_korean_and_english() -> None:
    refused = UninspectableAttachment("encrypted", "급여명세서.pdf", "pdf")
    assert refused.message("en") == (
        "the attached file '급여명세서.pdf' cannot be inspected: it is encrypted or "
        "password-protected"
    )
    assert refused.message("ko") == (
        "첨부 파일 '급여명세서.pdf'은(는) 암호화되어 있거나 암호가 걸려 있어 검사할 수 없습니다"
    )
