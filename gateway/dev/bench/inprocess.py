"""Driving the gateway's ASGI app in this process, no sockets: the benches that measure
its own work (telemetry, answers) send the same chat request this way."""

from __future__ import annotations

from typing import Any

__all__ = ["chat_scope"]


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
