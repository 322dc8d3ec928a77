"""Header handling and error mapping of the upstream client."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.settings import ForwardSettings, TimeoutSettings
from gateway.upstream import (
    build_upstream,
    relayable_response_headers,
    strip_query_credentials,
    upstream_request_headers,
)


def test_hop_by_hop_and_connection_named_headers_are_not_relayed() -> None:
    raw = httpx.Response(
        200,
        headers=[
            ("Content-Type", "application/json"),
            ("Connection", "keep-alive, X-Secret-Hop"),
            ("X-Secret-Hop", "1"),
            ("Transfer-Encoding", "chunked"),
            ("Keep-Alive", "timeout=5"),
            ("X-Request-Id", "req_1"),
        ],
    )
    assert relayable_response_headers(raw.headers.raw) == [
        (b"content-type", b"application/json"),
        (b"x-request-id", b"req_1"),
    ]


def test_response_headers_cross_only_from_the_allow_list() -> None:
    raw = [
        (b"Content-Type", b"text/event-stream"),
        (b"X-Haetae-Request-Id", b"forged"),
        (b"x-haetae-decision", b"allow"),
        (b"Set-Cookie", b"a=b"),
        (b"Access-Control-Allow-Origin", b"*"),
        (b"Server", b"evil"),
        (b"Date", b"Mon, 01 Jan 2001 00:00:00 GMT"),  # the gateway's server sets its own
        (b"request-id", b"req_a"),
        (b"anthropic-ratelimit-requests-remaining", b"9"),
        (b"openai-processing-ms", b"12"),
        (b"x-ratelimit-remaining-tokens", b"100"),
        (b"retry-after-ms", b"20"),
        (b"x-should-retry", b"false"),
    ]
    assert [name for name, _ in relayable_response_headers(raw)] == [
        b"content-type",
        b"request-id",
        b"anthropic-ratelimit-requests-remaining",
        b"openai-processing-ms",
        b"x-ratelimit-remaining-tokens",
        b"retry-after-ms",
        b"x-should-retry",
    ]


def test_request_headers_keep_the_callers_and_drop_the_rest() -> None:
    headers = [
        (b"host", b"gateway:8080"),
        (b"authorization", b"Bearer mine"),
        (b"content-length", b"10"),
        (b"x-haetae-user", b"kim"),
        (b"te", b"trailers"),
        (b"anthropic-version", b"2023-06-01"),
    ]
    assert upstream_request_headers(headers, None) == [
        (b"authorization", b"Bearer mine"),
        (b"anthropic-version", b"2023-06-01"),
    ]
    injected = (b"x-api-key", b"held")
    assert upstream_request_headers(headers, injected) == [
        (b"anthropic-version", b"2023-06-01"),
        (b"x-api-key", b"held"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"key=abc", b""),
        (b"alt=sse&key=abc", b"alt=sse"),
        (b"keyword=1&alt=sse", b"keyword=1&alt=sse"),
        # every credential parameter, by decoded name, in any case, for every family
        (b"KEY=900101-1234568&alt=sse", b"alt=sse"),
        (b"api_key=a&Api-Key=b&apikey=c&access_token=d&x-goog-api-key=e&n=1", b"n=1"),
        (b"%6Bey=900101-1234568&n=1", b"n=1"),
    ],
)
def test_strip_query_credentials(query: bytes, expected: bytes) -> None:
    assert strip_query_credentials(query) == expected


def open_with(handler) -> None:
    client = build_upstream(ForwardSettings(), TimeoutSettings(), httpx.MockTransport(handler))

    async def go() -> None:
        try:
            await client.open("openai", "POST", "https://api.example/v1/x", [], b"{}")
        finally:
            await client.aclose()

    asyncio.run(go())


def test_connect_errors_become_502() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(UpstreamUnreachable, match="could not reach provider 'openai'"):
        open_with(refuse)


@pytest.mark.parametrize(
    ("error", "phase"),
    [(httpx.ConnectTimeout, "connecting to"), (httpx.ReadTimeout, "waiting for an answer")],
)
def test_timeouts_become_504(error: type[httpx.TimeoutException], phase: str) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise error("slow", request=request)

    with pytest.raises(UpstreamTimeout, match=phase):
        open_with(slow)
