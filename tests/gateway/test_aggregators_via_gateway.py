"""Aggregators through a real gateway: the official openai SDK, the default policy.

A model developed under Chinese jurisdiction is refused on a router that may
pass the prompt on to the developer's own API, and goes through when the
request pins hosts the catalog places outside China with fallbacks off, or
when an aggregator serves it on its own infrastructure.
"""

from __future__ import annotations

import openai
import pytest

QUESTION = [{"role": "user", "content": "Summarise the meeting notes"}]


def _client(stack, provider: str, base: str = "/v1", language: str = "en") -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-or-test",
        base_url=stack.url(f"/{provider}{base}"),
        max_retries=0,
        default_headers={"accept-language": language},
    )


@pytest.mark.parametrize(
    "model", ["deepseek/deepseek-chat", "deepseek/deepseek-r1:free", "Qwen/Qwen3-235B-A22B"]
)
def test_a_chinese_model_through_openrouter_is_refused(stack, fake, model) -> None:
    client = _client(stack, "openrouter", "/api/v1")
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(model=model, messages=QUESTION)
    assert refused.value.status_code == 403
    message = str(refused.value)
    assert "no-cn-model-via-router" in message
    assert "(CN jurisdiction)" in message
    assert fake.received == []
    record = stack.audit_tail(1)[0]
    assert record.decision == "block"
    assert record.rule_ids == ["no-cn-model-via-router"]


def test_the_refusal_names_the_developer_in_korean(stack, fake) -> None:
    client = _client(stack, "openrouter", "/api/v1", language="ko")
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(model="deepseek/deepseek-chat", messages=QUESTION)
    assert "deepseek(CN 관할)" in str(refused.value)
    assert fake.received == []


def test_a_fallback_model_counts_too(stack, fake) -> None:
    client = _client(stack, "openrouter", "/api/v1")
    with pytest.raises(openai.PermissionDeniedError, match="no-cn-model-via-router"):
        client.chat.completions.create(
            model="meta-llama/llama-3.3-70b-instruct",
            messages=QUESTION,
            extra_body={"models": ["moonshotai/kimi-k2"]},
        )
    assert fake.received == []


def test_pinned_hosts_outside_china_with_fallbacks_off_go_through(stack, fake) -> None:
    client = _client(stack, "openrouter", "/api/v1")
    routing = {"order": ["together", "fireworks"], "allow_fallbacks": False}
    raw = client.chat.completions.with_raw_response.create(
        model="deepseek/deepseek-chat", messages=QUESTION, extra_body={"provider": routing}
    )
    assert raw.headers["x-haetae-decision"] == "allow"
    assert raw.parse().choices[0].message.content == "echo: Summarise the meeting notes"
    (received,) = fake.received
    assert received.path == "/api/v1/chat/completions"
    assert received.json()["provider"] == routing  # the pin reaches OpenRouter unchanged


def test_a_pin_with_fallbacks_on_does_not_count(stack, fake) -> None:
    client = _client(stack, "openrouter", "/api/v1")
    with pytest.raises(openai.PermissionDeniedError, match="no-cn-model-via-router"):
        client.chat.completions.create(
            model="deepseek/deepseek-chat",
            messages=QUESTION,
            extra_body={"provider": {"order": ["together"]}},
        )
    assert fake.received == []


def test_an_unknown_model_through_openrouter_is_refused(stack, fake) -> None:
    client = _client(stack, "openrouter", "/api/v1")
    with pytest.raises(openai.PermissionDeniedError, match="unknown-model-via-router"):
        client.chat.completions.create(model="openrouter/auto", messages=QUESTION)
    assert fake.received == []


def test_a_us_model_through_openrouter_goes_through(stack, fake) -> None:
    client = _client(stack, "openrouter", "/api/v1")
    client.chat.completions.create(model="meta-llama/llama-3.3-70b-instruct", messages=QUESTION)
    assert len(fake.received) == 1


@pytest.mark.parametrize(
    ("provider", "base", "model"),
    [
        ("together", "/v1", "deepseek-ai/DeepSeek-V3"),
        ("fireworks", "/inference/v1", "accounts/fireworks/models/qwen3-235b-a22b"),
        ("groq", "/openai/v1", "moonshotai/kimi-k2-instruct"),
    ],
)
def test_open_weights_on_an_aggregators_own_infrastructure_go_through(
    stack, fake, provider, base, model
) -> None:
    client = _client(stack, provider, base)
    client.chat.completions.create(model=model, messages=QUESTION)
    assert len(fake.received) == 1
