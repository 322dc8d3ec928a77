"""Reading request bodies: limits and encodings."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest

from gateway.body import ReadBody
from gateway.errors import BadRequest, PayloadTooLarge, UnsupportedMedia
from gateway.exchange import Exchange


def exchange_for(chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> Exchange:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return Exchange("id", "POST", "/openai/v1/chat/completions", b"", headers, None, receive, None)  # type: ignore[arg-type]


def read(chunks: list[bytes], *headers: tuple[bytes, bytes], limit: int = 1000) -> Exchange:
    exchange = exchange_for(chunks, list(headers))
    asyncio.run(ReadBody(limit)(exchange))
    return exchange


def test_body_in_several_chunks_is_joined() -> None:
    assert read([b"ab", b"cd", b"ef"]).body == b"abcdef"


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(PayloadTooLarge, match="1000 bytes"):
        read([b"x"], (b"content-length", b"5000"))


def test_streamed_body_over_the_limit_is_refused() -> None:
    with pytest.raises(PayloadTooLarge):
        read([b"x" * 600, b"x" * 600])


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        (b"gzip", gzip.compress),
        (b"deflate", zlib.compress),
        (b"deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some send
    ],
)
def test_compressed_bodies_are_decoded_and_the_header_dropped(encoding, compress) -> None:
    exchange = read([compress(b'{"a": 1}')], (b"content-encoding", encoding))
    assert exchange.body == b'{"a": 1}'
    assert exchange.header(b"content-encoding") is None


def test_a_small_gzip_bomb_cannot_expand_past_the_limit() -> None:
    bomb = gzip.compress(b"0" * 10_000_000)  # ~10 KB that would expand to 10 MB
    with pytest.raises(PayloadTooLarge):
        read([bomb], (b"content-encoding", b"gzip"), limit=20_000)


def test_corrupt_compressed_body_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="Content-Encoding"):
        read([b"not gzip"], (b"content-encoding", b"gzip"))


@pytest.mark.parametrize("encoding", [b"br", b"zstd", b"compress"])
def test_other_encodings_are_unsupported(encoding: bytes) -> None:
    with pytest.raises(UnsupportedMedia, match="identity, gzip or deflate"):
        read([b"x"], (b"content-encoding", encoding))


def test_client_leaving_before_the_body_ends_is_a_bad_request() -> None:
    exchange = exchange_for([], [])
    with pytest.raises(BadRequest, match="closed the connection"):
        asyncio.run(ReadBody(100)(exchange))
