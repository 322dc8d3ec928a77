"""The new policy language through a real gateway: warnings, allow-lists, subjects, endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pytest

from gateway.dev.testing import FakeUpstream, ServerThread
from tests.support.stack import gateway_stack

POLICY = """
policy: language-e2e
default_language: en
detection:
  allow:
    - {values: [help@example.co.kr], entities: [EMAIL_ADDRESS]}
rules:
  - id: big-prompt
    when: {prompt_chars: {min: 200}}
    action: warn
    message: {en: Large prompt; check it., ko: 요청이 큽니다. 확인하세요.}
  - {id: mail, when: {entities: [EMAIL_ADDRESS]}, action: redact}
  # the fake provider listens on loopback, so its host resolves to "private"
  - {id: only-private-endpoints, when: {not: {endpoint.ip_country: [private]}}, action: block}
  - id: no-anthropic-from-loopback
    when: {provider: [anthropic], source: [127.0.0.0/8]}
    action: block
"""


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerThread, FakeUpstream]]:
    with gateway_stack(tmp_path_factory.mktemp("language"), policy_text=POLICY) as stack:
        yield stack.server, stack.fake


def chat(
    server: ServerThread, text: str, provider: str = "openai", **headers: str
) -> httpx.Response:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
    path = "/openai/v1/chat/completions" if provider == "openai" else "/anthropic/v1/messages"
    if provider == "anthropic":
        body["max_tokens"] = 10
    return httpx.post(
        server.url(path), json=body, headers={"authorization": "Bearer k", **headers}, timeout=10
    )


def test_warn_forwards_and_tells_the_client_in_its_language(gateway) -> None:
    server, fake = gateway
    fake.reset()
    english = chat(server, "x" * 300)
    assert english.status_code == 200 and len(fake.received) == 1
    assert english.headers["x-haetae-decision"] == "warn"
    assert unquote(english.headers["x-haetae-warning"]) == (
        "Haetae policy 'language-e2e' (rule big-prompt): Large prompt; check it."
    )
    korean = chat(server, "x" * 300, **{"accept-language": "ko-KR,ko;q=0.9"})
    assert "요청이 큽니다" in unquote(korean.headers["x-haetae-warning"])
    assert "x-haetae-warning" not in chat(server, "short").headers


def test_allow_listed_values_are_neither_edited_nor_counted(gateway) -> None:
    server, fake = gateway
    fake.reset()
    reply = chat(server, "write to help@example.co.kr or kim@example.co.kr")
    assert reply.status_code == 200
    sent = fake.received[0].body.decode()
    assert "help@example.co.kr" in sent and "kim@example.co.kr" not in sent


def test_subject_source_and_provider_conditions_apply(gateway) -> None:
    server, fake = gateway
    fake.reset()
    refused = chat(server, "hello", provider="anthropic")
    assert refused.status_code == 403 and "no-anthropic-from-loopback" in refused.text
    assert fake.received == []
