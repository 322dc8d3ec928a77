"""The official openai SDK, pointed at the gateway, against the fake provider."""

from __future__ import annotations

import json

import openai
import pytest

from tests.support.values import AWS_KEY, EMAIL, RRN, RRN_POST_2020


@pytest.fixture
def client(stack) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=stack.url("/openai/v1"), max_retries=0)


def test_clean_chat_is_forwarded_unchanged(stack, fake, client) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Summarise our Q3 plan"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "echo: Summarise our Q3 plan"
    assert raw.headers["x-haetae-decision"] == "allow"
    (received,) = fake.received
    assert received.path == "/v1/chat/completions"
    assert received.headers["authorization"] == "Bearer sk-test"
    assert received.json()["messages"][0]["content"] == "Summarise our Q3 plan"


def test_email_is_replaced_before_forwarding(fake, client) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write to {EMAIL} about the invoice"}],
    )
    sent = fake.received[0].body.decode()
    assert EMAIL not in sent
    assert "<EMAIL_ADDRESS>" in sent
    assert (
        completion.choices[0].message.content == "echo: Write to <EMAIL_ADDRESS> about the invoice"
    )


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param([{"role": "user", "content": f"내 주민번호는 {RRN}이야"}], id="user"),
        pytest.param(
            [
                {"role": "system", "content": f"Customer RRN {RRN_POST_2020}"},
                {"role": "user", "content": "hi"},
            ],
            id="system-post-2020",
        ),
        pytest.param(
            [
                {"role": "developer", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": f"id {RRN}"}]},
            ],
            id="content-part",
        ),
        pytest.param(
            [
                {"role": "user", "content": "look up the customer"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {
                                "name": "lookup",
                                "arguments": json.dumps({"rrn": RRN}),
                            },
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "found"},
            ],
            id="tool-call-arguments",
        ),
        pytest.param(
            [
                {"role": "user", "content": "look up"},
                {"role": "tool", "tool_call_id": "c", "content": f"record: {RRN}"},
            ],
            id="tool-result",
        ),
    ],
)
def test_resident_number_in_any_position_is_refused(fake, client, messages) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert "pipa-resident-number" in str(refused.value)
    assert RRN not in str(refused.value)
    assert fake.received == []


def test_cloud_secret_is_refused(fake, client) -> None:
    with pytest.raises(openai.PermissionDeniedError, match="no-secrets"):
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": f"why does aws_access_key_id={AWS_KEY} fail"}],
        )
    assert fake.received == []


def test_korean_refusal_when_the_client_prefers_korean(stack, fake) -> None:
    korean = openai.OpenAI(
        api_key="sk-test",
        base_url=stack.url("/openai/v1"),
        max_retries=0,
        default_headers={"Accept-Language": "ko-KR"},
    )
    with pytest.raises(openai.PermissionDeniedError, match="주민등록번호"):
        korean.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": RRN}])


def test_streaming_chat_reaches_the_client_chunk_by_chunk(fake, client) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"mail {EMAIL} the summary"}],
        stream=True,
    )
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert len([p for p in pieces if p]) >= 3
    assert "".join(pieces) == "echo: mail <EMAIL_ADDRESS> the summary"


def test_responses_api_scans_input_items_and_instructions(fake, client) -> None:
    response = client.responses.create(
        model="gpt-4o-mini",
        instructions=f"Reply to {EMAIL}",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "hello"}]}],
    )
    assert response.output_text == "echo: hello"
    assert EMAIL not in fake.received[0].body.decode()

    with pytest.raises(openai.PermissionDeniedError):
        client.responses.create(
            model="gpt-4o-mini",
            input=[
                {"type": "function_call_output", "call_id": "c1", "output": f"rrn={RRN}"},
                {"role": "user", "content": "continue"},
            ],
        )
    assert len(fake.received) == 1


def test_responses_api_streams(fake, client) -> None:
    with client.responses.stream(model="gpt-4o-mini", input="stream please") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "echo: stream please"
    assert final.output_text == "echo: stream please"


def test_embeddings_input_is_redacted(fake, client) -> None:
    result = client.embeddings.create(
        model="text-embedding-3-small", input=["plain text", f"contact {EMAIL}"]
    )
    assert len(result.data) == 2
    assert fake.received[0].json()["input"] == ["plain text", "contact <EMAIL_ADDRESS>"]


def test_model_listing_is_read_only_and_allowed(fake, client) -> None:
    models = client.models.list()
    assert len(models.data) >= 1
    assert fake.received[0].method == "GET"


@pytest.mark.parametrize(
    "provider", ["deepseek", "moonshot", "zhipu", "dashscope", "dashscope-intl"]
)
def test_providers_under_chinese_jurisdiction_are_refused(stack, fake, provider) -> None:
    client = openai.OpenAI(api_key="sk-x", base_url=stack.url(f"/{provider}/v1"), max_retries=0)
    with pytest.raises(openai.PermissionDeniedError, match="no-cn-jurisdiction"):
        client.chat.completions.create(
            model="deepseek-chat", messages=[{"role": "user", "content": "hello"}]
        )
    with pytest.raises(openai.PermissionDeniedError):
        client.models.list()
    assert fake.received == []


def test_upstream_errors_pass_through_faithfully(fake, client) -> None:
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-fake-status": "429"},
        )
    assert limited.value.status_code == 429
    assert len(fake.received) == 1
