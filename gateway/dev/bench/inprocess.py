"""Driving the gateway's ASGI app in this process, no sockets: the benches that measure
its own work (telemetry, answers) send the same chat request this way."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["chat_scope", "one_body"]


def chat_scope() -> dict[str, Any]:
    """A fresh ASGI scope for ``POST /openai/v1/chat/completions`` from a loopback client."""
    return {
        "type": "http",
        "method": "POST",
        "path": "/openai/v1/chat/completions",
        "raw_path": b"/openai/v1/chat/completions",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"authorization", b"Bearer sk-x")],
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
