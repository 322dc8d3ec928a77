"""Answers the gateway writes itself: refusals in the provider's format, health."""

from __future__ import annotations

import orjson

from gateway.providers.refusals import render_error
from gateway.types import Send

__all__ = ["send_json", "send_refusal"]


async def send_json(
    send: Send,
    status: int,
    body: bytes,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if extra_headers:
        headers.extend(extra_headers)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_refusal(
    send: Send,
    family: str,
    status: int,
    code: str,
    message: str,
    extra_headers: list[tuple[bytes, bytes]],
) -> None:
    """The provider's own error JSON, so its SDK raises its usual exception."""
    await send_json(send, status, render_error(family, status, message, code), extra_headers)


def json_bytes(value: object) -> bytes:
    return orjson.dumps(value)
