"""Upload formats: what each reads, and that an edit is written back or refused, never dropped."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from gateway.providers.dialect import Extraction
from gateway.providers.endpoints import batch_line_dialect
from gateway.providers.gemini_files import GeminiUpload, through_gateway
from gateway.providers.upload_errors import UneditableUpload, UploadProblem
from gateway.providers.uploads import (
    OFFLOAD_BYTES,
    MultipartFiles,
    UploadDocument,
    upload_headers,
)


def _form(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += b"--F\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + data + b"\r\n"
    return out + b"--F--\r\n"


_FORM_TYPE = {b"content-type": b"multipart/form-data; boundary=F"}


def _read(form: MultipartFiles, body: bytes) -> UploadDocument:
    return asyncio.run(form.read(body, _FORM_TYPE, ""))


def test_a_form_file_is_read_and_rewritten_in_place() -> None:
    body = _form(("purpose", None, b"assistants"), ("file", "a.txt", "메일 a@b.kr".encode("cp949")))
    document = _read(MultipartFiles("files"), body)
    texts = {(s.location, s.form): s.text for s in document.found.segments}
    assert texts == {
        ("purpose", "fixed"): "assistants",
        ("file", "text"): "메일 a@b.kr",
        ("purpose.headers[0]", "fixed"): 'Content-Disposition: form-data; name="purpose"',
        (
            "file.headers[0]",
            "fixed",
        ): 'Content-Disposition: form-data; name="file"; filename="a.txt"',
    }
    assert document.render({}) == body
    edited = document.render({("file",): "메일 <EMAIL_ADDRESS>"})
    assert "메일 <EMAIL_ADDRESS>".encode("cp949") in edited
    assert [f.record() for f in document.files] == [
        {"kind": "text/plain", "bytes": len("메일 a@b.kr".encode("cp949")), "purpose": "assistants"}
    ]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (_form(("purpose", None, b"x")), "no 'file' field"),
        (_form(("file", "a", b"x"), ("file", "b", b"y")), "given twice"),
        (_form(("file", "a", b"x"), ("note", None, b"\xff\xfe\x00")), "not UTF-8"),
    ],
    ids=["no-file", "file-twice", "binary-field"],
)
def test_forms_the_gateway_cannot_judge_are_refused(body: bytes, why: str) -> None:
    with pytest.raises(UploadProblem) as refused:
        _read(MultipartFiles("files"), body)
    assert why in refused.value.english


def test_a_large_batch_file_is_read_whole() -> None:
    line = orjson.dumps(
        {
            "custom_id": "r",
            "method": "POST",
            "url": "/v1/embeddings",
            "body": {"model": "text-embedding-3-small", "input": "words " * 100},
        }
    )
    data = (line + b"\n") * 600  # over the size read on a worker thread
    body = _form(("purpose", None, b"batch"), ("file", "b.jsonl", data))
    document = _read(MultipartFiles("files", batch_dialect=batch_line_dialect), body)
    assert len(data) > OFFLOAD_BYTES
    assert document.files[0].record()["lines"] == 600
    assert sum(s.form == "text" for s in document.found.segments) == 600
    assert document.render({}) == body


def test_an_edit_nothing_can_take_refuses_rather_than_being_dropped() -> None:
    document = _read(MultipartFiles("files"), _form(("file", "a.txt", b"plain")))
    with pytest.raises(UneditableUpload):
        document.render({("elsewhere",): "<EMAIL_ADDRESS>"})


def test_a_piece_of_a_file_is_never_edited() -> None:
    document = _read(MultipartFiles("files", "data", piece=True), _form(("data", None, b"a@b.kr")))
    assert document.piece == b"a@b.kr"
    with pytest.raises(UneditableUpload) as refused:
        document.render({("data",): "<EMAIL_ADDRESS>"})
    assert "declared" in refused.value.english


def test_a_piece_cut_inside_a_character_is_read_without_it() -> None:
    data = "가나다".encode()[1:-1]
    document = _read(MultipartFiles("files", "data", piece=True), _form(("data", None, data)))
    assert [s.text for s in document.found.segments if s.form == "text"] == ["나"]


def test_repeated_upload_headers_are_refused_and_others_kept_first() -> None:
    headers = [(b"x-other", b"1"), (b"x-other", b"2"), (b"content-type", b"text/plain")]
    assert upload_headers(headers)[b"x-other"] == b"1"
    with pytest.raises(UploadProblem):
        upload_headers([(b"x-goog-upload-offset", b"0"), (b"x-goog-upload-offset", b"9")])


def test_gemini_chunk_commands() -> None:
    gemini = GeminiUpload()
    chunk = asyncio.run(
        gemini.read(
            b"text",
            {b"x-goog-upload-command": b"upload", b"x-goog-upload-offset": b"7"},
            "upload_id=u1",
        )
    )
    assert chunk.chunk == ("u1", 7) and chunk.piece == b"text"
    for headers, query in (
        ({b"x-goog-upload-command": b"upload", b"x-goog-upload-offset": b"x"}, "upload_id=u"),
        ({b"x-goog-upload-command": b"upload"}, ""),
        ({b"x-goog-upload-command": b"upload"}, "upload_id=u"),  # no offset: not assumed 0
        ({b"x-goog-upload-command": b"query"}, "upload_id=u"),
    ):
        with pytest.raises(UploadProblem):
            asyncio.run(gemini.read(b"text", headers, query))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            b"https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=x",
            b"http://gw:8080/gemini/upload/v1beta/files?upload_id=x",
        ),
        (b"https://elsewhere.example/upload?upload_id=x", None),
        (b"https://generativelanguage.googleapis.com.evil.example/upload", None),
    ],
)
def test_the_upload_url_comes_back_through_the_gateway(url: bytes, expected: bytes | None) -> None:
    headers = [
        (b"x-goog-upload-url", url),
        (b"x-goog-upload-control-url", url),
        (b"x-goog-upload-status", b"active"),
    ]
    out = dict(
        through_gateway(
            headers, "https://generativelanguage.googleapis.com", "gemini", ("http", b"gw:8080")
        )
    )
    assert out.get(b"x-goog-upload-url") == expected
    assert out.get(b"x-goog-upload-control-url") == expected
    assert out[b"x-goog-upload-status"] == b"active"


def test_found_segments_are_plain_extractions() -> None:
    assert isinstance(_read(MultipartFiles("files"), _form(("file", None, b"x"))).found, Extraction)


def test_the_upload_url_keeps_the_scheme_the_client_used() -> None:
    url = b"https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=x"
    (header,) = through_gateway(
        [(b"x-goog-upload-url", url)],
        "https://generativelanguage.googleapis.com",
        "gemini",
        ("https", b"ai-gw.corp.example"),
    )
    assert header[1] == b"https://ai-gw.corp.example/gemini/upload/v1beta/files?upload_id=x"
