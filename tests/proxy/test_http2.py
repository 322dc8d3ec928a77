"""HTTP/2 clients through the intercepting proxy: same pipeline, same refusals."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.proxy.support import ProxyStack, proxy_stack
from tests.support.values import EMAIL, RRN


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyStack]:
    with proxy_stack(tmp_path_factory.mktemp("proxy-h2")) as stack:
        yield stack


@pytest.fixture
def http2(proxied: ProxyStack) -> Iterator[httpx.Client]:
    proxied.stack.fake.reset()
    with proxied.client(http2=True) as client:
        yield client


def chat(text: str, **extra: object) -> dict[str, object]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


def test_requests_on_one_http2_connection(proxied: ProxyStack, http2: httpx.Client) -> None:
    url = "https://api.openai.com/v1/chat/completions"
    replies = [http2.post(url, json=chat(f"mail {EMAIL} #{i}")) for i in range(3)]
    assert [r.http_version for r in replies] == ["HTTP/2"] * 3
    assert [r.status_code for r in replies] == [200] * 3
    assert all(EMAIL not in r.body.decode() for r in proxied.stack.fake.received)
    assert len(proxied.stack.fake.received) == 3
    record = proxied.stack.record(replies[0].headers["x-haetae-request-id"])
    assert record.provider == "openai"


def test_a_refusal_over_http2(proxied: ProxyStack, http2: httpx.Client) -> None:
    reply = http2.post("https://api.openai.com/v1/chat/completions", json=chat(f"RRN {RRN}"))
    assert reply.http_version == "HTTP/2"
    assert reply.status_code == 403
    assert "pipa-resident-number" in reply.json()["error"]["message"]
    assert proxied.stack.fake.received == []


def test_a_large_body_and_a_streamed_answer_over_http2(proxied: ProxyStack) -> None:
    http = openai.DefaultHttpxClient(proxy=proxied.proxy_url, verify=proxied.verify(), http2=True)
    with openai.OpenAI(api_key="sk-test", max_retries=0, http_client=http) as client:
        big = "quarterly numbers. " * 20_000  # ~380 KB: several flow-control windows
        reply = client.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": big}]
        )
        assert reply.http_response.http_version == "HTTP/2"
        assert len(proxied.stack.fake.received[-1].body) > len(big)
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "hello" in text


def test_the_block_page_over_http2(http2: httpx.Client) -> None:
    page = http2.get("https://claude.ai/", headers={"accept-language": "ko"})
    assert page.http_version == "HTTP/2"
    assert page.status_code == 403
    assert "회사 정책에 따라 차단되었습니다" in page.text


def test_refusals_before_the_body_leave_the_connection_usable(
    proxied: ProxyStack, http2: httpx.Client
) -> None:
    # An unknown path is refused before the body is read. The rest of the body is
    # drained, not reset: httpx sends a whole body before reading the answer and
    # treats a reset stream as a protocol error. Each unread body must not shrink
    # the connection's window for good, or the connection would stall.
    url = "https://api.openai.com/v1/not-an-api"
    for size in (50_000, 200_000, 300_000):  # beyond the 64 KB stream and connection windows
        assert http2.post(url, content=b"x" * size).status_code == 403
    reply = http2.post("https://api.openai.com/v1/chat/completions", json=chat("still there?"))
    assert (reply.http_version, reply.status_code) == ("HTTP/2", 200)
