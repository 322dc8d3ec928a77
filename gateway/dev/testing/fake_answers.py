"""Scripted answers: the fake provider says exactly what a test wants, cut where it wants.

Answer inspection is tested by what a provider writes, not by what the caller
asked, so a test sets ``FakeUpstream.scripted`` to a :class:`ScriptedAnswer`:
the text in the pieces it streams in (a value can be cut across events at a
chosen place), and optionally one tool call whose arguments stream in pieces
too. Every dialect's reply, streamed or not, is built from it in the shapes the
official SDKs accept (``fake_replies.py`` has the echo replies).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.dev.testing import fake_replies as fr

__all__ = ["ScriptedAnswer", "scripted_body", "scripted_events"]

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScriptedAnswer:
    """The text in its stream pieces; a tool call's name and its arguments' pieces."""

    pieces: tuple[str, ...]
    tool_name: str | None = None
    tool_pieces: tuple[str, ...] = ()

    def with_prompt(self, prompt: str) -> ScriptedAnswer:
        """``{prompt}`` in any piece becomes the caller's last text, as the provider got it
        (placeholders included): how a test makes a provider write a pseudonym back."""
        return ScriptedAnswer(
            tuple(piece.replace("{prompt}", prompt) for piece in self.pieces),
            self.tool_name,
            tuple(piece.replace("{prompt}", prompt) for piece in self.tool_pieces),
        )

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @property
    def arguments(self) -> str:
        return "".join(self.tool_pieces)


def scripted_body(kind: str, model: str, answer: ScriptedAnswer) -> JSON:
    """The non-streamed answer of ``kind`` (chat, responses, anthropic, generateContent)."""
    text, tool = answer.text, answer.tool_name
    if kind == "chat":
        body = fr.chat_completion(model, text, 1)
        if tool:
            message = body["choices"][0]["message"]
            message["tool_calls"] = [_chat_tool_call(tool, answer.arguments)]
            body["choices"][0]["finish_reason"] = "tool_calls"
        return body
    if kind == "responses":
        body = fr.response_reply(model, text, 1)
        if tool:
            body["output"].append(_function_call_item(tool, answer.arguments, "completed"))
        return body
    if kind == "anthropic":
        body = fr.anthropic_message(model, text, 1)
        if tool:
            body["content"].append(_tool_use(tool, orjson.loads(answer.arguments)))
            body["stop_reason"] = "tool_use"
        return body
    body = fr.gemini_response(model, text, 1, fr.count_tokens(text))
    if tool:
        call = {"functionCall": {"name": tool, "args": orjson.loads(answer.arguments)}}
        body["candidates"][0]["content"]["parts"].append(call)
    return body


def scripted_events(kind: str, model: str, answer: ScriptedAnswer) -> Iterator[bytes]:
    """The streamed answer of ``kind`` as SSE events, one per piece."""
    if kind == "chat":
        return _chat_events(model, answer)
    if kind == "responses":
        return _response_events(model, answer)
    if kind == "anthropic":
        return _anthropic_events(model, answer)
    return (fr.sse(chunk, eol=b"\r\n") for chunk in scripted_chunks(model, answer))


def scripted_chunks(model: str, answer: ScriptedAnswer) -> Iterator[JSON]:
    """Gemini stream chunks (SSE or the JSON array): the pieces, then the function call."""
    pieces = list(answer.pieces) or [""]
    chunks = list(fr.gemini_chunks(model, pieces, 1))
    if answer.tool_name:  # the call comes last, in the chunk that finishes
        call = {"functionCall": {"name": answer.tool_name, "args": orjson.loads(answer.arguments)}}
        last = orjson.loads(orjson.dumps(chunks[-1]))
        last["candidates"][0]["content"]["parts"] = [call]
        del chunks[-1]["candidates"][0]["finishReason"]
        chunks.append(last)
    yield from chunks


def _chat_tool_call(name: str, arguments: str) -> JSON:
    function = {"name": name, "arguments": arguments}
    return {"id": fr.new_id("call_"), "type": "function", "function": function}


def _chat_events(model: str, answer: ScriptedAnswer) -> Iterator[bytes]:
    base = {
        "id": fr.new_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
    }

    def chunk(delta: JSON, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return fr.sse({**base, "choices": [choice]})

    yield chunk({"role": "assistant", "content": ""})
    for piece in answer.pieces:
        yield chunk({"content": piece})
    if answer.tool_name:
        call = _chat_tool_call(answer.tool_name, "")
        yield chunk({"tool_calls": [{"index": 0, **call}]})
        for piece in answer.tool_pieces:
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    yield chunk({}, "tool_calls" if answer.tool_name else "stop")
    yield fr.SSE_DONE


def _function_call_item(name: str, arguments: str, status: str) -> JSON:
    return {
        "id": fr.new_id("fc_"),
        "type": "function_call",
        "call_id": fr.new_id("call_"),
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def _response_events(model: str, answer: ScriptedAnswer) -> Iterator[bytes]:
    """The text's events as the echo stream has them, then a streamed function call."""
    events = list(fr.response_events(model, list(answer.pieces) or [""], 1))
    if not answer.tool_name:
        yield from events
        return
    completed = orjson.loads(events[-1].split(b"data: ", 1)[1])
    yield from events[:-1]
    sequence = completed["sequence_number"]
    item = _function_call_item(answer.tool_name, "", "in_progress")

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal sequence
        sequence += 1
        return fr.sse({"type": kind, "sequence_number": sequence, **fields}, event=kind)

    yield event("response.output_item.added", output_index=1, item=item)
    where = {"item_id": item["id"], "output_index": 1}
    for piece in answer.tool_pieces:
        yield event("response.function_call_arguments.delta", **where, delta=piece)
    arguments = answer.arguments
    yield event("response.function_call_arguments.done", **where, arguments=arguments)
    done = {**item, "arguments": arguments, "status": "completed"}
    yield event("response.output_item.done", output_index=1, item=done)
    response = completed["response"]
    response["output"].append(done)
    yield event("response.completed", response=response)


def _tool_use(name: str, arguments: Any) -> JSON:
    return {"type": "tool_use", "id": fr.new_id("toolu_"), "name": name, "input": arguments}


def _anthropic_events(model: str, answer: ScriptedAnswer) -> Iterator[bytes]:
    events = list(fr.anthropic_events(model, list(answer.pieces) or [""], 1))
    tail = events[-2:]  # message_delta, message_stop
    yield from events[:-2]
    if answer.tool_name:
        block = {**_tool_use(answer.tool_name, {}), "input": {}}
        start = {"type": "content_block_start", "index": 1, "content_block": block}
        yield fr.sse(start, "content_block_start")
        for piece in answer.tool_pieces:
            delta = {"type": "input_json_delta", "partial_json": piece}
            event = {"type": "content_block_delta", "index": 1, "delta": delta}
            yield fr.sse(event, "content_block_delta")
        yield fr.sse({"type": "content_block_stop", "index": 1}, "content_block_stop")
    yield from tail
