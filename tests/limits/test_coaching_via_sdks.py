"""Coach notes in the answer's text, read through the official SDKs, streamed or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from tests.support.stack import GatewayStack, gateway_stack

NOTE_KO = "이메일 주소는 가려서 보냈습니다."
NOTE_EN = "The e-mail address was masked before sending."
POLICY = f"""\
policy: coach
coach_in_answer: true
rules:
  - id: redact-email
    when: {{ entities: [EMAIL_ADDRESS] }}
    action: redact
    coach: {{ ko: "{NOTE_KO}", en: "{NOTE_EN}" }}
"""
PROMPT = "write to kim@example.com please"
OPENING = f"[Haetae] {NOTE_EN}\n\n"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    with gateway_stack(tmp_path_factory.mktemp("coach"), policy_text=POLICY) as running:
        yield running


def _openai(stack: GatewayStack) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=stack.url("/openai/v1"), max_retries=0)


def test_chat_completion(stack: GatewayStack) -> None:
    reply = _openai(stack).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": PROMPT}]
    )
    text = reply.choices[0].message.content or ""
    assert text.startswith(OPENING)
    assert text.removeprefix(OPENING).startswith("echo: write to <EMAIL_ADDRESS>")
    assert reply.usage is not None  # the rest of the answer is intact


def test_chat_completion_streamed(stack: GatewayStack) -> None:
    events = _openai(stack).chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(events)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith(OPENING) and text.count("[Haetae]") == 1
    assert chunks[-1].usage is not None


def test_no_note_without_a_finding(stack: GatewayStack) -> None:
    reply = _openai(stack).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hello"}]
    )
    assert not (reply.choices[0].message.content or "").startswith("[Haetae]")


def test_anthropic_messages_in_korean(stack: GatewayStack) -> None:
    client = anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url=stack.url("/anthropic"),
        max_retries=0,
        default_headers={"accept-language": "ko"},
    )
    message = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": PROMPT}]
    )
    first = message.content[0]
    assert first.type == "text" and first.text.startswith(f"[Haetae] {NOTE_KO}\n\n")
    with client.messages.stream(
        model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": PROMPT}]
    ) as stream:
        streamed = "".join(stream.text_stream)
    assert streamed.startswith(f"[Haetae] {NOTE_KO}\n\n") and streamed.count("[Haetae]") == 1


def test_gemini(stack: GatewayStack) -> None:
    client = genai.Client(
        api_key="gemini-test-key",
        http_options=types.HttpOptions(
            base_url=stack.url("/gemini"), retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
    reply = client.models.generate_content(model="gemini-2.5-flash", contents=PROMPT)
    assert (reply.text or "").startswith(OPENING)
    streamed = "".join(
        chunk.text or ""
        for chunk in client.models.generate_content_stream(
            model="gemini-2.5-flash", contents=PROMPT
        )
    )
    assert streamed.startswith(OPENING) and streamed.count("[Haetae]") == 1


def test_without_the_setting_only_the_header_carries_it(tmp_path: Path) -> None:
    policy = POLICY.replace("coach_in_answer: true\n", "")
    with gateway_stack(tmp_path, policy_text=policy) as plain:
        raw = _openai(plain).chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": PROMPT}]
        )
        assert raw.headers["x-haetae-notice"]
        assert not (raw.parse().choices[0].message.content or "").startswith("[Haetae]")
