"""The official google-genai SDK through the gateway."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import errors, types

from tests.gateway.e2e import INJECTED_KEY
from tests.support.values import EMAIL, RRN


@pytest.fixture
def client(stack) -> genai.Client:
    return genai.Client(
        api_key="gemini-test-key",
        http_options=types.HttpOptions(
            base_url=stack.url("/gemini"), retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )


def test_generate_content(fake, client) -> None:
    response = client.models.generate_content(model="gemini-2.5-flash", contents="Draft a memo")
    assert response.text == "echo: Draft a memo"
    (received,) = fake.received
    assert received.path.endswith("/models/gemini-2.5-flash:generateContent")
    # gemini is configured with an injected key: the caller's never leaves
    assert received.headers["x-goog-api-key"] == INJECTED_KEY


def test_system_instruction_email_is_redacted(fake, client) -> None:
    client.models.generate_content(
        model="gemini-2.5-flash",
        contents="hello",
        config=types.GenerateContentConfig(system_instruction=f"Sign as {EMAIL}"),
    )
    body = fake.received[0].json()
    instruction = body.get("systemInstruction") or body.get("system_instruction")
    assert instruction["parts"][0]["text"] == "Sign as <EMAIL_ADDRESS>"


def test_resident_number_in_function_response_is_refused(fake, client) -> None:
    contents = [
        types.Content(role="user", parts=[types.Part(text="look up the customer")]),
        types.Content(
            role="model",
            parts=[types.Part(function_call=types.FunctionCall(name="lookup", args={"q": "kim"}))],
        ),
        types.Content(
            role="user",
            parts=[
                types.Part(
                    function_response=types.FunctionResponse(name="lookup", response={"rrn": RRN})
                )
            ],
        ),
    ]
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model="gemini-2.5-flash", contents=contents)
    assert refused.value.code == 403
    assert "pipa-resident-number" in str(refused.value)
    assert fake.received == []


def test_streaming_generate_content(fake, client) -> None:
    chunks = list(
        client.models.generate_content_stream(model="gemini-2.5-flash", contents="stream it")
    )
    assert len(chunks) >= 3
    assert "".join(chunk.text or "" for chunk in chunks) == "echo: stream it"
    assert "alt=sse" in fake.received[0].query
