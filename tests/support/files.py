"""Real files made in the tests: the builders live in ``gateway.dev.testing.documents``
(the benchmarks build the same files), re-exported here for the tests."""

from __future__ import annotations

from gateway.dev.testing.documents import (
    KOREAN_FONT,
    docx,
    encrypted_pdf,
    hwp,
    hwpx,
    nested_zip,
    odt,
    pdf,
    pptx,
    rtf,
    text_image,
    xlsx,
    zip_bomb,
    zip_of,
)

__all__ = [
    "KOREAN_FONT",
    "docx",
    "encrypted_pdf",
    "hwp",
    "hwpx",
    "nested_zip",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "text_image",
    "xlsx",
    "zip_bomb",
    "zip_of",
]
