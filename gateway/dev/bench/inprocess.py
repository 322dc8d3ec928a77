"""Driving the gateway's ASGI app in this process, no sockets: the benches that measure
its own work (telemetry, answers) send the same chat request this way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["CLIENT_HEADERS", "chat_scope", "one_body"]

#: the headers ``haetae bench``'s load generator (aiohttp) sends with a chat request, but
#: for its ``content-length``: since every forwarded header value is scanned, a scope with
#: fewer costs less than a served request does
CLIENT_HEADERS = [
    (b"host", b"127.0.0.1:8080"),
    (b"authorization", b"Bearer sk-x"),
    (b"content-type", b"application/json"),
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"user-agent", b"Python/3.11 aiohttp/3.14.5"),
]


def chat_scope(headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    """A fresh ASGI scope for ``POST /openai/v1/chat/completions`` from a loopback client;
    ``headers``: its headers (by default a content type and a key only)."""
    return {
        "type": "http",
        "method": "POST",
        "path": "/openai/v1/chat/completions",
        "raw_path": b"/openai/v1/chat/completions",
        "query_string": b"",
        "headers": headers
        if headers is not None
        else [(b"content-type", b"application/json"), (b"authorization", b"Bearer sk-x")],
        "client": ("127.0.0.1", 50000),
    }


def one_body(body: bytes) -> Callable[[], Awaitable[Any]]:
    """An ASGI ``receive`` that gives ``body`` once, then waits (a client that stays)."""
    delivered = False
    never = asyncio.Event()

    async def receive() -> Any:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    return receive
