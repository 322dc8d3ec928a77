"""OpenAI Chat Completions (``POST /v1/chat/completions``) and its many compatible vendors.

Every message role is scanned: a secret pasted into a system prompt leaks just like
one typed by a user, and replayed assistant turns or tool results carry user data
back upstream. Participant ``name`` and tool schemas are identifiers, not data, and
are left alone. Anything that is neither known text nor a known attachment raises
``UninspectableContent`` so that it is refused instead of forwarded unscanned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.providers.dialect import (
    JSONPath,
    Segment,
    UninspectableContent,
    format_location,
    walk_strings,
)

__all__ = ["OpenAIChat"]

#: part types that carry their text under ``text``
_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
#: attachments (images, audio, files, Qwen-style video); a later stage inspects them
_MEDIA_PARTS = frozenset(
    {"image_url", "input_audio", "file", "input_image", "input_file", "video_url", "video"}
)


def _text(value: Any, path: JSONPath, out: list[Segment]) -> None:
    """Append ``value`` when it is a non-empty string; refuse shapes we cannot read."""
    if isinstance(value, str):
        if value:
            out.append(Segment(path, value))
    elif value is not None:
        raise UninspectableContent(f"{format_location(path)} is not text")


def _content(content: Any, path: JSONPath, out: list[Segment]) -> None:
    """A ``content`` field: a string, or a list of typed parts."""
    if content is None or isinstance(content, str):
        _text(content, path, out)
        return
    if not isinstance(content, list):
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")
    for index, part in enumerate(content):
        part_path = (*path, index)
        if isinstance(part, str):  # some compatible servers accept bare strings
            _text(part, part_path, out)
            continue
        if not isinstance(part, dict):
            raise UninspectableContent(f"{format_location(part_path)} has an unsupported shape")
        kind = part.get("type")
        if kind in _TEXT_PARTS:
            _text(part.get("text"), (*part_path, "text"), out)
        elif kind == "refusal":
            _text(part.get("refusal"), (*part_path, "refusal"), out)
        elif kind not in _MEDIA_PARTS:
            raise UninspectableContent(f"{format_location(part_path)} has an unsupported part type")


def _arguments(call: Any, path: JSONPath, out: list[Segment], field: str) -> None:
    if isinstance(call, dict):
        out.extend(walk_strings(call.get(field), (*path, field)))


def _tool_calls(calls: Any, path: JSONPath, out: list[Segment]) -> None:
    """Replayed tool calls: the arguments are model output that echoes user data."""
    if calls is None:
        return
    if not isinstance(calls, list):
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")
    for index, call in enumerate(calls):
        if not isinstance(call, dict):
            raise UninspectableContent(
                f"{format_location((*path, index))} has an unsupported shape"
            )
        for key, value in call.items():
            if key == "function":
                _arguments(value, (*path, index, key), out, "arguments")
            elif key == "custom":
                _arguments(value, (*path, index, key), out, "input")


def _function_call(call: Any, path: JSONPath, out: list[Segment]) -> None:
    _arguments(call, path, out, "arguments")


def _message(message: Any, path: JSONPath, out: list[Segment]) -> None:
    if not isinstance(message, dict):
        raise UninspectableContent(f"{format_location(path)} is not a message object")
    _fields(message, _MESSAGE_FIELDS, path, out)


def _messages(messages: Any, path: JSONPath, out: list[Segment]) -> None:
    if messages is None:
        return
    if not isinstance(messages, list):
        raise UninspectableContent("messages must be a list")
    for index, message in enumerate(messages):
        _message(message, (*path, index), out)


def _prediction(prediction: Any, path: JSONPath, out: list[Segment]) -> None:
    """Predicted output is sent upstream verbatim, so it is data like any prompt."""
    if isinstance(prediction, dict):
        _content(prediction.get("content"), (*path, "content"), out)


_Handler = Callable[[Any, JSONPath, list[Segment]], None]

_MESSAGE_FIELDS: dict[str, _Handler] = {
    "content": _content,
    "refusal": _text,
    "tool_calls": _tool_calls,
    "function_call": _function_call,
}
_BODY_FIELDS: dict[str, _Handler] = {"messages": _messages, "prediction": _prediction}


def _fields(
    obj: dict[str, Any], handlers: dict[str, _Handler], path: JSONPath, out: list[Segment]
) -> None:
    """Visit the known keys of ``obj`` in the order the client wrote them."""
    for key, value in obj.items():
        handler = handlers.get(key)
        if handler is not None:
            handler(value, (*path, key), out)


class OpenAIChat:
    """Segments of a Chat Completions request, in document order."""

    api = "chat"

    def extract_segments(self, body: Any) -> list[Segment]:
        if not isinstance(body, dict):
            raise UninspectableContent("request body must be a JSON object")
        out: list[Segment] = []
        _fields(body, _BODY_FIELDS, (), out)
        return out

    def model(self, body: Any, path: str) -> str | None:
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        return isinstance(body, dict) and body.get("stream") is True
