"""OpenAI Chat Completions (``POST /v1/chat/completions``) and its many compatible vendors.

Every message role is scanned: a secret pasted into a system prompt leaks just like
one typed by a user, and replayed assistant turns or tool results carry user data
back upstream. So are participant names, tool and function definitions (their
descriptions and parameter schemas reach the model verbatim), structured-output
schemas, stop sequences, metadata values and the end-user fields. Attachments are
recorded by kind; inline text files are decoded and scanned. Content parts the
module does not know are refused; other unknown fields are scanned as free-form
JSON (``Extraction.fields``).
"""

from __future__ import annotations

from typing import Any

from gateway.providers.dialect import (
    SCHEMA_KEYS,
    Extraction,
    Handler,
    JSONBodyDialect,
    JSONPath,
    UninspectableContent,
    format_location,
    read_text,
    refers_to,
    require_object,
)
from gateway.providers.openai_parts import read_content

__all__ = ["OpenAIChat"]

#: request fields that tune or route the call and carry no user text
_STRUCTURAL_FIELDS = frozenset(
    {
        "model",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "n",
        "max_tokens",
        "max_completion_tokens",
        "frequency_penalty",
        "presence_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "seed",
        "service_tier",
        "store",
        "parallel_tool_calls",
        "tool_choice",
        "function_call",
        "modalities",
        "audio",
        "reasoning_effort",
        "verbosity",
        "prompt_cache_retention",
        "prompt_cache_options",
        "moderation",
    }
)
#: message keys that are not data (``name`` is: it is often a person's name)
_STRUCTURAL_MESSAGE_KEYS = frozenset({"role", "tool_call_id", "prompt_cache_breakpoint"})
_TOOL_KEYS = SCHEMA_KEYS | {"search_context_size"}


def _arguments(field: str) -> Handler:
    """A call object whose ``field`` holds what the model wrote (often JSON text)."""

    def read(call: Any, path: JSONPath, found: Extraction) -> None:
        if isinstance(call, dict):
            found.free(call.get(field), (*path, field))

    return read


_CALL_KINDS: dict[str, Handler] = {
    "function": _arguments("arguments"),
    "custom": _arguments("input"),
}


def _tool_call(call: Any, path: JSONPath, found: Extraction) -> None:
    """A replayed tool call: the arguments are model output that echoes user data."""
    if not isinstance(call, dict):
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")
    found.fields(call, _CALL_KINDS, path, frozenset({"id", "type", "index"}))


def _tool_calls(calls: Any, path: JSONPath, found: Extraction) -> None:
    found.items(calls, path, _tool_call)


_MESSAGE_FIELDS: dict[str, Handler] = {
    "content": read_content,
    "name": read_text,
    "refusal": read_text,
    "tool_calls": _tool_calls,
    "function_call": _arguments("arguments"),
    "audio": refers_to("audio_id", "id"),  # an earlier audio answer, held upstream
}


def _message(message: Any, path: JSONPath, found: Extraction) -> None:
    message = require_object(message, path, "message")
    found.fields(message, _MESSAGE_FIELDS, path, _STRUCTURAL_MESSAGE_KEYS)


def _messages(messages: Any, path: JSONPath, found: Extraction) -> None:
    found.items(messages, path, _message)


def _prediction(prediction: Any, path: JSONPath, found: Extraction) -> None:
    """Predicted output is sent upstream verbatim, so it is data like any prompt."""
    if prediction is not None:
        prediction = require_object(prediction, path, "prediction")
        read_content(prediction.get("content"), (*path, "content"), found)


def _definitions(value: Any, path: JSONPath, found: Extraction) -> None:
    """Tools, functions and output schemas: descriptions, schemas, enum values."""
    found.free(value, path, _TOOL_KEYS)


_BODY_FIELDS: dict[str, Handler] = {
    "messages": _messages,
    "prediction": _prediction,
    "tools": _definitions,
    "functions": _definitions,
    "response_format": _definitions,
    "web_search_options": _definitions,
}


class OpenAIChat(JSONBodyDialect):
    """Segments of a Chat Completions request, in document order."""

    api = "chat"
    body_fields = _BODY_FIELDS
    structural_fields = _STRUCTURAL_FIELDS
