"""The coach note's place in answers of each shape, and what is left alone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import orjson

from gateway.coaching import coached, prefix_document

P = "[Haetae] note\n\n"


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def run(*parts: bytes, api: str = "chat", stream: bool = True, limit: int = 1 << 20) -> bytes:
    async def go() -> bytes:
        out = b""
        async for chunk in coached(_chunks(*parts), api, "note", stream, limit):
            out += chunk
        return out

    return asyncio.run(go())


def test_text_fields_per_api() -> None:
    tool_only = {"choices": [{"message": {"content": None, "tool_calls": []}}]}
    assert not prefix_document(tool_only, "chat", P, False)
    blocks = {"content": [{"type": "tool_use", "id": "t"}, {"type": "text", "text": "hi"}]}
    assert prefix_document(blocks, "messages", P, False)
    assert blocks["content"][1]["text"] == P + "hi"
    thinking = {"candidates": [{"content": {"parts": [{"text": "...", "thought": True},
                                                      {"text": "answer"}]}}]}  # fmt: skip
    assert prefix_document(thinking, "generate_content", P, False)
    assert thinking["candidates"][0]["content"]["parts"][1]["text"] == P + "answer"
    assert not prefix_document({"candidates": []}, "generate_content", P, False)
    assert not prefix_document(["not", "an", "answer"], "chat", P, False)
    start = {"type": "content_block_start", "content_block": {"type": "text", "text": ""}}
    assert not prefix_document(start, "messages", P, True)


def test_a_stream_is_prefixed_once_across_chunk_cuts() -> None:
    first = b'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\r\n\r\n'
    second = b'data: {"choices":[{"delta":{"content":"hello"}}]}\n\n'
    body = b": keep-alive\n\n" + first + second + b"data: [DONE]\n\n"
    out = run(body[:20], body[20:57], body[57:])
    events = [e for e in re.split(rb"\r?\n\r?\n", out) if e.startswith(b"data: {")]
    contents = [orjson.loads(e[6:])["choices"][0]["delta"]["content"] for e in events]
    assert contents == [P, "hello"]
    assert out.endswith(b"data: [DONE]\n\n") and out.startswith(b": keep-alive\n\n")


def test_a_stream_without_text_passes_unchanged() -> None:
    body = b'event: ping\ndata: {"type":"ping"}\n\ndata: {"partial'
    assert run(body[:10], body[10:], api="messages") == body


def test_whole_answers_left_alone_when_not_json_or_too_large() -> None:
    assert run(b"not json", stream=False) == b"not json"
    big = orjson.dumps({"choices": [{"message": {"content": "x" * 100}}]})
    assert run(big[:50], big[50:], stream=False, limit=60) == big
    done = run(big, stream=False)
    assert orjson.loads(done)["choices"][0]["message"]["content"].startswith(P)
