"""Limits through a real gateway: 429 in each provider's format, budgets, Redis failing."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from tests.support.polling import wait_for
from tests.support.services import closed_port
from tests.support.stack import GatewayStack, gateway_stack

REQUESTS_POLICY = """\
policy: limited
default_language: ko
limits:
  - id: two-per-minute
    per: client_app
    requests: 2
    window: 60s
"""

TOKENS_POLICY = """\
policy: budget
limits:
  - id: daily-tokens
    per: user
    tokens: 10
    window: 1d
    when: { provider: [openai] }
"""

SPEND_POLICY = """\
policy: spend
limits:
  - id: monthly-spend
    per: [user, model]
    spend: 0.00001
    window: 30d
"""


def _openai(stack: GatewayStack, app: str = "sdk-test") -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url=stack.url("/openai/v1"),
        max_retries=0,
        default_headers={"x-haetae-client": app},
    )


def _ask(client: openai.OpenAI, stream: bool = False) -> str:
    if stream:
        events = client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "one two three four five"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        return "".join(e.choices[0].delta.content or "" for e in events if e.choices)
    reply = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "one two three four five"}]
    )
    return reply.choices[0].message.content or ""


def test_openai_sdk_gets_429_with_retry_after_and_the_record_says_limited(tmp_path: Path) -> None:
    with gateway_stack(tmp_path, policy_text=REQUESTS_POLICY) as stack:
        client = _openai(stack)
        _ask(client)
        _ask(client)
        with pytest.raises(openai.RateLimitError) as refused:
            _ask(client)
        response = refused.value.response
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert "x-should-retry" not in response.headers  # a minute: worth the SDK's retry
        body = response.json()["error"]
        assert body["code"] == "rate_limited" and body["type"] == "requests"
        assert "two-per-minute" in body["message"] and "초 후 다시 시도하세요" in body["message"]
        assert len(stack.fake.received) == 2  # the third never left
        record = stack.record(response.headers["x-haetae-request-id"])
        assert record.decision == "limited" and record.status == 429
        assert record.rule_ids == ["two-per-minute"]
        assert record.details is not None and record.details["limits"]["kind"] == "requests"
        # another application has its own counter
        _ask(_openai(stack, app="other-app"))


def test_english_callers_read_english(tmp_path: Path) -> None:
    with gateway_stack(tmp_path, policy_text=REQUESTS_POLICY) as stack:
        for _ in range(2):
            _ask(_openai(stack))
        reply = httpx.post(
            stack.url("/openai/v1/chat/completions"),
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            headers={"x-haetae-client": "sdk-test", "accept-language": "en"},
        )
        assert reply.status_code == 429
        assert "Limit 'two-per-minute' of Haetae policy 'limited' reached" in reply.text


def test_anthropic_and_gemini_sdks_raise_their_rate_limit_errors(tmp_path: Path) -> None:
    policy = REQUESTS_POLICY.replace("client_app", "provider")
    with gateway_stack(tmp_path, policy_text=policy) as stack:
        claude = anthropic.Anthropic(
            api_key="sk-ant-test", base_url=stack.url("/anthropic"), max_retries=0
        )

        def ask_claude() -> None:
            claude.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=10,
                messages=[{"role": "user", "content": "hi"}],
            )

        ask_claude()
        ask_claude()
        with pytest.raises(anthropic.RateLimitError) as refused:
            ask_claude()
        error = refused.value.body["error"]  # type: ignore[index]
        assert error["type"] == "rate_limit_error"
        assert error["details"]["error_code"] == "rate_limited"
        assert refused.value.response.headers["retry-after"]

        gemini = genai.Client(
            api_key="gemini-test-key",
            http_options=types.HttpOptions(
                base_url=stack.url("/gemini"), retry_options=types.HttpRetryOptions(attempts=1)
            ),
        )
        for _ in range(2):
            gemini.models.generate_content(model="gemini-2.5-flash", contents="hi")
        with pytest.raises(genai_errors.ClientError) as limited:
            gemini.models.generate_content(model="gemini-2.5-flash", contents="hi")
        assert limited.value.code == 429
        assert limited.value.status == "RESOURCE_EXHAUSTED"
        assert "two-per-minute" in (limited.value.message or "")


def test_a_token_budget_is_charged_after_a_streamed_answer(tmp_path: Path) -> None:
    with gateway_stack(tmp_path, policy_text=TOKENS_POLICY) as stack:
        client = _openai(stack)
        assert _ask(client, stream=True)  # ~5 prompt + ~6 answer tokens: over 10

        # the charge lands just after the stream ends
        def refused() -> openai.RateLimitError | None:
            try:
                _ask(client)
            except openai.RateLimitError as exc:
                return exc
            return None

        error = wait_for(refused, 5, message="the streamed answer's tokens were not charged")
        assert error.response.json()["error"]["code"] == "token_budget_exceeded"
        # a day's budget frees up in hours: the SDKs are told not to retry
        assert int(error.response.headers["retry-after"]) > 60
        assert error.response.headers["x-should-retry"] == "false"
        # the limit's `when` names OpenAI only: Anthropic is not counted
        claude = anthropic.Anthropic(
            api_key="sk-ant-test", base_url=stack.url("/anthropic"), max_retries=0
        )
        claude.messages.create(
            model="claude-sonnet-4-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )


def test_spend_is_priced_recorded_and_limited(tmp_path: Path) -> None:
    with gateway_stack(tmp_path, policy_text=SPEND_POLICY) as stack:
        client = _openai(stack)
        first = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "one two three"}]
        )
        record = stack.record(first.headers["x-haetae-request-id"])
        usage = record.usage or {}
        cost = (record.details or {})["cost"]
        expected = (usage["input_tokens"] * 2.50 + usage["output_tokens"] * 10.00) / 1e6
        assert cost["currency"] == "USD" and cost["priced_as"] == "gpt-4o"
        assert cost["amount"] == pytest.approx(expected)

        def refused() -> bool:
            try:
                _ask(client)
            except openai.RateLimitError as exc:
                return exc.response.json()["error"]["code"] == "spend_budget_exceeded"
            return False

        assert wait_for(refused, 5, message="the spend was not charged")
        # another model is another counter (per: [user, model]); its price is unknown
        other = client.chat.completions.with_raw_response.create(
            model="house-model", messages=[{"role": "user", "content": "hi"}]
        )
        unknown = (stack.record(other.headers["x-haetae-request-id"]).details or {})["cost"]
        assert unknown == {"currency": "USD", "amount": None, "reason": "no_price"}


@pytest.mark.parametrize("on_error", ["fail_closed", "fail_open"])
def test_unreachable_redis(tmp_path: Path, on_error: str) -> None:
    from tests.support.rollout import rollout_stack

    settings = {"limits.on_redis_error": on_error, "limits.redis_timeout_seconds": 0.2}
    with rollout_stack(
        tmp_path,
        REQUESTS_POLICY,
        settings=settings,
        redis_url=f"redis://127.0.0.1:{closed_port()}/0",
    ) as stack:
        reply = httpx.post(
            stack.url("/openai/v1/chat/completions"),
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            headers={"accept-language": "en"},
            timeout=10,
        )
        record = stack.record(reply.headers["x-haetae-request-id"])
        assert record.details is not None
        assert record.details["limits"] == {"unchecked": "ConnectionError", "on_error": on_error}
        if on_error == "fail_closed":
            assert reply.status_code == 503
            assert reply.json()["error"]["code"] == "limits_unavailable"
            assert "fail closed" in reply.json()["error"]["message"]
            assert stack.fake.received == []
        else:
            assert reply.status_code == 200
            assert len(stack.fake.received) == 1


def test_coach_note_reaches_the_caller_in_a_header(tmp_path: Path) -> None:
    policy = """\
policy: coach
rules:
  - id: redact-email
    when: { entities: [EMAIL_ADDRESS] }
    action: redact
    coach:
      ko: 이메일 주소는 가려서 보냈습니다. 고객 연락처는 붙여 넣지 마세요.
      en: The e-mail address was masked before sending.
  - id: warn-phone
    when: { entities: [PHONE_NUMBER] }
    action: warn
"""
    with gateway_stack(tmp_path, policy_text=policy) as stack:
        client = openai.OpenAI(
            api_key="sk-test",
            base_url=stack.url("/openai/v1"),
            max_retries=0,
            default_headers={"accept-language": "ko-KR"},
        )
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "mail kim@example.com"}]
        )
        note = unquote(raw.headers["x-haetae-notice"])
        assert note == "이메일 주소는 가려서 보냈습니다. 고객 연락처는 붙여 넣지 마세요."
        assert raw.headers["x-haetae-notice"].isascii()
        plain = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[{"role": "user", "content": "nothing here"}]
        )
        assert "x-haetae-notice" not in plain.headers
