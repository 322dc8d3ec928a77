"""Reply bodies and stream events for each API dialect the fake upstream speaks.

Kept apart from the ASGI plumbing so that the exact shapes the official SDKs
need (field names, event order, SSE framing) live in one place and can be
checked against the installed SDK types without reading any server code.
Every builder here is a pure function; streams are generators so that a
10 000-chunk stream costs no memory up front.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

JSON = dict[str, Any]

#: Filler appended when more stream chunks are asked for than the reply has characters.
FILLER = " lorem"


def new_id(prefix: str) -> str:
    """A provider-looking identifier; unique so SDK stream helpers can tell items apart."""
    return prefix + uuid.uuid4().hex[:24]


def count_tokens(text: str) -> int:
    """Pretend tokens are words: plausible for usage numbers, free to compute."""
    return len(text.split())


# --- splitting a reply into stream chunks ------------------------------------------------------


def split_reply(text: str, n: int) -> list[str]:
    """Cut ``text`` into exactly ``n`` non-empty pieces that join back to it.

    Whole words are kept together when there are enough of them, otherwise the
    cut falls between characters. When ``n`` exceeds the character count the
    reply is padded with ``FILLER`` words (long-stream tests need many chunks,
    not a particular text).
    """
    n = max(1, n)
    words = re.findall(r"\s*\S+\s*$|\s*\S+", text) or [text]
    if len(words) >= n:
        return ["".join(words[i * len(words) // n : (i + 1) * len(words) // n]) for i in range(n)]
    if len(text) >= n:
        return [text[i * len(text) // n : (i + 1) * len(text) // n] for i in range(n)]
    return list(text) + [FILLER] * (n - len(text))


# --- SSE framing -------------------------------------------------------------------------------


def sse(data: JSON, event: str | None = None, eol: bytes = b"\n") -> bytes:
    """One server-sent event; Gemini uses CRLF line ends, the others LF."""
    head = b"event: " + event.encode() + eol if event else b""
    return head + b"data: " + orjson.dumps(data) + eol + eol


SSE_DONE = b"data: [DONE]\n\n"


# --- OpenAI Chat Completions -------------------------------------------------------------------


def _chat_usage(prompt_tokens: int, completion_tokens: int) -> JSON:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def chat_completion(model: str, reply: str, prompt_tokens: int) -> JSON:
    """A non-streaming ``chat.completion`` object."""
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": _chat_usage(prompt_tokens, count_tokens(reply)),
        "system_fingerprint": "fp_fake",
    }


def chat_events(
    model: str, pieces: Sequence[str], prompt_tokens: int, include_usage: bool
) -> Iterator[bytes]:
    """``chat.completion.chunk`` events: role, content pieces, finish, [usage], ``[DONE]``."""
    base = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
    }
    if include_usage:
        base["usage"] = None

    def chunk(delta: JSON, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**base, "choices": [choice]})

    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces:
        yield chunk({"content": piece})
    yield chunk({}, "stop")
    if include_usage:
        usage = _chat_usage(prompt_tokens, count_tokens("".join(pieces)))
        yield sse({**base, "choices": [], "usage": usage})
    yield SSE_DONE


# --- OpenAI Responses --------------------------------------------------------------------------


def _message_item(item_id: str, text: str, status: str) -> JSON:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content if status == "completed" else [],
    }


def response_object(
    model: str,
    output: list[JSON],
    input_tokens: int,
    output_tokens: int,
    *,
    response_id: str | None = None,
    status: str = "completed",
) -> JSON:
    """A ``response`` object; ``output`` is empty while the stream is in progress."""
    done = status == "completed"
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
    now = time.time()
    return {
        "id": response_id or new_id("resp_"),
        "object": "response",
        "created_at": int(now),
        "completed_at": int(now) if done else None,
        "status": status,
        "model": model,
        "output": output,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "top_p": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": {"type": "text"}},
        "truncation": "disabled",
        "usage": usage if done else None,
    }


def response_reply(model: str, reply: str, input_tokens: int) -> JSON:
    """A completed non-streaming Responses answer."""
    item = _message_item(new_id("msg_"), reply, "completed")
    return response_object(model, [item], input_tokens, count_tokens(reply))


def response_events(model: str, pieces: Sequence[str], input_tokens: int) -> Iterator[bytes]:
    """The event sequence ``client.responses.stream()`` accumulates without complaint."""
    response_id, item_id = new_id("resp_"), new_id("msg_")
    seq = iter(range(1 << 62))

    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, "sequence_number": next(seq), **fields}, event=kind)

    pending = response_object(
        model, [], input_tokens, 0, response_id=response_id, status="in_progress"
    )
    yield event("response.created", response=pending)
    yield event("response.in_progress", response=pending)
    yield event(
        "response.output_item.added", output_index=0, item=_message_item(item_id, "", "in_progress")
    )
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    empty_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    yield event("response.content_part.added", **where, part=empty_part)
    text = []
    for piece in pieces:
        text.append(piece)
        yield event("response.output_text.delta", **where, delta=piece, logprobs=[])
    reply = "".join(text)
    yield event("response.output_text.done", **where, text=reply, logprobs=[])
    yield event("response.content_part.done", **where, part={**empty_part, "text": reply})
    item = _message_item(item_id, reply, "completed")
    yield event("response.output_item.done", output_index=0, item=item)
    final = response_object(
        model, [item], input_tokens, count_tokens(reply), response_id=response_id
    )
    yield event("response.completed", response=final)


# --- OpenAI Embeddings -------------------------------------------------------------------------


def embedding_inputs(value: Any) -> list[str]:
    """Normalise ``input`` (str, [str], [int] or [[int]]) to one key string per vector."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [orjson.dumps(value).decode()]
    if isinstance(value, list):
        return [v if isinstance(v, str) else orjson.dumps(v).decode() for v in value]
    return [orjson.dumps(value).decode()]


def embedding_vector(key: str, dims: int) -> list[float]:
    """Deterministic unit-ish vector from a hash, already rounded to float32.

    Rounding to float32 makes the ``float`` and ``base64`` encodings decode to
    identical numbers, so tests can compare them with ``==``.
    """
    raw = b""
    counter = 0
    while len(raw) < dims * 4:
        raw += hashlib.sha256(f"{counter}:{key}".encode()).digest()
        counter += 1
    ints = struct.unpack(f"<{dims}I", raw[: dims * 4])
    values = [(i / 0xFFFFFFFF) * 2.0 - 1.0 for i in ints]
    return list(struct.unpack(f"<{dims}f", struct.pack(f"<{dims}f", *values)))


def embeddings_reply(model: str, keys: list[str], encoding_format: str, dims: int) -> JSON:
    """A ``list`` of ``embedding`` objects in float or base64 (float32 little-endian)."""
    data = []
    for index, key in enumerate(keys):
        vector = embedding_vector(key, dims)
        encoded: list[float] | str = vector
        if encoding_format == "base64":
            encoded = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(max(1, count_tokens(k)) for k in keys)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": model, "usage": usage}


# --- Anthropic Messages ------------------------------------------------------------------------


def _anthropic_usage(input_tokens: int, output_tokens: int) -> JSON:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def anthropic_message(model: str, reply: str, input_tokens: int) -> JSON:
    """A non-streaming ``message`` object."""
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": _anthropic_usage(input_tokens, count_tokens(reply)),
    }


def anthropic_events(model: str, pieces: Sequence[str], input_tokens: int) -> Iterator[bytes]:
    """``message_start`` … ``message_stop``, each framed as ``event: X`` + ``data:``."""
    start = anthropic_message(model, "", input_tokens)
    start.update(content=[], stop_reason=None, usage=_anthropic_usage(input_tokens, 1))
    yield sse({"type": "message_start", "message": start}, "message_start")
    block = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    yield sse(block, "content_block_start")
    yield sse({"type": "ping"}, "ping")
    for piece in pieces:
        delta = {"type": "content_block_delta", "index": 0}
        yield sse({**delta, "delta": {"type": "text_delta", "text": piece}}, "content_block_delta")
    yield sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
    done = {"stop_reason": "end_turn", "stop_sequence": None}
    usage = {"output_tokens": count_tokens("".join(pieces))}
    delta_event = {"type": "message_delta", "delta": done, "usage": usage}
    yield sse(delta_event, "message_delta")
    yield sse({"type": "message_stop"}, "message_stop")


# --- Gemini --------------------------------------------------------------------------------------


def _gemini_usage(prompt_tokens: int, candidate_tokens: int | None) -> JSON:
    """Like the real API, unfinished stream chunks report no candidate count yet."""
    usage: JSON = {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens}
    if candidate_tokens is not None:
        usage["candidatesTokenCount"] = candidate_tokens
        usage["totalTokenCount"] = prompt_tokens + candidate_tokens
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt_tokens}]
    return usage


def gemini_response(
    model: str,
    text: str,
    prompt_tokens: int,
    candidate_tokens: int | None,
    *,
    finished: bool = True,
    response_id: str | None = None,
) -> JSON:
    """A ``GenerateContentResponse``; stream chunks are the same shape, unfinished."""
    candidate: JSON = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finished:
        candidate["finishReason"] = "STOP"
    return {
        "candidates": [candidate],
        "usageMetadata": _gemini_usage(prompt_tokens, candidate_tokens),
        "modelVersion": model,
        "responseId": response_id or new_id(""),
    }


def gemini_chunks(model: str, pieces: Sequence[str], prompt_tokens: int) -> Iterator[JSON]:
    """Stream chunks; the last one carries ``finishReason`` and full usage like the real API."""
    response_id = new_id("")
    for piece in pieces[:-1]:
        yield gemini_response(
            model, piece, prompt_tokens, None, finished=False, response_id=response_id
        )
    tokens = count_tokens("".join(pieces))
    last = pieces[-1] if pieces else ""
    yield gemini_response(model, last, prompt_tokens, tokens, response_id=response_id)


# --- errors --------------------------------------------------------------------------------------

_OPENAI_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_GEMINI_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error_body(dialect: str, status: int, message: str) -> JSON:
    """The error body each provider returns, so each SDK raises its usual exception."""
    if dialect == "anthropic":
        kind = _ANTHROPIC_ERRORS.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        return {"type": "error", "error": {"type": kind, "message": message}}
    if dialect == "gemini":
        code = _GEMINI_STATUS.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")
        return {"error": {"code": status, "message": message, "status": code}}
    kind, code_name = _OPENAI_ERRORS.get(
        status, ("server_error", None) if status >= 500 else ("invalid_request_error", None)
    )
    return {"error": {"message": message, "type": kind, "param": None, "code": code_name}}


# --- models --------------------------------------------------------------------------------------

OPENAI_MODELS = ("gpt-4o-mini", "gpt-4.1", "o4-mini", "text-embedding-3-small")
ANTHROPIC_MODELS = ("claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-7")
GEMINI_MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004")


def model_info(dialect: str, model_id: str) -> JSON:
    """One model description in the dialect's shape."""
    if dialect == "anthropic":
        return {
            "type": "model",
            "id": model_id,
            "display_name": model_id.replace("-", " ").title(),
            "created_at": "2025-01-01T00:00:00Z",
            "lifecycle": "active",
        }
    if dialect == "gemini":
        name = model_id if model_id.startswith("models/") else "models/" + model_id
        return {
            "name": name,
            "version": "001",
            "displayName": name.removeprefix("models/"),
            "description": "Fake model served by the Haetae test upstream.",
            "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        }
    return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": "haetae-fake"}


def model_list(dialect: str) -> JSON:
    """The models listing in the dialect's shape."""
    if dialect == "anthropic":
        data = [model_info(dialect, m) for m in ANTHROPIC_MODELS]
        return {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"],
            "last_id": data[-1]["id"],
        }
    if dialect == "gemini":
        return {"models": [model_info(dialect, m) for m in GEMINI_MODELS]}
    return {"object": "list", "data": [model_info(dialect, m) for m in OPENAI_MODELS]}
