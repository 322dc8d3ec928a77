"""The ICAP pieces that need no server: parsing, chunked bodies, message helpers, names,
and the table of requests waiting for their answers."""

from __future__ import annotations

import asyncio

import pytest

from gateway.icap.adapter import IcapAdapter
from gateway.icap.messages import request_line, status_line, status_of, target_of
from gateway.icap.protocol import Body, IcapError, Limits, parse_http_head, parse_icap_head
from gateway.icap.transactions import AnswerNotSeen, Transaction, Vouched, Waiting
from gateway.icap.webapps import WebAppGate
from gateway.proxy.destinations import Destinations
from gateway.settings import IcapSettings, TrustedHeaderSettings
from tests.icap.support import b64

LIMITS = Limits(max_header_bytes=65536, timeout=2.0)


def test_repeated_icap_headers_are_joined_and_the_service_is_the_path() -> None:
    request = parse_icap_head(
        b"REQMOD icap://proxy.example:1344/reqmod?mode=x ICAP/1.0\r\n"
        b"Allow: 204\r\nAllow: trailers\r\nEncapsulated: req-hdr=0, null-body=20\r\n\r\n"
    )
    assert request.service == "/reqmod"
    assert request.allows_204 and request.headers["allow"] == "204, trailers"
    assert request.body_section is None
    assert parse_icap_head(b"OPTIONS icap://proxy ICAP/1.0\r\n\r\n").service == "/"


@pytest.mark.parametrize(
    "encapsulated",
    ["req-hdr=0, res-hdr=x, res-body=9", "req-hdr=0, res-hdr=9", "bogus=0", "req-hdr"],
)
def test_a_malformed_encapsulated_header_is_400(encapsulated: str) -> None:
    head = f"RESPMOD icap://h/respmod ICAP/1.0\r\nEncapsulated: {encapsulated}\r\n\r\n"
    with pytest.raises(IcapError) as error:
        parse_icap_head(head.encode())
    assert error.value.status == 400


def test_a_non_ascii_head_and_a_bad_preview_are_400() -> None:
    with pytest.raises(IcapError):
        parse_icap_head("REQMOD icap://h/reqmod ICAP/1.0\r\nX: é\r\n\r\n".encode())
    request = parse_icap_head(
        b"REQMOD icap://h/reqmod ICAP/1.0\r\nPreview: -1\r\nEncapsulated: null-body=0\r\n\r\n"
    )
    with pytest.raises(IcapError):
        _ = request.preview


@pytest.mark.parametrize(
    "raw",
    [b"GET / HTTP/1.1\r\nHost: a\r\n", b"\r\nHost: a\r\n\r\n", b"GET / HTTP/1.1\r\n x: y\r\n\r\n"],
)
def test_a_malformed_encapsulated_head_is_400(raw: bytes) -> None:
    with pytest.raises(IcapError):
        parse_http_head(raw)


async def _read(data: bytes, preview: int | None = None) -> tuple[list[bytes], int]:
    reader = asyncio.StreamReader(limit=4096)
    reader.feed_data(data)
    reader.feed_eof()
    continues = 0

    async def send_continue() -> None:
        nonlocal continues
        continues += 1

    lines = ["REQMOD icap://h/reqmod ICAP/1.0", "Encapsulated: req-hdr=0, req-body=10"]
    if preview is not None:
        lines.append(f"Preview: {preview}")
    request = parse_icap_head(("\r\n".join(lines) + "\r\n\r\n").encode())
    body = Body(reader, request, LIMITS, send_continue)
    parts = []
    while (part := await body.read()) is not None:
        parts.append(part)
    return parts, continues


def test_chunks_with_extensions_and_a_preview_that_asks_for_more() -> None:
    parts, continues = asyncio.run(_read(b"3\r\nabc\r\n0\r\n\r\n4;x=y\r\ndefg\r\n0\r\n\r\n", 3))
    assert (parts, continues) == ([b"abc", b"defg"], 1)
    parts, continues = asyncio.run(_read(b"3\r\nabc\r\n0; ieof\r\n\r\n", 5))
    assert (parts, continues) == ([b"abc"], 0)


@pytest.mark.parametrize(
    "data",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",  # size not hex
        b"-3\r\nabc\r\n0\r\n\r\n",  # negative
        b"3\r\nabcd\r\n0\r\n\r\n",  # chunk longer than said
        b"0\r\nTrailer: x\r\n\r\n",  # trailers
        b"3\r\nab",  # closed inside a chunk
        b"3",  # closed inside a size line
        b"1" * 2000 + b"\r\n",  # a size line without end
    ],
)
def test_a_broken_chunked_body_is_400(data: bytes) -> None:
    with pytest.raises(IcapError) as error:
        asyncio.run(_read(data))
    assert error.value.status == 400


def test_request_lines_targets_and_status_lines() -> None:
    assert request_line(parse_http_head(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")) == ("GET", b"/x")
    with pytest.raises(IcapError):
        request_line(parse_http_head(b"GET /x\r\n\r\n"))
    assert target_of(b"api.openai.com:443", None) is None  # CONNECT: not a request to judge
    assert target_of(b"/v1/models", None) is None  # origin-form without a Host
    assert target_of(b"https://[::1]:8443/v1?a=b", None) == ("::1", "https", b"/v1", b"a=b")
    assert target_of(b"http:///nohost", None) is None
    assert target_of(b"HTTPS://API.OpenAI.com:443/v1/x?a=b&c=/d", None) == (
        "api.openai.com",
        "https",
        b"/v1/x",
        b"a=b&c=/d",
    )
    assert target_of(b"http://h?x=1", None) == ("h", "http", b"/", b"x=1")
    assert target_of(b"https://user@h/x#part", None) == ("h", "https", b"/x", b"")
    assert status_of(parse_http_head(b"HTTP/1.1 201 Created\r\n\r\n")) == 201
    with pytest.raises(IcapError):
        status_of(parse_http_head(b"HTTP/1.1 OK fine\r\n\r\n"))
    assert status_line(599) == b"HTTP/1.1 599 Unknown"


def _adapter(encoding: str) -> IcapAdapter:
    async def handle(*_: object) -> None:
        return None

    settings = IcapSettings(user_encoding=encoding)  # type: ignore[arg-type]
    nowhere = Destinations(dict)  # no provider: names are all this needs
    no_web_apps = WebAppGate(None, str)  # type: ignore[arg-type]  # never asked here
    trusted = TrustedHeaderSettings()
    return IcapAdapter(handle, nowhere, Waiting(1), settings, trusted, bool, str, no_web_apps, str)


@pytest.mark.parametrize(
    ("encoding", "sent", "name"),
    [
        ("auto", b64("kim.minsu"), "kim.minsu"),
        ("auto", b64("WinNT://CORP/kim"), "CORP/kim"),
        ("auto", "lee.jiwoo", "lee.jiwoo"),
        ("auto", b64("김민수"), "김민수"),
        ("plain", b64("kim"), b64("kim")),
        ("base64", "lee.jiwoo", None),  # not base64: nobody
        ("auto", "x" * 300, None),  # too long
        ("auto", b64("a\x00b"), b64("a\x00b")),  # decodes to control characters: plain
        ("auto", "   ", None),
    ],
)
def test_the_proxys_user_name_in_either_encoding(
    encoding: str, sent: str, name: str | None
) -> None:
    assert _adapter(encoding)._name(sent) == name


def test_the_oldest_waiting_request_gives_up_when_the_table_is_full() -> None:
    async def scenario() -> None:
        waiting = Waiting(2)
        first, second, third = (Transaction(key, Vouched()) for key in ("a", "a", "b"))
        for transaction in (first, second, third):
            waiting.add(transaction)
        assert len(waiting) == 2
        with pytest.raises(AnswerNotSeen):
            first.answer.result()
        assert waiting.take("a") is second  # first in, first paired
        assert waiting.take("a") is None
        assert waiting.take("b") is third and len(waiting) == 0

    asyncio.run(scenario())


def test_a_preview_longer_than_its_preview_header_is_400() -> None:
    with pytest.raises(IcapError) as error:
        asyncio.run(_read(b"5\r\nabcde\r\n0\r\n\r\n", 3))
    assert error.value.status == 400
