"""OpenAI Responses (``POST /v1/responses``): instructions, input items, prompt variables.

``input`` replays whole conversations, tool calls and tool outputs, so every item
type that can carry user data is read. ``reasoning`` and ``compaction`` items are
skipped: they are the model's own (often encrypted) state, and editing them makes
the upstream reject the request. An item type this module does not know raises
``UninspectableContent``; a new item kind is refused rather than leaked.
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

__all__ = ["OpenAIResponses"]

_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
_MEDIA_PARTS = frozenset({"input_image", "input_file", "input_audio"})

#: item types that carry no user text, or whose text must not be edited
_SKIPPED_ITEMS = frozenset(
    {
        "reasoning",
        "item_reference",
        "compaction",
        "compaction_trigger",
        "computer_call_output",  # a screenshot: an attachment, handled elsewhere
        "image_generation_call",
        "additional_tools",
        "mcp_list_tools",
        "tool_search_output",
    }
)

#: tool-call items → the fields that hold free text (strings found at any depth)
_ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "function_call": ("arguments",),
    "custom_tool_call": ("input",),
    "mcp_call": ("arguments", "output", "error"),
    "mcp_approval_request": ("arguments",),
    "mcp_approval_response": ("reason",),
    "local_shell_call": ("action",),
    "local_shell_call_output": ("output",),
    "shell_call": ("action",),
    "shell_call_output": ("output",),
    "apply_patch_call": ("operation",),
    "apply_patch_call_output": ("output",),
    "computer_call": ("action", "actions"),
    "web_search_call": ("action",),
    "file_search_call": ("queries", "results"),
    "code_interpreter_call": ("code", "outputs"),
    "tool_search_call": ("arguments",),
    "program": ("code",),
    "program_output": ("result",),
}

#: keys inside tool payloads that name things rather than hold data
_STRUCTURAL_KEYS = frozenset({"type", "id", "call_id", "file_id", "container_id", "status"})


def _text(value: Any, path: JSONPath, out: list[Segment]) -> None:
    """Append ``value`` when it is a non-empty string; refuse shapes we cannot read."""
    if isinstance(value, str):
        if value:
            out.append(Segment(path, value))
    elif value is not None:
        raise UninspectableContent(f"{format_location(path)} is not text")


def _free_text(value: Any, path: JSONPath, out: list[Segment]) -> None:
    """Strings at any depth of a tool payload, minus identifiers and type tags."""
    for segment in walk_strings(value, path):
        if segment.path[-1] not in _STRUCTURAL_KEYS:
            out.append(segment)


def _parts(content: Any, path: JSONPath, out: list[Segment]) -> None:
    """Message content or tool output: a string, or a list of typed parts."""
    if content is None or isinstance(content, str):
        _text(content, path, out)
        return
    if not isinstance(content, list):
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")
    for index, part in enumerate(content):
        part_path = (*path, index)
        if not isinstance(part, dict):
            raise UninspectableContent(f"{format_location(part_path)} has an unsupported shape")
        kind = part.get("type")
        if kind in _TEXT_PARTS:
            _text(part.get("text"), (*part_path, "text"), out)
        elif kind == "refusal":
            _text(part.get("refusal"), (*part_path, "refusal"), out)
        elif kind not in _MEDIA_PARTS:
            raise UninspectableContent(f"{format_location(part_path)} has an unsupported part type")


def _item(item: Any, path: JSONPath, out: list[Segment]) -> None:
    if not isinstance(item, dict):
        raise UninspectableContent(f"{format_location(path)} is not an input item")
    kind = item.get("type")
    if kind == "message" or (kind is None and "role" in item):
        _parts(item.get("content"), (*path, "content"), out)
    elif kind in ("function_call_output", "custom_tool_call_output"):
        _parts(item.get("output"), (*path, "output"), out)
    elif kind in _ITEM_FIELDS:
        fields = _ITEM_FIELDS[kind]
        for key, value in item.items():  # in the order the client wrote them
            if key in fields:
                _free_text(value, (*path, key), out)
    elif kind not in _SKIPPED_ITEMS:
        raise UninspectableContent(f"{format_location(path)} has an unsupported item type")


def _input(items: Any, path: JSONPath, out: list[Segment]) -> None:
    if items is None or isinstance(items, str):
        _text(items, path, out)
    elif isinstance(items, list):
        for index, item in enumerate(items):
            _item(item, (*path, index), out)
    else:
        raise UninspectableContent("input has an unsupported shape")


def _prompt(prompt: Any, path: JSONPath, out: list[Segment]) -> None:
    """Reusable-prompt variables are substituted into the prompt upstream."""
    variables = prompt.get("variables") if isinstance(prompt, dict) else None
    if not isinstance(variables, dict):
        return
    for name, value in variables.items():
        variable_path = (*path, "variables", name)
        if isinstance(value, str):
            _text(value, variable_path, out)
        elif isinstance(value, dict) and value.get("type") == "input_text":
            _text(value.get("text"), (*variable_path, "text"), out)
        elif not (isinstance(value, dict) and value.get("type") in _MEDIA_PARTS):
            raise UninspectableContent(f"{format_location(variable_path)} has an unsupported shape")


_BODY_FIELDS: dict[str, Callable[[Any, JSONPath, list[Segment]], None]] = {
    "instructions": _text,
    "input": _input,
    "prompt": _prompt,
}


class OpenAIResponses:
    """Segments of a Responses request, in document order."""

    api = "responses"

    def extract_segments(self, body: Any) -> list[Segment]:
        if not isinstance(body, dict):
            raise UninspectableContent("request body must be a JSON object")
        out: list[Segment] = []
        for key, value in body.items():  # in the order the client wrote them
            handler = _BODY_FIELDS.get(key)
            if handler is not None:
                handler(value, (key,), out)
        return out

    def model(self, body: Any, path: str) -> str | None:
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        return isinstance(body, dict) and body.get("stream") is True
