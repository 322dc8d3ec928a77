"""The official anthropic SDK through the gateway."""

from __future__ import annotations

import anthropic
import pytest

from tests.support.values import AWS_KEY, EMAIL, RRN


@pytest.fixture
def client(stack) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test", base_url=stack.url("/anthropic"), max_retries=0
    )


def test_message_is_forwarded_and_answered(fake, client) -> None:
    message = client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=100,
        system="You are terse.",
        messages=[{"role": "user", "content": "Plan the offsite"}],
    )
    assert message.content[0].text == "echo: Plan the offsite"
    (received,) = fake.received
    assert received.path == "/v1/messages"
    # anthropic 2.x sends the key as a bearer token; older versions used x-api-key.
    credential = received.headers.get("x-api-key") or received.headers.get("authorization")
    assert credential in ("sk-ant-test", "Bearer sk-ant-test")


def test_system_prompt_email_is_redacted(fake, client) -> None:
    client.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=100,
        system=[{"type": "text", "text": f"Escalate to {EMAIL}"}],
        messages=[{"role": "user", "content": "ok"}],
    )
    body = fake.received[0].json()
    assert body["system"][0]["text"] == "Escalate to <EMAIL_ADDRESS>"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            [{"type": "tool_result", "tool_use_id": "t1", "content": f"RRN {RRN}"}],
            id="tool-result",
        ),
        pytest.param(
            [
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": f"주민 {RRN}"},
                },
                {"type": "text", "text": "summarise"},
            ],
            id="text-document",
        ),
    ],
)
def test_resident_number_in_tool_results_and_documents_is_refused(fake, client, content) -> None:
    messages = [
        {"role": "user", "content": "find"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}}],
        },
        {"role": "user", "content": content},
    ]
    if content[0]["type"] == "document":
        messages = [{"role": "user", "content": content}]
    with pytest.raises(anthropic.PermissionDeniedError, match="pipa-resident-number"):
        client.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=messages)
    assert fake.received == []


def test_secret_in_tool_use_input_is_refused(fake, client) -> None:
    with pytest.raises(anthropic.PermissionDeniedError, match="no-secrets"):
        client.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=10,
            messages=[
                {"role": "user", "content": "deploy"},
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "t1",
                            "name": "shell",
                            "input": {"env": {"AWS_ACCESS_KEY_ID": AWS_KEY}},
                        }
                    ],
                },
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]},
            ],
        )
    assert fake.received == []


def test_streaming_messages(fake, client) -> None:
    with client.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=100,
        messages=[{"role": "user", "content": f"note for {EMAIL}"}],
    ) as stream:
        text = "".join(stream.text_stream)
    assert text == "echo: note for <EMAIL_ADDRESS>"


def test_count_tokens_is_scanned_too(fake, client) -> None:
    with pytest.raises(anthropic.PermissionDeniedError):
        client.messages.count_tokens(
            model="claude-sonnet-4-6", messages=[{"role": "user", "content": RRN}]
        )
    assert fake.received == []
