"""The hostile upstream must misbehave as each mode says, or the gateway tests prove nothing."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import orjson
import pytest

from gateway.dev.testing import ServerThread
from gateway.dev.testing.hostile_upstream import SPOOFED_HEADERS, HostileUpstream

pytestmark = pytest.mark.timeout(30)

CHAT = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(HostileUpstream()) as served:
        yield served


def post(server: ServerThread, path: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url(path), json=CHAT, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("path", "start"),
    [
        ("/v1/chat/completions", b'data: {"id":"chatcmpl-hostile"'),
        ("/v1/messages", b"event: content_block_delta\ndata: {"),
        ("/v1beta/models/g:streamGenerateContent", b'data: {"candidates"'),
    ],
)
def test_endless_is_one_event_in_the_dialect_that_never_ends(
    server: ServerThread, path: str, start: bytes
) -> None:
    response = post(server, path, {"x-hostile": "endless", "x-hostile-bytes": "300000"})
    assert response.headers["content-type"].startswith("text/event-stream")
    body = response.content
    assert body.startswith(start) and len(body) > 300_000
    assert b"\n\n" not in body and b"\r\r" not in body


def test_giant_is_one_whole_event_then_a_normal_end(server: ServerThread) -> None:
    body = post(server, "/v1/chat/completions", {"x-hostile": "giant", "x-hostile-bytes": "300000"})
    events = body.content.split(b"\n\n")
    assert len(events[0]) > 300_000 and orjson.loads(events[0][6:])["choices"]
    assert events[1:] == [b"data: [DONE]", b""]


def test_drip_sends_its_event_a_byte_at_a_time(server: ServerThread) -> None:
    headers = {"x-hostile": "drip", "x-hostile-bytes": "20", "x-hostile-interval-ms": "1"}
    with httpx.stream(
        "POST", server.url("/v1/chat/completions"), json=CHAT, headers=headers, timeout=10
    ) as response:
        pieces = list(response.iter_raw())
    assert pieces[-20:] == [b"a"] * 20


def test_headers_are_spoofed_on_an_ordinary_answer(server: ServerThread) -> None:
    response = post(server, "/v1/chat/completions", {"x-hostile": "headers"})
    for name, value in SPOOFED_HEADERS:
        assert response.headers[name.decode()] == value.decode()
    assert response.text.startswith("data: ")


def test_huge_json_and_gzip_are_valid_json_bodies(server: ServerThread) -> None:
    huge = post(server, "/v1/messages", {"x-hostile": "huge-json", "x-hostile-bytes": "100000"})
    assert len(huge.json()["content"][0]["text"]) == 100_000
    headers = {"x-hostile": "gzip", "x-hostile-bytes": "1000", "accept-encoding": "identity"}
    with httpx.stream(
        "POST", server.url("/v1/chat/completions"), json=CHAT, headers=headers, timeout=10
    ) as packed:
        raw = b"".join(packed.iter_raw())
    assert packed.headers["content-encoding"] == "gzip"
    assert orjson.loads(gzip.decompress(raw))["choices"]


def test_without_the_header_it_is_the_ordinary_fake(server: ServerThread) -> None:
    response = httpx.post(
        server.url("/v1/chat/completions"), json={**CHAT, "stream": False}, timeout=10
    )
    assert response.json()["choices"][0]["message"]["content"] == "echo: hi"
