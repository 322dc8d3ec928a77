"""Every format the gateway reads, from real files made here, with where each text was."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.attachments.extract import extract
from gateway.attachments.hwp import paragraph_text
from gateway.attachments.result import AttachmentLimits
from gateway.dev.testing import documents as files

RRN = "900101-1234568"
LIMITS = AttachmentLimits(ocr=False)

#: (name, file, declared media type, [file name,] kind, [(location, text it holds)])
_ROWS: list[tuple[object, ...]] = [
    (
        "pdf",
        lambda: files.pdf(["Patient " + RRN, "kim@example.com"]),
        None,
        "pdf",
        [("page 1", "Patient " + RRN), ("page 2", "kim@example.com")],
    ),
    (
        "docx",
        lambda: files.docx(["주민등록번호 " + RRN, "둘째 문단"]),
        None,
        "docx",
        [("word/document.xml", f"주민등록번호 {RRN}\n둘째 문단")],
    ),
    (
        "pptx",
        lambda: files.pptx(["slide " + RRN, "two"], ["note kim@example.com"]),
        None,
        "pptx",
        [("slide 1", "slide " + RRN), ("slide 2", "two"), ("notes 1", "note kim@example.com")],
    ),
    (
        "xlsx",
        lambda: files.xlsx({"Q1": [["이름", "주민번호"], ["홍길동", RRN]], "Q2": [[None, 7]]}),
        None,
        "xlsx",
        [("sheet 1!A1:B2", f"이름\t주민번호\n홍길동\t{RRN}"), ("sheet 2!B1:B1", "7")],
    ),
    (
        "hwpx",
        lambda: files.hwpx(["한글 문서 " + RRN, "끝"]),
        None,
        "hwpx",
        [("section 1", f"한글 문서 {RRN}\n끝")],
    ),
    ("odt", lambda: files.odt(["odt " + RRN]), None, "odt", [("content.xml", "odt " + RRN)]),
    ("rtf", lambda: files.rtf("한글 RTF " + RRN), None, "rtf", [("text", "한글 RTF " + RRN)]),
    (
        "hwp",
        lambda: files.hwp(["한글 본문 " + RRN, "이름\t홍길동"]),
        None,
        "hwp",
        [("section 1", f"한글 본문 {RRN}\n이름\t홍길동")],
    ),
    (
        "hwp stored",
        lambda: files.hwp(["plain " + RRN], compressed=False),
        None,
        "hwp",
        [("section 1", "plain " + RRN)],
    ),
    (
        "hwp preview only",
        lambda: files.hwp([], preview="미리보기 " + RRN),
        None,
        "hwp",
        [("preview", "미리보기 " + RRN)],
    ),
    (
        "csv in cp949",
        lambda: f"이름,주민번호\n홍길동,{RRN}\n".encode("cp949"),
        "text/csv",
        "list.csv",
        "csv",
        [("text", f"이름,주민번호\n홍길동,{RRN}\n")],
    ),
    (
        "euc-kr log",
        lambda: ("로그인 실패: 사용자 홍길동, 주민번호 " + RRN + "\n").encode("euc-kr") * 3,
        None,
        "app.log",
        "text",
        [("text", ("로그인 실패: 사용자 홍길동, 주민번호 " + RRN + "\n") * 3)],
    ),
    (
        "utf-16 json",
        lambda: ('{"rrn": "' + RRN + '"}').encode("utf-16"),
        "application/json",
        None,
        "json",
        [("text", '{"rrn": "' + RRN + '"}')],
    ),
    (
        "source code",
        lambda: f'KEY = "{RRN}"\n'.encode(),
        None,
        "main.py",
        "code",
        [("text", f'KEY = "{RRN}"\n')],
    ),
    (
        "zip of documents",
        lambda: files.zip_of({"a.docx": files.docx([RRN]), "b.md": b"# hi"}),
        None,
        "zip",
        [("entry 1 (docx) word/document.xml", RRN), ("entry 2 (markdown) text", "# hi")],
    ),
    (
        "a PDF named like text",
        lambda: files.pdf([RRN]),
        "text/plain",
        "notes.txt",
        "pdf",
        [("page 1", RRN)],
    ),
]
FORMATS = [row if len(row) == 6 else (*row[:3], None, *row[3:]) for row in _ROWS]


@pytest.mark.parametrize(
    ("build", "media_type", "filename", "kind", "expected"),
    [case[1:] for case in FORMATS],
    ids=[case[0] for case in FORMATS],
)
def test_text_is_read_from_every_format_with_its_place(
    build: Callable[[], bytes],
    media_type: str | None,
    filename: str | None,
    kind: str,
    expected: list[tuple[str, str]],
) -> None:
    read = extract(build(), media_type, filename, LIMITS)
    assert read.kind == kind
    assert [(where, text.strip()) for where, text in read.texts] == [
        (where, text.strip()) for where, text in expected
    ]
    # only plain text is rewritten in place; every other format is scan-only
    assert read.editable == (kind in ("csv", "text", "json", "code", "markdown"))


def test_a_text_file_keeps_its_charset_so_an_edit_is_written_back_in_it() -> None:
    read = extract("주민번호 목록".encode("cp949"), "text/csv", "a.csv", LIMITS)
    assert read.charset is not None
    assert "주민번호 목록".encode(read.charset) == "주민번호 목록".encode("cp949")


@pytest.mark.parametrize(
    ("units", "text"),
    [
        ([0x41, 13], "A\n"),
        ([0x41, 9, 0, 0, 0, 0, 0, 0, 9, 0x42], "A\tB"),  # an inline tab: eight units
        ([0x41, 11, 1, 2, 3, 4, 5, 6, 11, 0x42], "AB"),  # a table control: skipped whole
        ([0x41, 24, 0x42, 10, 0x43], "AB\nC"),  # a one-unit control
        ([0xD83D, 0xDE00], "😀"),  # a surrogate pair joined again
    ],
)
def test_hwp_paragraph_controls_are_skipped_by_their_width(units: list[int], text: str) -> None:
    payload = b"".join(unit.to_bytes(2, "little") for unit in units)
    assert paragraph_text(payload) == text


def test_a_long_sheet_is_read_in_blocks_labelled_by_their_cells() -> None:
    rows: list[list[object]] = [[f"row {n}", "x" * 90] for n in range(1, 201)]
    read = extract(files.xlsx({"ledger": rows}), None, None, LIMITS)
    labels = [where for where, _ in read.texts]
    assert labels[0].startswith("sheet 1!A1:B") and labels[-1].endswith(":B200")
    assert 2 <= len(labels) <= 4  # ~19,000 characters in blocks of ~8,000
    assert "\n".join(text for _, text in read.texts).count("row ") == 200


@pytest.mark.parametrize(
    ("build", "where"),
    [
        (lambda png: files.docx(["see the picture"], images=[png]), "image 1"),
        (lambda png: files.hwp(["그림 참조"], images=[png]), "image 1"),
        (lambda png: files.zip_of({"shot.png": png}), "entry 1 (png) image"),
        (lambda png: files.scanned_pdf([f"주민등록번호 {RRN}"]), "page 1 image 1"),
    ],
    ids=["docx", "hwp", "zip", "scanned pdf"],
)
def test_images_inside_documents_are_read_by_ocr(
    build: Callable[[bytes], bytes], where: str
) -> None:
    png = files.text_image([f"주민등록번호 {RRN}"], font_size=32)
    read = extract(build(png), None, None, AttachmentLimits())
    (text,) = [text for label, text in read.texts if label == where]
    assert RRN in text
    assert read.images == 1


@pytest.mark.parametrize(("fmt", "kind"), [("JPEG", "jpeg"), ("WEBP", "webp"), ("GIF", "gif")])
def test_screenshots_in_every_image_format_are_read(fmt: str, kind: str) -> None:
    image = files.text_image([f"주민등록번호 {RRN}"], font_size=32, fmt=fmt)
    read = extract(image, None, None, AttachmentLimits())
    assert read.kind == kind and read.images == 1
    assert RRN in read.texts[0][1]
