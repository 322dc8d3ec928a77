"""File uploads through the official SDKs: judged like any content, never refused outright."""

from __future__ import annotations

import io

import anthropic
import httpx
import openai
import orjson
import pytest
from google.genai import errors as genai_errors

from tests.support.stack import gateway_stack
from tests.support.values import AWS_KEY, EMAIL, RRN

CLEAN_CSV = "이름,부서\n김민수,재무팀\n박지영,인사팀\n".encode("cp949")


def _file_part(body: bytes) -> bytes:
    """The bytes of the ``file`` part of a multipart body the fake provider received."""
    rest = body.partition(b'name="file"')[2]
    content = rest.split(b"\r\n\r\n", 1)[1]
    return content.rsplit(b"\r\n--", 1)[0]


def test_clean_cp949_csv_reaches_the_provider_byte_exact(stack, fake, gpt) -> None:
    raw = gpt.files.with_raw_response.create(
        file=("staff.csv", CLEAN_CSV, "text/csv"), purpose="user_data"
    )
    assert raw.parse().object == "file"
    (received,) = fake.received
    assert received.path.endswith("/v1/files")
    assert _file_part(received.body) == CLEAN_CSV
    record = stack.record(raw.headers["x-haetae-request-id"])
    assert record.decision == "allow"
    assert record.details["uploads"] == [
        {"kind": "text/csv", "bytes": len(CLEAN_CSV), "purpose": "user_data"}
    ]


def test_resident_number_in_a_text_file_is_refused_and_recorded(stack, fake, gpt) -> None:
    data = f"고객 메모\n주민번호: {RRN}\n".encode("cp949")
    with pytest.raises(openai.PermissionDeniedError) as refused:
        gpt.files.create(file=("memo.txt", data, "text/plain"), purpose="assistants")
    assert "pipa-resident-number" in refused.value.message
    assert fake.received == []
    record = stack.record(refused.value.response.headers["x-haetae-request-id"])
    assert record.decision == "block"
    assert record.details["uploads"][0]["kind"] == "text/plain"
    assert RRN not in orjson.dumps(record.to_dict()).decode()


def test_a_file_name_and_part_headers_are_scanned_and_never_recorded(stack, fake, gpt) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        gpt.files.create(file=(f"고객_{RRN}.txt", b"plain", f"text/{RRN}"), purpose="assistants")
    assert fake.received == []
    record = stack.record(refused.value.response.headers["x-haetae-request-id"])
    assert record.details["uploads"][0]["kind"] == "text"
    assert RRN not in orjson.dumps(record.to_dict()).decode()
    assert {f.location for f in record.findings} >= {"file.headers[0]", "file.headers[1]"}


def test_email_in_a_text_file_is_redacted_in_place(fake, gpt) -> None:
    data = f"contact: {EMAIL}\n끝\n".encode("euc-kr")
    gpt.files.create(file=("contact.txt", data, "text/plain"), purpose="assistants")
    (received,) = fake.received
    assert _file_part(received.body) == "contact: <EMAIL_ADDRESS>\n끝\n".encode("euc-kr")


def test_binary_file_is_uninspectable(stack, fake, gpt) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    with pytest.raises(openai.APIStatusError) as refused:
        gpt.files.create(file=("scan.png", png, "image/png"), purpose="vision")
    assert refused.value.status_code == 415
    assert "uninspectable_attachment" in refused.value.message
    assert "scan.png" in refused.value.message
    assert fake.received == []
    record = stack.record(refused.value.response.headers["x-haetae-request-id"])
    assert record.error == "uninspectable_attachment"
    assert record.details["uploads"] == [{"kind": "png", "bytes": len(png), "purpose": "vision"}]
    korean = httpx.post(
        stack.url("/openai/v1/files"),
        files={"file": ("scan.png", png, "image/png")},
        data={"purpose": "vision"},
        headers={"accept-language": "ko"},
    )
    assert korean.status_code == 415
    assert "파일 'scan.png'" in korean.json()["error"]["message"]


def _batch_line(custom_id: str, text: str, url: str = "/v1/chat/completions") -> bytes:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    if url == "/v1/embeddings":
        body = {"model": "text-embedding-3-small", "input": text}
    line = {"custom_id": custom_id, "method": "POST", "url": url, "body": body}
    return orjson.dumps(line) + b"\n"


def test_batch_file_lines_are_judged_by_their_api(stack, fake, gpt) -> None:
    clean = _batch_line("req-1", "Summarise Q3") + _batch_line("req-2", "hi", "/v1/embeddings")
    created = gpt.files.create(file=("batch.jsonl", clean), purpose="batch")
    assert _file_part(fake.received[0].body) == clean
    batch = gpt.batches.create(
        input_file_id=created.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert batch.object == "batch"
    leaky = clean + _batch_line("req-3", f"key {AWS_KEY}", "/v1/responses")
    fake.reset()
    with pytest.raises(openai.PermissionDeniedError) as refused:
        gpt.files.create(file=("batch.jsonl", leaky), purpose="batch")
    assert "line" in refused.value.message and "3 (custom_id req-3)" in refused.value.message
    assert fake.received == []
    record = stack.record(refused.value.response.headers["x-haetae-request-id"])
    assert record.details["uploads"][0]["lines"] == 3


def test_batch_line_email_is_redacted_in_that_line_only(fake, gpt) -> None:
    first = _batch_line("a", "plain")
    data = first + _batch_line("b", f"mail {EMAIL}")
    gpt.files.create(file=("batch.jsonl", data), purpose="batch")
    lines = _file_part(fake.received[0].body).splitlines(keepends=True)
    assert lines[0] == first
    assert orjson.loads(lines[1])["body"]["messages"][0]["content"] == "mail <EMAIL_ADDRESS>"


def test_batch_line_for_an_uninspected_api_is_refused(fake, gpt) -> None:
    data = _batch_line("a", "plain", "/v1/images/generations")
    with pytest.raises(openai.BadRequestError):
        gpt.files.create(file=("batch.jsonl", data), purpose="batch")
    assert fake.received == []


def test_upload_parts_and_a_value_split_across_two_parts(fake, gpt) -> None:
    upload = gpt.uploads.create(
        filename="notes.txt", purpose="assistants", bytes=40, mime_type="text/plain"
    )
    first = gpt.uploads.parts.create(upload_id=upload.id, data=b"x" * 300 + b" number 900101-")
    second = gpt.uploads.parts.create(upload_id=upload.id, data=b"1234568 end\n")
    with pytest.raises(openai.PermissionDeniedError):
        gpt.uploads.complete(upload_id=upload.id, part_ids=[first.id, second.id])
    assert not any(r.path.endswith("/complete") for r in fake.received)


def test_upload_parts_complete_when_clean(fake, gpt) -> None:
    upload = gpt.uploads.create(
        filename="notes.txt", purpose="assistants", bytes=20, mime_type="text/plain"
    )
    part = gpt.uploads.parts.create(upload_id=upload.id, data=b"quarterly figures\n")
    done = gpt.uploads.complete(upload_id=upload.id, part_ids=[part.id])
    assert done.status == "completed"


def test_completing_parts_the_gateway_never_saw_is_refused(fake, gpt) -> None:
    with pytest.raises(openai.BadRequestError):
        gpt.uploads.complete(upload_id="upload_unknown", part_ids=["part_a", "part_b"])
    assert fake.received == []


def test_file_metadata_endpoints_pass_with_a_record(stack, fake) -> None:
    for method, path in (("GET", "/openai/v1/files"), ("DELETE", "/openai/v1/files/file-1")):
        response = httpx.request(method, stack.url(path), headers={"authorization": "Bearer k"})
        assert response.status_code == 200
        assert response.headers["x-haetae-decision"] == "allow"
        assert stack.record(response.headers["x-haetae-request-id"]).api == "files"
    assert len(fake.received) == 2


def test_an_edit_in_an_upload_part_refuses_it_naming_the_file(fake, gpt) -> None:
    upload = gpt.uploads.create(
        filename="notes.txt", purpose="assistants", bytes=40, mime_type="text/plain"
    )
    with pytest.raises(openai.BadRequestError) as refused:
        gpt.uploads.parts.create(upload_id=upload.id, data=f"mail {EMAIL}\n".encode())
    assert "size was declared" in refused.value.message
    assert not any(r.path.endswith("/parts") for r in fake.received)


def test_malformed_multipart_is_refused_in_openai_format(stack, fake) -> None:
    response = httpx.post(
        stack.url("/openai/v1/files"),
        content=b'--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\ncut off',
        headers={"content-type": "multipart/form-data; boundary=XX", "accept-language": "ko"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "boundary" in error["message"] and "닫는" in error["message"]  # in Korean
    assert fake.received == []


def test_anthropic_file_upload(fake, claude) -> None:
    clean = b"meeting at 10\n"
    uploaded = claude.beta.files.upload(file=("notes.txt", clean, "text/plain"))
    assert uploaded.type == "file"
    assert _file_part(fake.received[0].body) == clean
    fake.reset()
    with pytest.raises(anthropic.PermissionDeniedError):
        claude.beta.files.upload(file=("keys.txt", f"aws {AWS_KEY}\n".encode(), "text/plain"))
    assert fake.received == []


def test_anthropic_message_batch_params_are_judged_as_messages(fake, claude) -> None:
    def request(custom_id: str, text: str) -> dict[str, object]:
        params = {
            "model": "claude-sonnet-4-6",
            "max_tokens": 16,
            "messages": [{"role": "user", "content": text}],
        }
        return {"custom_id": custom_id, "params": params}

    batch = claude.messages.batches.create(requests=[request("a", "hello")])
    assert batch.type == "message_batch"
    fake.reset()
    with pytest.raises(anthropic.PermissionDeniedError):
        claude.messages.batches.create(requests=[request("a", "hi"), request("b", f"RRN {RRN}")])
    assert fake.received == []
    claude.messages.batches.create(requests=[request("a", f"mail {EMAIL}")])
    sent = fake.received[0].json()
    assert sent["requests"][0]["params"]["messages"][0]["content"] == "mail <EMAIL_ADDRESS>"


def test_gemini_resumable_upload(stack, fake, gemini) -> None:
    clean = "보고서 초안\n".encode()
    uploaded = gemini.files.upload(file=io.BytesIO(clean), config={"mime_type": "text/plain"})
    assert uploaded.name.startswith("files/")
    start, chunk = fake.received
    assert start.headers["x-goog-upload-command"] == "start"
    assert chunk.body == clean
    fake.reset()
    with pytest.raises(genai_errors.ClientError):
        gemini.files.upload(
            file=io.BytesIO(f"주민번호 {RRN}\n".encode()), config={"mime_type": "text/plain"}
        )
    assert len(fake.received) == 1  # the start; the chunk holding the number never left


def _chunk(stack, url: str, offset: int, data: bytes, finalize: bool) -> httpx.Response:
    command = "upload, finalize" if finalize else "upload"
    headers = {"x-goog-upload-command": command, "x-goog-upload-offset": str(offset)}
    return httpx.post(url, content=data, headers={**headers, "x-goog-api-key": "k"})


def test_gemini_value_split_across_resumable_chunks_is_refused(stack, fake) -> None:
    start = httpx.post(
        stack.url("/gemini/upload/v1beta/files"),
        json={"file": {"display_name": "notes"}},
        headers={"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
    )
    url = start.headers["x-goog-upload-url"]
    assert url.startswith(stack.url("/gemini/upload/v1beta/files?upload_id="))
    first = "앞부분 주민번호 900101-".encode()
    assert _chunk(stack, url, 0, first, finalize=False).status_code == 200
    refused = _chunk(stack, url, len(first), b"1234568 end\n", finalize=True)
    assert refused.status_code == 403
    assert len(fake.received) == 2  # the start and the first chunk; never the second
    unseen = _chunk(stack, url.replace("upload_id=", "upload_id=other"), 64, b"x", True)
    assert unseen.status_code == 400


def _related(metadata: dict[str, object], text: bytes) -> bytes:
    """A Gemini multipart upload body: the metadata part, then the file."""
    return (
        b"--B\r\nContent-Type: application/json\r\n\r\n"
        + orjson.dumps({"file": metadata})
        + b"\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        + text
        + b"\r\n--B--\r\n"
    )


def test_gemini_metadata_is_redacted_in_place(stack, fake) -> None:
    start = httpx.post(
        stack.url("/gemini/upload/v1beta/files"),
        json={"file": {"display_name": f"from {EMAIL}", "mime_type": "text/plain"}},
        headers={"x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start"},
    )
    assert start.status_code == 200
    assert fake.received[0].json()["file"]["display_name"] == "from <EMAIL_ADDRESS>"
    fake.reset()
    body = _related({"displayName": f"to {EMAIL}"}, b"clean words")
    response = httpx.post(
        stack.url("/gemini/upload/v1beta/files?uploadType=multipart"),
        content=body,
        headers={"content-type": "multipart/related; boundary=B"},
    )
    assert response.status_code == 200
    sent = fake.received[0].body
    assert EMAIL.encode() not in sent and b"to <EMAIL_ADDRESS>" in sent
    assert b"\r\n\r\nclean words\r\n--B--" in sent


def test_a_repeated_content_type_is_refused(stack, fake) -> None:
    body = b'--A\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--A--\r\n'
    response = httpx.post(
        stack.url("/openai/v1/files"),
        content=body,
        headers=[
            ("content-type", "multipart/form-data; boundary=A"),
            ("content-type", "multipart/form-data; boundary=B"),
        ],
    )
    assert response.status_code == 400
    assert "given twice" in response.json()["error"]["message"]
    assert fake.received == []


def test_gemini_simple_and_multipart_uploads(stack, fake) -> None:
    url = stack.url("/gemini/upload/v1beta/files?uploadType=media")
    simple = httpx.post(
        url, content=f"mail {EMAIL}".encode(), headers={"content-type": "text/plain"}
    )
    assert simple.status_code == 200
    assert fake.received[0].body == b"mail <EMAIL_ADDRESS>"
    body = _related({"displayName": f"rrn {RRN}"}, b"hello")
    refused = httpx.post(
        stack.url("/gemini/upload/v1beta/files?uploadType=multipart"),
        content=body,
        headers={
            "content-type": "multipart/related; boundary=B",
            "x-goog-upload-protocol": "multipart",
        },
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["status"] == "PERMISSION_DENIED"


def _pdf(text: str) -> bytes:
    """A one-page PDF whose page shows ``text`` in Helvetica (xref offsets computed)."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_with_a_resident_number_is_refused(fake, gpt) -> None:
    memo = _pdf(f"RRN {RRN}")
    with pytest.raises(openai.PermissionDeniedError):
        gpt.files.create(file=("memo.pdf", memo, "application/pdf"), purpose="assistants")
    assert fake.received == []


def test_clean_pdf_reaches_the_provider_byte_exact(fake, gpt) -> None:
    memo = _pdf("Quarterly figures are final")
    gpt.files.create(file=("memo.pdf", memo, "application/pdf"), purpose="assistants")
    assert _file_part(fake.received[0].body) == memo


NO_UPLOADS = """
policy: no-uploads
default_action: allow
rules:
  - id: no-file-uploads
    when: { api: [files] }
    action: block
"""


def test_a_policy_can_refuse_uploads_by_api(tmp_path) -> None:
    with gateway_stack(tmp_path, policy_text=NO_UPLOADS) as stack:
        client = openai.OpenAI(api_key="k", base_url=stack.url("/openai/v1"), max_retries=0)
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client.files.create(file=("a.txt", b"plain"), purpose="assistants")
        assert "no-file-uploads" in refused.value.message
        assert stack.fake.received == []
