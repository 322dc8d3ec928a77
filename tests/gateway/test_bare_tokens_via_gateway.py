"""Bare keys and URL credentials through the gateway, with the official openai SDK.

The shipped default policy replaces a bare key (``GENERIC_SECRET``, a guess from shape)
and refuses a password in a URL (``SECRET_*``, a credential by its place); hashes, ids
and the tool-call ids of an agent conversation go through untouched.
"""

from __future__ import annotations

import json

import openai
import pytest

BARE_KEY = "9vJqX2mK7pLw4RtY8zNb3HcQ"  # no vendor prefix, no key name before it
URL_PASSWORD = "Tr0ub4dor3xQ"


@pytest.fixture
def client(stack) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=stack.url("/openai/v1"), max_retries=0)


def test_a_bare_key_is_replaced_and_the_rest_is_forwarded(fake, client) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "user", "content": f"이 키로 호출하면 401이 나요: {BARE_KEY} 왜 그럴까요?"}
        ],
    )
    assert raw.headers["x-haetae-decision"] == "redact"
    (received,) = fake.received
    sent = received.json()["messages"][0]["content"]
    assert BARE_KEY not in received.body.decode()
    assert sent == "이 키로 호출하면 401이 나요: <GENERIC_SECRET> 왜 그럴까요?"


def test_hashes_ids_and_tool_call_ids_go_through_untouched(fake, client) -> None:
    call_id = "call_Xk9fQ2LmT7vR3pW8sZ1nB4cD"
    messages = [
        {
            "role": "user",
            "content": "commit 9f2c1e4b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f, request "
            "3f1c2a9e-7b4d-4c1e-9a2f-6d8e0b1c2a3f, see getUserAccountDetailsById in "
            "/srv/app/releases/v2.4.1/lib/module.py and "
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "lookup", "arguments": json.dumps({"q": "orders"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": "3 orders"},
    ]
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=messages)
    assert raw.headers["x-haetae-decision"] == "allow"
    (received,) = fake.received
    assert received.json()["messages"] == messages


def test_a_password_in_a_url_is_refused(fake, client) -> None:
    with pytest.raises(openai.PermissionDeniedError, match="no-secrets"):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {
                    "role": "user",
                    "content": f"git clone https://alice:{URL_PASSWORD}@git.example.com/r.git",
                }
            ],
        )
    assert fake.received == []


def test_placeholders_and_documented_examples_go_through(fake, client) -> None:
    text = (
        "postgres://user:password@localhost/db, https://user:****@example.com, "
        "AKIAIOSFODNN7EXAMPLE, 6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe"
    )
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    )
    assert raw.headers["x-haetae-decision"] == "allow"
    assert fake.received[0].json()["messages"][0]["content"] == text
