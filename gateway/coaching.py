"""A coach note written into the answer itself, where the user reads the model's words.

``x-haetae-notice`` carries a redacting or warning rule's note on every answer,
but chat applications built on the SDKs seldom show headers. With the policy's
``coach_in_answer: true`` the note also opens the answer's text, for the APIs
whose answer shape is known: Chat Completions (``choices[].message.content``,
streamed as ``choices[].delta.content``), Anthropic Messages (the first text
block, streamed as the first ``text_delta``) and Gemini (the first text part
of the first candidate, streamed or not). Only a text field the provider sent
is prefixed, so the answer's structure (block indexes, tool calls, usage) is
untouched and the SDKs parse it as ever; an answer with no text (a tool call
alone, an error) goes through unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.upstream.events import EventFramer

__all__ = ["COACHED_APIS", "coached", "note_text", "prefix_document"]

COACHED_APIS = frozenset({"chat", "messages", "generate_content"})


def note_text(note: str) -> str:
    """How the note opens the answer: marked as the gateway's, set apart by a blank line."""
    return f"[Haetae] {note}\n\n"


def prefix_document(document: Any, api: str, prefix: str, streamed: bool) -> bool:
    """Prefix the first text field of one answer (or stream event) in place; True if done."""
    if not isinstance(document, dict):
        return False
    if api == "chat":
        for choice in document.get("choices") or ():
            holder = (
                choice.get("delta" if streamed else "message") if isinstance(choice, dict) else None
            )
            if isinstance(holder, dict) and isinstance(holder.get("content"), str):
                holder["content"] = prefix + holder["content"]
                return True
        return False
    if api == "messages":
        if streamed:
            delta = document.get("delta")
            if (
                document.get("type") == "content_block_delta"
                and isinstance(delta, dict)
                and delta.get("type") == "text_delta"
                and isinstance(delta.get("text"), str)
            ):
                delta["text"] = prefix + delta["text"]
                return True
            return False
        return _prefix_first(document.get("content"), prefix, kind="text")
    candidates = document.get("candidates")
    if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
        content = candidates[0].get("content")
        if isinstance(content, dict):
            return _prefix_first(content.get("parts"), prefix, kind=None)
    return False


def _prefix_first(items: Any, prefix: str, kind: str | None) -> bool:
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            continue
        if kind is not None and item.get("type") != kind:
            continue
        if item.get("thought") is True:  # Gemini's thinking summary is not the answer
            continue
        item["text"] = prefix + item["text"]
        return True
    return False


async def coached(
    chunks: AsyncIterator[bytes],
    api: str,
    note: str,
    event_stream: bool,
    max_bytes: int,
) -> AsyncIterator[bytes]:
    """``chunks`` with the note opening the answer's text; at most ``max_bytes`` held.

    A JSON answer is read whole (bounded), prefixed and re-serialized; a larger or
    unreadable one passes unchanged. An event stream is framed until the first
    event with a text field, which is prefixed; every later byte passes as it came.
    """
    prefix = note_text(note)
    if not event_stream:
        held = bytearray()
        async for chunk in chunks:
            held += chunk
            if len(held) > max_bytes:  # not a chat answer's size: leave it be
                yield bytes(held)
                async for rest in chunks:
                    yield rest
                return
        try:
            document = orjson.loads(held)
        except orjson.JSONDecodeError:
            yield bytes(held)
            return
        yield (
            orjson.dumps(document) if prefix_document(document, api, prefix, False) else bytes(held)
        )
        return
    framer = EventFramer(max_bytes)
    iterator = aiter(chunks)
    async for chunk in iterator:
        out = bytearray()
        for event, terminator in framer.feed(chunk):
            if prefix and (changed := _prefixed_event(event, api, prefix)) is not None:
                event, prefix = changed, ""
            out += event + terminator
        if not prefix:  # done: what is framed so far goes, then the rest as it comes
            out += framer.rest()
            if out:
                yield bytes(out)
            break
        if out:
            yield bytes(out)
    else:
        if rest := framer.rest():
            yield rest
        return
    async for chunk in iterator:
        yield chunk


def _prefixed_event(event: bytes, api: str, prefix: str) -> bytes | None:
    """The event with its text prefixed, or None when it carries no text field."""
    lines = event.splitlines()
    data = [i for i, line in enumerate(lines) if line.startswith(b"data:")]
    if len(data) != 1:
        return None
    (index,) = data
    try:
        document = orjson.loads(lines[index][5:])
    except orjson.JSONDecodeError:
        return None
    if not prefix_document(document, api, prefix, True):
        return None
    lines[index] = b"data: " + orjson.dumps(document)
    return b"\n".join(lines)
