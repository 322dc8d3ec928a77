"""The seam every uploaded file passes: text in any charset is read, the rest refused."""

from __future__ import annotations

import asyncio

import pytest

from gateway.providers.upload_reader import (
    UninspectableAttachment,
    read_upload,
    read_upload_sync,
    written_back,
)

TEXT = "고객 김민수, 전화 010-1234-5678\nname,amount\n"


@pytest.mark.parametrize(
    ("charset", "declared", "expected"),
    [
        ("utf-8", None, "utf-8"),
        ("utf-8-sig", None, "utf-8-sig"),
        ("utf-16", None, "utf-16"),
        ("cp949", None, "cp949"),
        ("euc-kr", "euc-kr", "euc_kr"),
        ("cp949", "cp949", "cp949"),
    ],
)
def test_text_in_any_charset_is_read_and_written_back(
    charset: str, declared: str | None, expected: str
) -> None:
    data = TEXT.encode(charset)
    read = read_upload_sync(data, "text/csv", "a.csv", declared)
    assert read.texts == (("", TEXT),)
    assert read.editable and read.kind == "text/csv"
    assert read.charset is not None and read.charset.replace("-", "_") == expected.replace("-", "_")
    assert written_back(read, (TEXT,)) == data
    edited = written_back(read, (TEXT.replace("김민수", "<PERSON>"),))
    assert edited.decode(read.charset) == TEXT.replace("김민수", "<PERSON>")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (b"PK\x03\x04\x14\x00\x06\x00", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "ole"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "media"),
        (b"\x00\x00\x00\x18ftypmp42", "media"),
        (bytes(range(256)) * 4, "binary"),
        (b"text with a \x00 byte", "binary"),
    ],
    ids=["pdf", "docx", "hwp", "png", "jpeg", "webp", "mp4", "noise", "nul"],
)
def test_other_formats_are_uninspectable_whatever_they_are_called(data: bytes, kind: str) -> None:
    with pytest.raises(UninspectableAttachment) as refused:
        read_upload_sync(data, "text/plain", "notes.txt")
    assert refused.value.code == "uninspectable_attachment"
    assert kind in refused.value.english and "notes.txt" in refused.value.korean


def test_a_declared_binary_type_holding_text_is_read_as_text() -> None:
    read = read_upload_sync(b"plain words", "application/octet-stream", None)
    assert read.texts == (("", "plain words"),) and read.kind == "text"


def test_empty_file_has_no_text() -> None:
    assert read_upload_sync(b"", None, None).texts == ()


def test_large_files_are_read_off_the_event_loop() -> None:
    data = ("가나다라 " * 40_000).encode("cp949")
    read = asyncio.run(read_upload(data, media_type=None, filename=None))
    assert read.charset == "cp949" and len(read.texts[0][1]) == 200_000


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        ("日本語のテキストです。来週の会議の資料を送ります。\n" * 3, "shift_jis"),
        ("메일 주소", "cp949"),  # short: detection alone guesses another charset
    ],
    ids=["shift-jis", "short-korean"],
)
def test_other_charsets_are_not_mistaken_for_korean(text: str, charset: str) -> None:
    read = read_upload_sync(text.encode(charset), None, None)
    assert read.texts == (("", text),)


def test_a_single_byte_charset_keeps_every_ascii_character() -> None:
    # detection may pick a sibling of latin-1; the digits and letters values are made of
    # read the same in all of them, and it is never read as Korean
    text = "Le café, déjà vu: compte 900101-1234568, à Paris.\n" * 3
    read = read_upload_sync(text.encode("latin-1"), None, None)
    assert read.charset != "cp949"
    scanned = read.texts[0][1]
    assert [c for c in scanned if c.isascii()] == [c for c in text if c.isascii()]
