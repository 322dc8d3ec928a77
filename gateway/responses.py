"""Answers the gateway writes itself: refusals in the provider's format, health."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from gateway.providers.refusals import render_error
from gateway.types import Send

if TYPE_CHECKING:
    from gateway.exchange import Exchange

__all__ = ["protocol_error_message", "send_json", "send_refusal", "stream_error_event"]

#: why an upstream's answer was cut off (``UpstreamProtocolError.reason``), in ko and en
_PROTOCOL_REASONS = {
    "event_too_large": {
        "en": "it sent a stream event larger than the gateway relays",
        "ko": "게이트웨이가 전달하는 한도보다 큰 스트림 이벤트를 보냈습니다",
    },
    "stalled": {
        "en": "it began a stream event and did not finish it in time",
        "ko": "스트림 이벤트를 시작한 뒤 제한 시간 안에 끝내지 않았습니다",
    },
    "answer_too_large": {
        "en": "its answer was larger than the gateway reads to inspect",
        "ko": "게이트웨이가 검사를 위해 읽는 한도보다 큰 응답을 보냈습니다",
    },
    "unrequested_encoding": {
        "en": "it compressed the answer although the gateway asked for it uncompressed",
        "ko": "게이트웨이가 압축하지 않은 응답을 요청했는데 압축된 응답을 보냈습니다",
    },
}
_PROTOCOL_MESSAGE = {
    "en": "Haetae stopped the answer of provider '{provider}': {reason}. Request id: {id}",
    "ko": "Haetae가 공급자 '{provider}'의 응답을 중단했습니다: {reason}. 요청 ID: {id}",
}


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


def protocol_error_message(exchange: Exchange, reason: str) -> str:
    """What the client reads when an upstream's answer broke a limit, in its language."""
    language = exchange.language()
    reasons = _PROTOCOL_REASONS.get(reason) or _PROTOCOL_REASONS["event_too_large"]
    provider = exchange.provider.id if exchange.provider is not None else "?"
    return _PROTOCOL_MESSAGE[language].format(
        provider=provider, reason=reasons[language], id=exchange.request_id
    )


def stream_error_event(family: str, status: int, code: str, message: str) -> bytes:
    """The provider's own mid-stream error event, so its SDK raises its usual error.

    OpenAI's and Gemini's SDKs raise on a ``data:`` event whose JSON has an
    ``error`` member; Anthropic's on an event named ``error``.
    """
    data = b"data: " + render_error(family, status, message, code) + b"\n\n"
    return b"event: error\n" + data if family == "anthropic" else data
