"""The official SDKs with a proxy set and no base URL change reach the provider through Haetae.

The proxy intercepts TLS to the provider's real host (api.openai.com, ...) with a
CA made in the test; the gateway forwards to the provider's configured base URL,
here the fake provider on loopback. Nothing in these tests touches the network.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors, types

from tests.proxy.support import ProxyStack, proxy_stack
from tests.support.values import EMAIL, RRN


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyStack]:
    with proxy_stack(tmp_path_factory.mktemp("proxy")) as stack:
        yield stack


@pytest.fixture(autouse=True)
def _fresh(proxied: ProxyStack) -> None:
    proxied.stack.fake.reset()


@pytest.fixture
def openai_client(proxied: ProxyStack) -> Iterator[openai.OpenAI]:
    http = openai.DefaultHttpxClient(proxy=proxied.proxy_url, verify=proxied.verify())
    with openai.OpenAI(api_key="sk-test", max_retries=0, http_client=http) as client:
        yield client


def test_openai_chat_is_intercepted_inspected_and_forwarded(
    proxied: ProxyStack, openai_client: openai.OpenAI
) -> None:
    client = openai_client
    reply = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"mail {EMAIL} please"}]
    )
    assert reply.headers["x-haetae-decision"] == "redact"
    (received,) = proxied.stack.fake.received
    assert received.path == "/v1/chat/completions"
    assert EMAIL not in received.body.decode()  # redacted before it left
    assert received.headers["authorization"] == "Bearer sk-test"
    assert "proxy-authorization" not in received.headers
    record = proxied.stack.record(reply.headers["x-haetae-request-id"])
    assert record.provider == "openai"
    assert record.client_address == "127.0.0.1"


def test_a_resident_number_is_refused_in_openai_format(
    proxied: ProxyStack, openai_client: openai.OpenAI
) -> None:
    client = openai_client
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"주민번호 {RRN}"}]
        )
    assert refused.value.status_code == 403
    assert "pipa-resident-number" in str(refused.value)
    assert proxied.stack.fake.received == []
    request_id = refused.value.response.headers["x-haetae-request-id"]
    assert proxied.stack.record(request_id).decision == "block"


def test_several_requests_share_one_intercepted_connection(proxied: ProxyStack) -> None:
    leaves = proxied.stack.app.proxy.leaves  # type: ignore[union-attr]
    with proxied.client() as http:
        for _ in range(3):
            reply = http.get("https://api.openai.com/v1/models")
            assert reply.status_code == 200
    assert len(proxied.stack.fake.received) == 3
    assert "api.openai.com" in leaves._cache  # minted once, kept for the next handshake


def test_anthropic_messages_through_the_proxy(proxied: ProxyStack) -> None:
    # Anthropic's SDK brings its own httpx fork: its own client class, the same options.
    http = anthropic.DefaultHttpxClient(proxy=proxied.proxy_url, verify=proxied.verify())
    with anthropic.Anthropic(api_key="sk-ant-test", max_retries=0, http_client=http) as client:
        _anthropic_calls(proxied, client)


def _anthropic_calls(proxied: ProxyStack, client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": "hello"}]
    )
    assert message.content
    (received,) = proxied.stack.fake.received
    assert received.path == "/v1/messages"
    with pytest.raises(anthropic.PermissionDeniedError):
        client.messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=[{"role": "user", "content": RRN}]
        )
    assert len(proxied.stack.fake.received) == 1


def test_gemini_through_the_proxy(proxied: ProxyStack) -> None:
    client = genai.Client(
        api_key="gemini-test-key",
        http_options=types.HttpOptions(
            client_args={"proxy": proxied.proxy_url, "verify": proxied.verify()},
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )
    try:
        _gemini_calls(proxied, client)
    finally:
        client.close()


def _gemini_calls(proxied: ProxyStack, client: genai.Client) -> None:
    response = client.models.generate_content(model="gemini-2.5-flash", contents="Draft a memo")
    assert response.text == "echo: Draft a memo"
    (received,) = proxied.stack.fake.received
    assert received.path.endswith("/models/gemini-2.5-flash:generateContent")
    with pytest.raises(errors.ClientError) as refused:
        client.models.generate_content(model="gemini-2.5-flash", contents=f"RRN {RRN}")
    assert refused.value.code == 403


def test_https_proxy_variable_and_a_ca_bundle_are_enough(
    proxied: ProxyStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxied.proxy_url)
    monkeypatch.setenv("SSL_CERT_FILE", str(proxied.ca))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with openai.OpenAI(api_key="sk-test", max_retries=0) as client:  # SDK defaults, nothing else
        completion = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.choices
    assert len(proxied.stack.fake.received) == 1


def test_plain_http_absolute_form_goes_through_the_pipeline(proxied: ProxyStack) -> None:
    with httpx.Client(proxy=proxied.proxy_url, timeout=10) as http:
        reply = http.post(
            "http://api.openai.com/v1/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": RRN}]},
        )
    assert reply.status_code == 403
    assert reply.json()["error"]["code"]
    assert proxied.stack.fake.received == []


def test_a_streamed_answer_through_the_proxy(
    proxied: ProxyStack, openai_client: openai.OpenAI
) -> None:
    stream = openai_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"write to {EMAIL}"}],
        stream=True,
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text  # the fake provider echoes, event by event, through the decrypted tunnel
    assert EMAIL not in proxied.stack.fake.received[0].body.decode()


def test_nothing_the_caller_sent_reaches_the_log(
    proxied: ProxyStack, openai_client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(openai.PermissionDeniedError):
        openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"RRN {RRN}"}]
        )
    assert caplog.records  # the gateway did log
    assert RRN not in caplog.text
    assert RRN.replace("-", "") not in caplog.text
