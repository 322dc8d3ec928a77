"""Token usage as the provider reports it, read from the response on its way through.

``UsageMeter`` wraps an upstream response and looks at the chunks it relays:
a JSON body is kept (up to ``MAX_JSON_BYTES``) and parsed once at the end; an
event stream is scanned line by line and only ``data:`` lines that mention
usage are parsed (OpenAI's final chunk with ``stream_options.include_usage``,
Anthropic's ``message_start``/``message_delta``, the Responses API's
``response.completed``, Gemini's ``usageMetadata``). A compressed body is not
decoded for this: its usage stays unknown (None), as does any body past the cap.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.upstream.base import UpstreamResponse

__all__ = ["MAX_JSON_BYTES", "UsageMeter", "usage_from"]

MAX_JSON_BYTES = 256 * 1024
_MAX_LINE = 64 * 1024

_NAMES = {
    "prompt_tokens": "input_tokens",
    "input_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "output_tokens": "output_tokens",
    "total_tokens": "total_tokens",
    "cache_read_input_tokens": "cached_input_tokens",
    "promptTokenCount": "input_tokens",
    "candidatesTokenCount": "output_tokens",
    "totalTokenCount": "total_tokens",
    "cachedContentTokenCount": "cached_input_tokens",
}


def usage_from(document: Any) -> dict[str, int]:
    """The token counts in one response object or stream event, in Haetae's names."""
    if not isinstance(document, dict):
        return {}
    found: dict[str, int] = {}
    for holder in (document, document.get("message"), document.get("response")):
        if not isinstance(holder, dict):
            continue
        for key in ("usage", "usageMetadata"):
            block = holder.get(key)
            if isinstance(block, dict):
                for name, value in block.items():
                    ours = _NAMES.get(name)
                    if ours and isinstance(value, int) and not isinstance(value, bool):
                        found[ours] = value
    return found


class UsageMeter:
    """An UpstreamResponse that passes every chunk through and notes the usage in it."""

    def __init__(self, response: UpstreamResponse) -> None:
        self._response = response
        self.status_code = response.status_code
        content_type = encoding = b""
        for name, value in response.raw_headers():
            lower = name.lower()
            if lower == b"content-type":
                content_type = value.lower()
            elif lower == b"content-encoding":
                encoding = value.lower().strip()
        readable = encoding in (b"", b"identity")
        self._stream = readable and content_type.startswith(b"text/event-stream")
        self._json = readable and b"json" in content_type
        self._body = bytearray()
        self._partial = b""
        self._usage: dict[str, int] = {}

    @property
    def usage(self) -> dict[str, int] | None:
        return dict(self._usage) if self._usage else None

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return self._response.raw_headers()

    async def aclose(self) -> None:
        await self._response.aclose()

    async def chunks(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.chunks():
            if self._stream:
                self._feed_events(chunk)
            elif self._json:
                self._feed_json(chunk)
            yield chunk
        if self._json and self._body:
            with contextlib.suppress(orjson.JSONDecodeError):
                self._usage.update(usage_from(orjson.loads(self._body)))
            self._body = bytearray()

    def _feed_json(self, chunk: bytes) -> None:
        if len(self._body) + len(chunk) > MAX_JSON_BYTES:
            self._json = False
            self._body = bytearray()
            return
        self._body += chunk

    def _feed_events(self, chunk: bytes) -> None:
        data = self._partial + chunk if self._partial else chunk
        if b"sage" not in data:  # "usage" / "usageMetadata", the cheap common case
            self._partial = data[data.rfind(b"\n") + 1 :][-_MAX_LINE:]
            return
        lines = data.split(b"\n")
        tail = lines.pop()
        self._partial = tail if len(tail) <= _MAX_LINE else b""
        for line in lines:
            if b"sage" in line and line.startswith(b"data:"):
                try:
                    self._usage.update(usage_from(orjson.loads(line[5:])))
                except orjson.JSONDecodeError:
                    continue
