"""Request trailers, sent over a raw socket: refused, never turned into forwarded headers.

uvicorn's stock httptools protocol appends a chunked body's trailer fields to the
request's headers (the first test shows it), so a trailer would be forwarded,
and believed, as a header. The gateway's own protocol keeps them apart and Read
body refuses the request; served by a stock protocol, a chunked body is refused.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.app import build_app
from gateway.dev.testing import FakeUpstream, ServerThread
from gateway.providers.catalog import load_catalog
from gateway.settings import load_settings
from tests.support.values import RRN

ROOT = Path(__file__).resolve().parents[2]

BODY = orjson.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]})
CLAUDE = orjson.dumps(
    {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
)


def _chunked(
    path: str, body: bytes, trailers: list[bytes], *headers: bytes, split: bool = False
) -> list[bytes]:
    """The request's bytes (in two parts with ``split``: the trailer comes later)."""
    head = b"".join(
        [
            f"POST {path} HTTP/1.1\r\n".encode(),
            b"Host: gateway\r\nContent-Type: application/json\r\nConnection: close\r\n",
            b"Transfer-Encoding: chunked\r\n",
            *(header + b"\r\n" for header in headers),
            b"\r\n",
        ]
    )
    chunks = head + f"{len(body):x}\r\n".encode() + body + b"\r\n"
    end = b"0\r\n" + b"".join(t + b"\r\n" for t in trailers) + b"\r\n"
    return [chunks, end] if split else [chunks + end]


def _exchange(server: Any, parts: list[bytes]) -> tuple[int, dict[str, str], bytes]:
    """Send ``parts`` over one connection; the status, headers and body of the answer."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        for index, part in enumerate(parts):
            if index:
                time.sleep(0.2)  # so that the trailer arrives after the app started reading
            sock.sendall(part)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _dechunk(body)
    return int(status_line.split()[1]), headers, body


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2 :]
    return out


def _store_bytes(stack) -> bytes:
    database = Path(stack.audit_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


def test_a_stock_httptools_server_merges_trailers_into_the_headers() -> None:
    """What the gateway defends against (uvicorn 0.55, httptools 0.9)."""
    seen: list[list[tuple[bytes, bytes]]] = []

    async def app(scope, receive, send) -> None:
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        seen.append(list(scope["headers"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    parts = _chunked("/", b"hi", [b"X-Forwarded-User: ceo"])
    with ServerThread(app, http="httptools") as server:
        assert _exchange(server, parts)[0] == 204
    assert (b"x-forwarded-user", b"ceo") in seen[0]


@pytest.mark.parametrize("split", [False, True], ids=["with-the-body", "later"])
def test_a_trailer_is_refused_and_nothing_is_forwarded(fake, stack, split: bool) -> None:
    parts = _chunked(
        "/openai/v1/chat/completions",
        BODY,
        [f"X-Smuggled: {RRN}".encode(), b"X-Forwarded-User: ceo"],
        split=split,
    )
    status, headers, body = _exchange(stack.server, parts)
    assert status == 400
    error = orjson.loads(body)["error"]
    assert error["code"] == "request_trailers" and error["type"] == "invalid_request_error"
    assert "does not accept request trailers" in error["message"]
    assert "smuggled" not in error["message"].lower()  # a field's name is the caller's text
    assert fake.received == []
    record = stack.record(headers["x-haetae-request-id"])
    assert (record.decision, record.status, record.error) == ("error", 400, "request_trailers")
    assert RRN.encode() not in _store_bytes(stack)


def test_the_refusal_speaks_the_provider_s_format_and_the_caller_s_language(fake, stack) -> None:
    parts = _chunked(
        "/anthropic/v1/messages",
        CLAUDE,
        [b"X-Smuggled: 1"],
        b"Accept-Language: ko-KR,ko;q=0.9,en;q=0.5",
        b"anthropic-version: 2023-06-01",
    )
    status, _, body = _exchange(stack.server, parts)
    assert status == 400
    answer = orjson.loads(body)
    assert answer["type"] == "error" and answer["error"]["type"] == "invalid_request_error"
    assert "트레일러" in answer["error"]["message"]
    assert fake.received == []


def test_a_chunked_body_without_trailers_is_forwarded_as_scanned(fake, stack) -> None:
    parts = _chunked("/openai/v1/chat/completions", BODY, [])
    status, _, _ = _exchange(stack.server, parts)
    assert status == 200
    (received,) = fake.received
    assert orjson.loads(received.body) == orjson.loads(BODY)
    assert "x-smuggled" not in received.headers


@pytest.mark.slow  # a second gateway with its own fake provider, in threads
def test_served_by_a_stock_protocol_a_chunked_body_is_refused(tmp_path: Path) -> None:
    """The stock protocol cannot say which fields came after the body: fail closed."""
    fake = FakeUpstream()
    with ServerThread(fake) as upstream:
        overrides = {f"providers.{pid}.base_url": upstream.base_url for pid in load_catalog()}
        overrides |= {
            "policy": str(ROOT / "policies" / "default.yaml"),
            "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
        }
        app = build_app(load_settings(environ={}, overrides=overrides), environ={})
        with ServerThread(app, lifespan="on", http="httptools") as stock:
            parts = _chunked("/openai/v1/chat/completions", BODY, [])
            status, _, body = _exchange(stock, parts)
            assert status == 400
            assert orjson.loads(body)["error"]["code"] == "request_trailers"
            assert fake.received == []
            # a body with a Content-Length is unaffected
            request = (
                b"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n"
                b"Content-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
                + BODY
            )
            assert _exchange(stock, [request])[0] == 200
            assert len(fake.received) == 1
