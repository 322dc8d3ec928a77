"""Attachments: text documents are decoded and scanned, other files left to the reader."""

from __future__ import annotations

import base64

import pytest

from gateway.providers import attachments
from gateway.providers.attachments import attach_data, attach_url, is_text_media_type
from gateway.providers.dialect import Extraction, UninspectableContent

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))).decode()
PDF = base64.b64encode(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n").decode()
CSV = "name,email\nKim,kim@corp.kr\n"


def b64(text: str, charset: str = "utf-8") -> str:
    return base64.b64encode(text.encode(charset)).decode()


def test_a_text_data_url_is_decoded_scanned_and_re_encoded_on_edit() -> None:
    found = Extraction()
    attach_url(found, "file", f"data:text/csv;base64,{b64(CSV)}", ("f",))
    (segment,) = found.segments
    assert (segment.text, segment.form, found.attachments) == (CSV, "base64", ("file",))
    edited = segment.encode(CSV.replace("kim@corp.kr", "<EMAIL_ADDRESS>"))
    assert edited.startswith("data:text/csv;base64,")
    assert base64.b64decode(edited.partition(",")[2]).decode() == (
        "name,email\nKim,<EMAIL_ADDRESS>\n"
    )


@pytest.mark.parametrize(
    ("value", "media_type", "filename"),
    [
        (b64('{"rrn": "900101-1234568"}'), "application/json", None),
        (b64("plain"), "text/plain; charset=utf-8", None),
        (b64("from the name"), None, "notes.md"),
        (b64("sniffed"), "application/octet-stream", None),
        (b64("sniffed"), None, None),
        (f"data:;base64,{b64('no type')}", None, None),
    ],
)
def test_text_documents_are_scanned(
    value: str, media_type: str | None, filename: str | None
) -> None:
    found = Extraction()
    attach_data(found, "file", value, ("d",), media_type, filename)
    assert [s.text for s in found.segments] == [base64.b64decode(value.rpartition(",")[2]).decode()]
    assert found.attachments == ("file",)


@pytest.mark.parametrize(
    ("value", "media_type", "kind"),
    [
        (PNG, "image/png", "image"),
        (PNG, None, "file"),  # sniffed: not text
        (PDF, "application/pdf", "file"),
        (PDF, "application/octet-stream", "file"),
        (b64("RIFF....WAVEfmt "), "audio/wav", "audio"),  # declared binary: trusted
        (f"data:video/mp4;base64,{PNG}", None, "video"),
    ],
)
def test_binary_media_are_recorded_and_documents_left_to_the_reader(
    value: str, media_type: str | None, kind: str
) -> None:
    found = Extraction()
    attach_data(found, "file", value, ("d",), media_type)
    assert found.segments == []
    assert found.attachments == (kind,)
    # images and documents are read by gateway.attachments; audio and video recorded only
    assert [(f.path, f.kind) for f in found.files] == (
        [] if kind in ("audio", "video") else [(("d",), kind)]
    )
    assert found.skipped == {("d",)}  # their base64 is no text for the sweep


def test_text_in_an_undeclared_charset_is_left_to_the_reader() -> None:
    found = Extraction()
    cp949 = base64.b64encode("이름,주민번호".encode("cp949")).decode()
    attach_data(found, "file", cp949, ("d",), "text/csv", "list.csv")
    assert found.segments == []
    (file,) = found.files
    assert (file.media_type, file.filename, attachments.decode_file(file)) == (
        "text/csv",
        "list.csv",
        "이름,주민번호".encode("cp949"),
    )


def test_a_declared_charset_is_honoured_both_ways() -> None:
    found = Extraction()
    text = "주민번호 900101-1234568"
    attach_data(found, "file", b64(text, "euc-kr"), ("d",), "text/plain; charset=EUC-KR")
    (segment,) = found.segments
    assert segment.text == text
    assert base64.b64decode(segment.encode("<KR_RRN>")).decode("euc-kr") == "<KR_RRN>"


def test_url_safe_base64_stays_url_safe() -> None:
    raw = "a>>>b???"  # encodes with '+' and '/' in the standard alphabet
    found = Extraction()
    attach_data(
        found, "file", base64.urlsafe_b64encode(raw.encode()).decode(), ("d",), "text/plain"
    )
    (segment,) = found.segments
    assert (segment.text, segment.form) == (raw, "base64url")


def test_remote_urls_are_text_and_percent_encoded_data_urls_too() -> None:
    found = Extraction()
    attach_url(found, "image", "https://cdn.example/u/kim@corp.kr.png", ("u",))
    attach_url(found, "file", "data:text/plain,call%20kim%40corp.kr", ("v",))
    assert [(s.location, s.form) for s in found.segments] == [("u", "text"), ("v", "text")]
    assert found.attachments == ("image", "file")


@pytest.mark.parametrize(
    ("value", "media_type", "message"),
    [
        ("not base64!!", "text/plain", "not valid base64"),
        (b64("x"), "text/plain; charset=klingon", "declared charset"),
        (base64.b64encode(b"\xff\xfe\xfa").decode(), "text/plain; charset=utf-8", "declared"),
        ("data:text/plain;base64", None, "malformed data URL"),
    ],
)
def test_unreadable_text_documents_are_refused(value: str, media_type: str, message: str) -> None:
    with pytest.raises(UninspectableContent, match=message):
        attach_data(Extraction(), "file", value, ("d",), media_type)


def test_decoding_is_bounded_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_DECODED_TEXT_BYTES", 64)
    found = Extraction()
    attach_data(found, "file", b64("a" * 40), ("a",), "text/plain")
    with pytest.raises(UninspectableContent, match="cannot be inspected"):
        attach_data(found, "file", b64("b" * 40), ("b",), "text/plain")


def test_a_non_string_attachment_is_refused() -> None:
    with pytest.raises(UninspectableContent, match=r"^d is not a string$"):
        attach_url(Extraction(), "image", {"url": "x"}, ("d",))


@pytest.mark.parametrize(
    ("media_type", "text"),
    [
        ("text/plain", True),
        ("text/csv", True),
        ("application/json", True),
        ("application/vnd.api+json", True),
        ("image/svg+xml", True),  # SVG is XML text, and text in it reaches the model
        ("application/pdf", False),
        ("image/png", False),
        ("application/octet-stream", False),
    ],
)
def test_text_media_types(media_type: str, text: bool) -> None:
    assert is_text_media_type(media_type) is text
