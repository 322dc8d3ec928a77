"""A provider that attacks the gateway through its answers, for tests and the benchmark.

The gateway trusts nothing an upstream sends; these are the ways an upstream
(compromised, or a malicious "compatible" endpoint) can try to hurt it or the
other clients it serves. Without an ``x-hostile`` request header the request is
answered by an ordinary :class:`FakeUpstream`, so one server can play the
well-behaved provider and the hostile one at the same time.

* ``x-hostile: endless`` - a stream whose one event never ends: ``data: {...`` and
  then ``x-hostile-bytes`` of text, never a blank line, then the connection closes;
* ``x-hostile: giant`` - one well-formed event of ``x-hostile-bytes``, then a normal end;
* ``x-hostile: drip`` - an event that starts and then grows by one byte every
  ``x-hostile-interval-ms`` (default 50) and never ends;
* ``x-hostile: headers`` - an ordinary answer carrying spoofed ``x-haetae-*`` and
  other headers no client should see from a provider;
* ``x-hostile: huge-json`` - a non-streamed JSON answer of ``x-hostile-bytes``;
* ``x-hostile: gzip`` - a gzip-compressed answer although ``identity`` was asked for.

Events are shaped in the request's dialect (OpenAI, Anthropic, Gemini), so the
gateway cannot tell them from a real stream before they misbehave. The bodies
are plain iterators (:func:`hostile_body`), so unit tests can feed exactly the
bytes the server sends to a parser.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator
from typing import Any

from gateway.dev.testing import fake_replies as fr
from gateway.dev.testing.fake_upstream import (
    FakeUpstream,
    Receive,
    Scope,
    Send,
    _lifespan,
    _read_body,
    _route,
    _wait_disconnect,
)

__all__ = ["HOSTILE_MODES", "SPOOFED_HEADERS", "HostileUpstream", "hostile_body"]

HOSTILE_MODES = ("endless", "giant", "drip", "headers", "huge-json", "gzip")
DEFAULT_BYTES = 8 * 1024 * 1024
CHUNK = 64 * 1024

#: what ``x-hostile: headers`` adds to an ordinary answer
SPOOFED_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-haetae-request-id", b"spoofed-request-id"),
    (b"x-haetae-decision", b"allow"),
    (b"X-Haetae-Warning", b"none%20-%20all%20clear"),
    (b"x-haetae-policy", b"forged"),
    (b"set-cookie", b"session=stolen; Path=/"),
    (b"x-internal-debug", b"upstream-host-42"),
    (b"strict-transport-security", b"max-age=0"),
    (b"content-security-policy", b"default-src *"),
    (b"access-control-allow-origin", b"*"),
]

_SSE = (b"content-type", b"text/event-stream; charset=utf-8")
_JSON = (b"content-type", b"application/json")


def _event_start(dialect: str) -> bytes:
    """The opening of a text-delta event in ``dialect``, up to the open text string."""
    if dialect == "anthropic":
        return (
            b"event: content_block_delta\n"
            b'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'
        )
    if dialect == "gemini":
        return b'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"'
    return (
        b'data: {"id":"chatcmpl-hostile","object":"chat.completion.chunk",'
        b'"choices":[{"index":0,"delta":{"content":"'
    )


def _event_end(dialect: str) -> bytes:
    if dialect == "gemini":
        return b'"}]},"index":0}]}\n\n'
    if dialect == "anthropic":
        return b'"}}\n\n'
    return b'"},"finish_reason":null}]}\n\n'


def _stream_end(dialect: str) -> bytes:
    if dialect == "anthropic":
        return fr.sse({"type": "message_stop"}, event="message_stop")
    if dialect == "gemini":
        return b""
    return fr.SSE_DONE


def _filler(total: int, chunk: int) -> Iterator[bytes]:
    """``total`` bytes of harmless text in pieces of ``chunk``: no bracket, no line end."""
    piece = (b"lorem ipsum dolor sit amet " * (chunk // 27 + 1))[:chunk]
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield piece[:size]
        sent += size


def hostile_body(
    mode: str, dialect: str, total: int = DEFAULT_BYTES, chunk: int = CHUNK
) -> Iterator[bytes]:
    """The body of ``mode`` (not ``drip``, which is timed, nor ``headers``), chunk by chunk."""
    if mode == "endless":
        yield _event_start(dialect)
        yield from _filler(total, chunk)
    elif mode == "giant":
        yield _event_start(dialect)
        yield from _filler(total, chunk)
        yield _event_end(dialect) + _stream_end(dialect)
    elif mode in ("huge-json", "gzip"):
        body = _json_body(dialect, total, chunk)
        if mode == "gzip":
            yield gzip.compress(b"".join(body))
        else:
            yield from body
    else:
        raise ValueError(f"no body for hostile mode {mode!r}")


def _json_body(dialect: str, total: int, chunk: int) -> Iterator[bytes]:
    if dialect == "anthropic":
        head = (
            b'{"id":"msg_hostile","type":"message","role":"assistant",'
            b'"content":[{"type":"text","text":"'
        )
        tail = b'"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}'
    elif dialect == "gemini":
        head = b'{"candidates":[{"content":{"role":"model","parts":[{"text":"'
        tail = b'"}]},"finishReason":"STOP","index":0}]}'
    else:
        head = (
            b'{"id":"chatcmpl-hostile","object":"chat.completion","model":"gpt-4o",'
            b'"choices":[{"index":0,"message":{"role":"assistant","content":"'
        )
        tail = b'"},"finish_reason":"stop"}]}'
    yield head
    yield from _filler(total, chunk)
    yield tail


class HostileUpstream:
    """ASGI app: the attack named by ``x-hostile``, else an ordinary fake provider."""

    def __init__(self, fake: FakeUpstream | None = None) -> None:
        self.fake = fake or FakeUpstream()
        self.served: list[str] = []  # modes served, for tests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        mode = headers.get("x-hostile")
        if mode is None:
            await self.fake(scope, receive, send)
            return
        if mode == "headers":
            self.served.append(mode)
            await self.fake(scope, receive, _adding_headers(send))
            return
        body = await _read_body(receive)
        if body is None:
            return
        self.served.append(mode)
        kind, _ = _route(scope["method"], scope["path"])
        dialect = {"anthropic": "anthropic"}.get(kind, "openai")
        if kind in ("generateContent", "streamGenerateContent"):
            dialect = "gemini"
        total = _int(headers.get("x-hostile-bytes"), DEFAULT_BYTES)
        watcher = asyncio.create_task(_wait_disconnect(receive))
        try:
            await self._attack(mode, dialect, total, headers, send, watcher)
        finally:
            watcher.cancel()

    async def _attack(
        self,
        mode: str,
        dialect: str,
        total: int,
        headers: dict[str, str],
        send: Send,
        watcher: asyncio.Task[None],
    ) -> None:
        start: list[tuple[bytes, bytes]] = [(b"x-request-id", b"req_hostile")]
        if mode in ("huge-json", "gzip"):
            start.append(_JSON)
            if mode == "gzip":
                start.append((b"content-encoding", b"gzip"))
        elif mode in ("endless", "giant", "drip"):
            start += [_SSE, (b"cache-control", b"no-cache")]
        else:
            raise ValueError(f"unknown hostile mode {mode!r}")
        await send({"type": "http.response.start", "status": 200, "headers": start})
        if mode == "drip":
            chunks: Iterator[bytes] = _drip(dialect, total)
            interval = _int(headers.get("x-hostile-interval-ms"), 50) / 1000
        else:
            chunks = hostile_body(mode, dialect, total)
            interval = 0.0
        for index, chunk in enumerate(chunks):
            if interval and index:
                done, _ = await asyncio.wait({watcher}, timeout=interval)
            else:
                await asyncio.sleep(0)  # let other requests (and a disconnect) be served
                done = {watcher} if watcher.done() else set()
            if done:
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _drip(dialect: str, total: int) -> Iterator[bytes]:
    yield _event_start(dialect)
    for _ in range(total):
        yield b"a"


def _adding_headers(send: Send) -> Send:
    async def spoofing(message: Any) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message["headers"], *SPOOFED_HEADERS]}
        await send(message)

    return spoofing


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
