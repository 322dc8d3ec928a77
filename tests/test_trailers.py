"""Read body's check for trailers, with the list a server keeps (or none)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gateway.body import ReadBody
from gateway.detect import SUPPORTED_ENTITIES
from gateway.errors import BadRequest
from gateway.exchange import Exchange
from gateway.policy import load_policy
from gateway.trailers import TRAILERS, request_trailers

ROOT = Path(__file__).resolve().parents[1]
POLICY = load_policy(ROOT / "policies" / "default.yaml", SUPPORTED_ENTITIES)
CHUNKED = (b"transfer-encoding", b"chunked")


def _read(trailers: list[str] | None, *headers: tuple[bytes, bytes]) -> Exchange:
    messages = [{"type": "http.request", "body": b"{}", "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    exchange = Exchange("id", "POST", "/openai/v1/chat/completions", b"", list(headers), None,
                        receive, POLICY, trailers=trailers)  # fmt: skip
    asyncio.run(ReadBody(1000)(exchange))
    return exchange


def test_a_body_that_ended_with_trailers_is_refused_in_the_caller_s_language() -> None:
    with pytest.raises(BadRequest, match="does not accept request trailers") as refused:
        _read(["x-smuggled"], CHUNKED)
    assert refused.value.code == "request_trailers"
    with pytest.raises(BadRequest, match="트레일러"):
        _read(["x-smuggled"], CHUNKED, (b"accept-language", b"ko"))


def test_a_chunked_body_is_refused_when_the_server_keeps_no_list() -> None:
    with pytest.raises(BadRequest, match="cannot tell trailer fields from headers"):
        _read(None, CHUNKED)


@pytest.mark.parametrize(
    ("trailers", "headers"),
    [([], [CHUNKED]), (None, []), (None, [(b"content-length", b"2")])],
    ids=["chunked-none-sent", "no-list-not-chunked", "no-list-with-length"],
)
def test_bodies_without_trailers_are_read(trailers, headers) -> None:
    assert _read(trailers, *headers).body == b"{}"


def test_the_list_is_read_from_the_scope_extension() -> None:
    names: list[str] = []
    assert request_trailers({"extensions": {TRAILERS: names}}) is names
    assert request_trailers({"extensions": {}}) is None
    assert request_trailers({}) is None
