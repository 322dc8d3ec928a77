"""What the dialects used to skip, end to end through the official SDKs and the default policy.

JSON numbers in tool arguments, tool definitions, end-user fields, metadata, query
strings and inline text documents all reach the provider, so each is scanned: an
RRN there is blocked, an e-mail or card number is redacted and the body stays
valid JSON.
"""

from __future__ import annotations

import base64
import urllib.parse

import anthropic
import httpx
import openai
import pytest
from google.genai import errors, types

from tests.support.values import EMAIL, RRN

RRN_NUMBER = int(RRN.replace("-", ""))  # valid checksum: blocked even without context
CARD_NUMBER = 4111111111111111  # Luhn-valid test card
GEMINI_KEY_LIKE = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"


def _tool_turn(tool_input: dict[str, object]) -> list[anthropic.types.MessageParam]:
    return [
        {"role": "user", "content": "Look the customer up"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "crm", "input": tool_input}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}],
        },
    ]


def test_an_rrn_sent_as_a_json_number_in_tool_input_is_blocked(fake, claude) -> None:
    with pytest.raises(anthropic.PermissionDeniedError, match="resident registration"):
        claude.messages.create(
            model="claude-sonnet-4-6", max_tokens=10, messages=_tool_turn({"id": RRN_NUMBER})
        )
    assert fake.received == []


def test_numbers_and_strings_in_tool_input_are_redacted_into_valid_json(fake, claude) -> None:
    claude.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=10,
        messages=_tool_turn({"card": CARD_NUMBER, "email": EMAIL, "qty": 2, "order": 123456}),
    )
    tool_use = fake.received[0].json()["messages"][1]["content"][0]
    assert tool_use["input"] == {
        "card": "<CREDIT_CARD>",
        "email": "<EMAIL_ADDRESS>",
        "qty": 2,
        "order": 123456,  # scanned, matched nothing, forwarded as the number it was
    }


def test_an_rrn_number_in_gemini_function_call_args_is_blocked(fake, gemini) -> None:
    contents = [
        types.Content(role="user", parts=[types.Part.from_text(text="who is this?")]),
        types.Content(
            role="model",
            parts=[types.Part.from_function_call(name="crm", args={"rrn": RRN_NUMBER})],
        ),
        types.Content(
            role="user",
            parts=[types.Part.from_function_response(name="crm", response={"ok": True})],
        ),
    ]
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.generate_content(model="gemini-2.5-flash", contents=contents)
    assert caught.value.code == 403
    assert fake.received == []


def test_chat_tool_descriptions_are_scanned(fake, gpt) -> None:
    tool: openai.types.chat.ChatCompletionToolParam = {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": f"Default customer: {RRN}",
            "parameters": {"type": "object", "properties": {}},
        },
    }
    with pytest.raises(openai.PermissionDeniedError):
        gpt.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], tools=[tool]
        )
    assert fake.received == []


def test_chat_names_metadata_and_user_fields_are_redacted(fake, gpt) -> None:
    gpt.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi", "name": "kim"}],
        metadata={"requester": EMAIL},
        user=EMAIL,
        safety_identifier=EMAIL,
        store=True,
    )
    body = fake.received[0].json()
    assert body["metadata"] == {"requester": "<EMAIL_ADDRESS>"}
    assert body["user"] == body["safety_identifier"] == "<EMAIL_ADDRESS>"
    assert body["messages"][0]["name"] == "kim"


def test_responses_instructions_and_tool_schemas_are_scanned(fake, gpt) -> None:
    gpt.responses.create(model="gpt-5", instructions=f"Reply to {EMAIL}", input="hi")
    assert fake.received[0].json()["instructions"] == "Reply to <EMAIL_ADDRESS>"
    fake.reset()
    with pytest.raises(openai.PermissionDeniedError):
        gpt.responses.create(
            model="gpt-5",
            input="hi",
            tools=[
                {
                    "type": "function",
                    "name": "lookup",
                    "strict": True,
                    "parameters": {
                        "type": "object",
                        "properties": {"rrn": {"type": "string", "enum": [RRN]}},
                    },
                }
            ],
        )
    assert fake.received == []


def test_query_values_are_scanned_and_redacted(fake, gpt) -> None:
    with pytest.raises(openai.PermissionDeniedError):
        gpt.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_query={"note": f"rrn {RRN}"},
        )
    assert fake.received == []
    gpt.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        extra_query={"note": f"from {EMAIL}", "tag": "x y"},
    )
    (received,) = fake.received
    assert urllib.parse.parse_qs(received.query) == {
        "note": ["from <EMAIL_ADDRESS>"],
        "tag": ["x y"],
    }


def test_a_gemini_key_in_the_query_is_never_flagged(fake, stack) -> None:
    url = stack.url("/gemini/v1beta/models/gemini-2.5-flash:generateContent")
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    ok = httpx.post(f"{url}?key={GEMINI_KEY_LIKE}", json=body, timeout=10)
    assert ok.status_code == 200
    assert GEMINI_KEY_LIKE not in fake.received[0].query  # injected mode strips it
    fake.reset()
    leaked = httpx.post(f"{url}?label={GEMINI_KEY_LIKE}", json=body, timeout=10)
    assert leaked.status_code == 403  # the same value anywhere else is a credential
    assert fake.received == []


def _text_file(text: str) -> str:
    return "data:text/plain;base64," + base64.b64encode(text.encode()).decode()


def test_inline_text_files_are_decoded_and_scanned(fake, gpt) -> None:
    def send(text: str) -> None:
        gpt.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Summarise the file"},
                        {
                            "type": "file",
                            "file": {"filename": "notes.txt", "file_data": _text_file(text)},
                        },
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                    ],
                }
            ],
        )

    with pytest.raises(openai.PermissionDeniedError):
        send(f"주민등록번호 {RRN}")
    assert fake.received == []
    send(f"Contact: {EMAIL}")
    content = fake.received[0].json()["messages"][0]["content"]
    assert content[1]["file"]["file_data"] == _text_file("Contact: <EMAIL_ADDRESS>")
    assert content[2]["image_url"]["url"] == "data:image/png;base64,iVBO"  # media untouched


def test_gemini_inline_text_parts_are_scanned(fake, gemini) -> None:
    part = types.Part.from_bytes(data=f"주민 {RRN}".encode(), mime_type="text/plain")
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.generate_content(model="gemini-2.5-flash", contents=["Read this", part])
    assert caught.value.code == 403
    assert fake.received == []


def test_read_only_listings_have_their_query_redacted(fake, stack) -> None:
    answer = httpx.get(
        stack.url("/openai/v1/models"),
        params={"after": EMAIL, "limit": "5"},
        headers={"authorization": "Bearer sk-test"},
        timeout=10,
    )
    assert answer.status_code == 200
    (received,) = fake.received
    assert urllib.parse.parse_qs(received.query) == {"after": ["<EMAIL_ADDRESS>"], "limit": ["5"]}
