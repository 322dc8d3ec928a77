"""The Extract stage: body and query segments, attachments and server references on the Exchange."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from gateway.errors import BadRequest
from gateway.exchange import Exchange
from gateway.extraction import Extract
from gateway.providers.endpoints import resolve_endpoint


async def _receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


def _exchange(family: str, method: str, path: str, body: Any, query: bytes = b"") -> Exchange:
    exchange = Exchange("id", method, path, query, [], None, _receive, None)  # type: ignore[arg-type]
    exchange.endpoint = resolve_endpoint(family, method, path)
    exchange.upstream_path = path
    exchange.body = orjson.dumps(body) if body is not None else b""
    return exchange


def test_attachments_references_and_query_land_on_the_exchange() -> None:
    body = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 10,
        "container": "container_1",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "hi"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iV"},
                    },
                    {"type": "document", "source": {"type": "file", "file_id": "file_1"}},
                ],
            }
        ],
    }
    exchange = _exchange("anthropic", "POST", "/v1/messages", body, b"beta=true&note=kim")
    asyncio.run(Extract()(exchange))
    assert [(s.location, s.text, s.form) for s in exchange.segments] == [
        ("messages[0].content[0].text", "hi", "text"),
        # ids of server-held state reach the provider too: scanned, scan-only
        ("container", "container_1", "fixed"),
        ("messages[0].content[2].source.file_id", "file_1", "fixed"),
        ("(path)", " v1 messages", "url"),  # the URL path (slashes as spaces), model: scan-only
        ("?*", "note", "url"),  # a parameter name that is not a known one
        ("?*", "kim", "query"),
        ("model", "claude-sonnet-4-6", "model"),
    ]
    assert exchange.attachments == ("image", "document")
    assert exchange.server_references == ("container_id", "file_id")
    assert exchange.model == "claude-sonnet-4-6"


def test_read_only_listings_have_their_query_scanned() -> None:
    exchange = _exchange("openai", "GET", "/v1/models", None, b"after=kim%40corp.kr")
    asyncio.run(Extract()(exchange))
    assert [(s.location, s.text) for s in exchange.segments] == [
        ("(path)", " v1 models"),
        ("?after", "kim@corp.kr"),
    ]


def test_the_url_path_is_scanned_percent_decoded() -> None:
    exchange = _exchange("openai", "GET", "/v1/models/900101%2D1234568", None)
    asyncio.run(Extract()(exchange))
    assert [(s.location, s.text) for s in exchange.segments] == [
        ("(path)", " v1 models 900101-1234568")
    ]


@pytest.mark.parametrize(
    ("body", "query", "message"),
    [
        ({"model": "m", "input": [[1, 2]]}, b"", "token-id input cannot be inspected"),
        ({"model": "m", "input": "x"}, b"note=%FF", "not UTF-8"),
    ],
)
def test_uninspectable_requests_are_refused(body: Any, query: bytes, message: str) -> None:
    exchange = _exchange("openai", "POST", "/v1/embeddings", body, query)
    with pytest.raises(BadRequest, match=message) as caught:
        asyncio.run(Extract()(exchange))
    assert caught.value.code == "uninspectable_content"
