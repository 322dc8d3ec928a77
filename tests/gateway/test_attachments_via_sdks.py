"""Attached files through the official SDKs: read, scanned, and judged like any text.

Every file here is made in the test (``gateway/dev/testing/documents.py``) and sent the way
each SDK sends it: OpenAI ``file`` parts, ``image_url`` data URLs and Responses
``input_file``; Anthropic ``document`` and ``image`` blocks; Gemini ``inlineData``.
The gateway runs the shipped default policy in front of a fake provider.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors, types

from gateway.dev.testing import documents as files
from tests.support.stack import GatewayStack, gateway_stack
from tests.support.values import EMAIL, RRN


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    """The shipped default policy, one upstream client: ``fake`` (conftest) resets it."""
    with gateway_stack(tmp_path_factory.mktemp("attachments")) as built:
        yield built


@pytest.fixture
def oai(stack: GatewayStack) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=stack.url("/openai/v1"), max_retries=0)


@pytest.fixture
def claude(stack: GatewayStack) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test", base_url=stack.url("/anthropic"), max_retries=0
    )


@pytest.fixture
def gemini(stack: GatewayStack) -> genai.Client:
    return genai.Client(
        api_key="gemini-test-key",
        http_options=types.HttpOptions(
            base_url=stack.url("/gemini"), retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def openai_file(data: bytes, filename: str, media_type: str) -> list[dict[str, Any]]:
    url = f"data:{media_type};base64,{b64(data)}"
    return [
        {"type": "text", "text": "summarise the attachment"},
        {"type": "file", "file": {"filename": filename, "file_data": url}},
    ]


def chat(client: openai.OpenAI, content: list[dict[str, Any]]) -> str:
    """Send ``content`` as one user message; the gateway's request id."""
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": content}]
    )
    raw.parse()
    return raw.headers["x-haetae-request-id"]


# -- a resident number inside a file is found, whatever the file ---------------------

DOCUMENTS = [
    ("report.pdf", "application/pdf", lambda: files.pdf(["Quarterly report", f"Customer {RRN}"])),
    ("memo.docx", "application/octet-stream", lambda: files.docx(["고객 주민번호 " + RRN])),
    ("deck.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
     lambda: files.pptx(["agenda", "notes " + RRN])),
    ("list.xlsx", "application/octet-stream", lambda: files.xlsx({"Q1": [["이름", RRN]]})),
    ("공문.hwp", "application/x-hwp", lambda: files.hwp(["민원인 주민등록번호 " + RRN])),
    ("공문.hwpx", "application/octet-stream", lambda: files.hwpx(["주민등록번호 " + RRN])),
    ("bundle.zip", "application/zip", lambda: files.zip_of({"a.odt": files.odt([RRN])})),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filename", "media_type", "build"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS]
)
def test_a_resident_number_inside_a_document_blocks_the_openai_request(
    fake, oai, stack, filename, media_type, build
) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        chat(oai, openai_file(build(), filename, media_type))
    assert "pipa-resident-number" in refused.value.message
    assert fake.received == []
    record = stack.record(refused.value.response.headers["x-haetae-request-id"])
    (finding,) = [f for f in record.findings if f.entity_type == "KR_RRN"]
    kind = Path(filename).suffix[1:]
    assert f"({kind} " in finding.location  # where in the file: "(pdf page 2)"
    assert RRN not in str(record.to_dict())  # the record never holds the value


def test_a_screenshot_is_read_by_ocr_and_blocked(fake, oai) -> None:
    png = files.text_image(["고객 정보", f"주민등록번호 {RRN}"], font_size=32)
    content = [
        {"type": "text", "text": "what does this say?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png)}"}},
    ]
    with pytest.raises(openai.PermissionDeniedError, match="pipa-resident-number"):
        chat(oai, content)
    assert fake.received == []


@pytest.mark.parametrize("part", ["input_file", "input_image"])
def test_responses_input_file_and_image_are_read(fake, oai, part) -> None:
    if part == "input_file":
        url = f"data:application/pdf;base64,{b64(files.pdf([f'RRN {RRN}']))}"
        item = {"type": part, "filename": "a.pdf", "file_data": url}
    else:
        png = files.text_image([f"주민등록번호 {RRN}"], font_size=32)
        item = {"type": part, "image_url": f"data:image/png;base64,{b64(png)}"}
    with pytest.raises(openai.PermissionDeniedError, match="pipa-resident-number"):
        oai.responses.create(
            model="gpt-4o-mini",
            input=[
                {
                    "role": "user",
                    "content": [{"type": "input_text", "text": "read this"}, item],
                }
            ],
        )
    assert fake.received == []


@pytest.mark.parametrize("block", ["document", "image"])
def test_anthropic_document_and_image_blocks_are_read(fake, claude, block) -> None:
    if block == "document":
        source = {"type": "base64", "media_type": "application/pdf", "data": b64(files.pdf([RRN]))}
    else:
        png = files.text_image([f"주민등록번호 {RRN}"], font_size=32)
        source = {"type": "base64", "media_type": "image/png", "data": b64(png)}
    with pytest.raises(anthropic.PermissionDeniedError, match="pipa-resident-number"):
        claude.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=50,
            messages=[
                {
                    "role": "user",
                    "content": [{"type": block, "source": source}, {"type": "text", "text": "?"}],
                }
            ],
        )
    assert fake.received == []


def test_gemini_inline_data_is_read(fake, gemini) -> None:
    part = types.Part.from_bytes(
        data=files.docx([f"주민번호 {RRN}"]), mime_type="application/msword"
    )
    with pytest.raises(errors.ClientError) as refused:
        gemini.models.generate_content(model="gemini-2.5-flash", contents=[part, "summarise"])
    assert refused.value.code == 403
    assert fake.received == []


# -- clean files pass unchanged; text files are edited in place; others refuse edits ---


def test_a_clean_document_is_forwarded_unchanged_and_recorded_by_kind_and_size(
    fake, oai, stack
) -> None:
    data = files.pdf(["Quarterly plan", "Revenue up 3 percent"])
    request_id = chat(oai, openai_file(data, "plan.pdf", "application/pdf"))
    (received,) = fake.received
    sent = received.json()["messages"][0]["content"][1]["file"]["file_data"]
    assert base64.b64decode(sent.partition(",")[2]) == data
    record = stack.record(request_id)
    assert record.details is not None
    assert record.details["files"] == [{"kind": "pdf", "bytes": len(data), "chars": 36}]


def test_a_cp949_csv_is_redacted_in_place_in_its_own_charset(fake, oai) -> None:
    csv = f"이름,이메일\n홍길동,{EMAIL}\n".encode("cp949")
    chat(oai, openai_file(csv, "고객.csv", "text/csv"))
    (received,) = fake.received
    sent = received.json()["messages"][0]["content"][1]["file"]["file_data"]
    assert sent.startswith("data:text/csv;base64,")
    text = base64.b64decode(sent.partition(",")[2]).decode("cp949")
    assert text == "이름,이메일\n홍길동,<EMAIL_ADDRESS>\n"


def test_an_edit_inside_a_pdf_refuses_the_request_naming_the_file(fake, oai) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        chat(oai, openai_file(files.pdf([f"contact {EMAIL}"]), "연락처.pdf", "application/pdf"))
    message = refused.value.message
    assert "'연락처.pdf'" in message and "PDF file cannot be edited in place" in message
    assert "EMAIL_ADDRESS" in message and EMAIL not in message
    assert fake.received == []


# -- what cannot be read is refused, with the file and the reason --------------------


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: files.encrypted_pdf("anything"), "encrypted or password-protected"),
        (files.zip_bomb, "decompression bomb"),
        (lambda: files.nested_zip(b"x"), "nests archives"),
    ],
    ids=["encrypted", "bomb", "nested"],
)
def test_an_uninspectable_file_is_refused_with_the_reason(fake, oai, stack, build, reason) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        chat(oai, openai_file(build(), "secret.bin", "application/octet-stream"))
    message = refused.value.message
    assert "uninspectable-attachments" in message
    assert "'secret.bin'" in message and reason in message
    assert refused.value.body["code"] == "uninspectable_attachment"  # type: ignore[index]
    assert fake.received == []
    record = stack.record(refused.value.response.headers["x-haetae-request-id"])
    assert record.rule_ids == ["uninspectable-attachments"]


def test_refusals_speak_korean_when_asked(fake, stack) -> None:
    client = openai.OpenAI(
        api_key="sk-test",
        base_url=stack.url("/openai/v1"),
        max_retries=0,
        default_headers={"accept-language": "ko-KR"},
    )
    with pytest.raises(openai.PermissionDeniedError) as refused:
        chat(client, openai_file(files.encrypted_pdf("x"), "급여.pdf", "application/pdf"))
    assert "첨부 파일 '급여.pdf'은(는) 암호화되어 있거나" in refused.value.message


ALLOWING = """
policy: lets-encrypted-through
rules:
  - id: encrypted-ok
    when: { uninspectable_attachments: [encrypted] }
    action: allow
"""
SILENT = "policy: says-nothing\nrules: []\n"


def test_a_policy_may_allow_uninspectable_files_explicitly_and_it_is_recorded(
    tmp_path: Path,
) -> None:
    with gateway_stack(tmp_path, policy_text=ALLOWING) as allowing:
        client = openai.OpenAI(api_key="k", base_url=allowing.url("/openai/v1"), max_retries=0)
        data = files.encrypted_pdf("x")
        request_id = chat(client, openai_file(data, "locked.pdf", "application/pdf"))
        assert len(allowing.fake.received) == 1
        record = allowing.record(request_id)
        assert record.rule_ids == ["encrypted-ok"] and record.decision == "allow"
        assert record.details is not None
        assert record.details["uninspectable_attachments"] == ["encrypted"]
        assert record.details["files"] == [
            {"kind": "pdf", "bytes": len(data), "uninspectable": "encrypted"}
        ]
        # a reason the policy did not allow is still refused
        with pytest.raises(openai.PermissionDeniedError):
            chat(client, openai_file(files.zip_bomb(), "b.zip", "application/zip"))


def test_a_policy_that_never_mentions_them_refuses_uninspectable_files(tmp_path: Path) -> None:
    with gateway_stack(tmp_path, policy_text=SILENT) as silent:
        client = openai.OpenAI(api_key="k", base_url=silent.url("/openai/v1"), max_retries=0)
        with pytest.raises(openai.PermissionDeniedError) as refused:
            chat(client, openai_file(files.encrypted_pdf("x"), "l.pdf", "application/pdf"))
        assert "'l.pdf'" in refused.value.message
        assert silent.fake.received == []
        record = silent.record(refused.value.response.headers["x-haetae-request-id"])
        assert record.rule_ids == ["uninspectable-attachment"]


def test_readyz_says_whether_images_can_be_read(stack: GatewayStack, tmp_path: Path) -> None:
    assert httpx.get(stack.url("/readyz"), timeout=5).json()["ocr"] == "ok"
    with gateway_stack(tmp_path, settings={"attachments.ocr": False}) as blind:
        ready = httpx.get(blind.url("/readyz"), timeout=5)
        assert ready.status_code == 200  # serving: the policy decides on images
        assert ready.json()["ocr"] == "OCR is turned off (attachments.ocr: false)"
        client = openai.OpenAI(api_key="k", base_url=blind.url("/openai/v1"), max_retries=0)
        png = files.text_image(["hello"])
        content = [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png)}"}}]
        with pytest.raises(openai.PermissionDeniedError) as refused:
            chat(client, content)
        assert "text recognition (OCR) is not installed" in refused.value.message
        assert blind.fake.received == []
