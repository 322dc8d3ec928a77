"""The bounded multipart parser: what it reads, what it refuses, what it writes back."""

from __future__ import annotations

import pytest

from gateway.providers.multipart import (
    MAX_HEADERS,
    MAX_PARTS,
    MalformedMultipart,
    boundary_of,
    parse_multipart,
)

FORM = (
    b"--XX\r\n"
    b'Content-Disposition: form-data; name="purpose"\r\n\r\n'
    b"batch\r\n"
    b"--XX\r\n"
    b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n'
    b"Content-Type: text/plain; charset=euc-kr\r\n\r\n"
    b"line one\r\n--X not a boundary\r\nline two\r\n"
    b"--XX--\r\n"
)


def test_parts_names_types_and_bytes() -> None:
    body = parse_multipart(FORM, b"XX")
    purpose, file = body.parts
    assert (purpose.name, purpose.data) == ("purpose", b"batch")
    assert (file.name, file.filename, file.media_type, file.charset) == (
        "file",
        "a.txt",
        "text/plain",
        "euc-kr",
    )
    assert file.data == b"line one\r\n--X not a boundary\r\nline two"


def test_render_is_the_body_as_parsed_with_replaced_parts() -> None:
    body = parse_multipart(FORM, b"XX")
    assert body.render() == FORM
    assert body.render({1: b"new"}).count(b"new") == 1
    assert parse_multipart(body.render({1: b"new"}), b"XX").parts[1].data == b"new"


def test_an_epilogue_is_not_written_back_and_a_preamble_is_refused() -> None:
    body = parse_multipart(FORM + b"epilogue --XX\r\nsmuggled", b"XX")
    assert body.render() == FORM
    with pytest.raises(MalformedMultipart):
        parse_multipart(b"preamble\r\n" + FORM, b"XX")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (FORM[:-8], "ends before"),
        (b"garbage without a boundary", "malformed"),
        (b"--XX\r\n" + b"X-A: b\r\n" * (MAX_HEADERS + 1) + b"\r\nz\r\n--XX--\r\n", "headers"),
        (b"--XX\r\nX-A: " + b"b" * 5000 + b"\r\n\r\nz\r\n--XX--\r\n", "headers"),
        (b"--XX\r\n\r\nz\r\n" * (MAX_PARTS + 1) + b"--XX--\r\n", f"more than {MAX_PARTS}"),
        (
            b"--XX\r\nContent-Transfer-Encoding: base64\r\n\r\nOTAwMTAx\r\n--XX--\r\n",
            "Content-Transfer-Encoding",
        ),
    ],
    ids=[
        "cut-off",
        "no-boundary",
        "too-many-headers",
        "header-too-long",
        "too-many-parts",
        "transfer-encoded",
    ],
)
def test_malformed_bodies_are_refused(body: bytes, why: str) -> None:
    with pytest.raises(MalformedMultipart) as refused:
        parse_multipart(body, b"XX")
    assert why in refused.value.english
    assert refused.value.korean  # every refusal has its Korean message


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        b"application/json",
        b"multipart/form-data",
        b"multipart/form-data; boundary=" + b"x" * 71,
    ],
)
def test_content_types_without_a_usable_boundary_are_refused(content_type: bytes | None) -> None:
    with pytest.raises(MalformedMultipart):
        boundary_of(content_type, (b"form-data",))


def test_boundary_of_a_related_body() -> None:
    assert boundary_of(b'multipart/related; boundary="b 1"', (b"related",)) == b"b 1"


def test_a_parse_error_is_not_logged_with_the_bodys_bytes(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(MalformedMultipart):
        parse_multipart(b"S3CRET-BYTES", b"XX")
    assert not caplog.records
