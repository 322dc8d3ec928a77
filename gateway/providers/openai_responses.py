"""OpenAI Responses (``POST /v1/responses``): instructions, input items, tools, prompt variables.

``input`` replays whole conversations, tool calls and tool outputs, so every item
type that can carry user data is read. ``reasoning`` and ``compaction`` items are
the model's own encrypted state, and editing them makes the upstream reject the
request: they are left to the sweep, scanned scan-only. An item type this module
does not know raises ``UninspectableContent``; a new item kind is refused rather
than leaked. Tool
definitions, output schemas, metadata and end-user fields are scanned; state the
provider already holds (previous responses, conversations, files, containers,
stored prompts) is recorded as a server reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.providers.attachments import attach_url
from gateway.providers.dialect import (
    SCHEMA_KEYS,
    Extraction,
    Handler,
    JSONBodyDialect,
    JSONPath,
    UninspectableContent,
    format_location,
    refers_to,
    require_object,
)
from gateway.providers.openai_parts import read_content, read_part

__all__ = ["OpenAIResponses"]

#: items that are the model's own opaque state, or a pointer to a stored item
_OPAQUE_ITEMS = frozenset({"reasoning", "compaction", "compaction_trigger"})

#: tool-call items: every value but these keys' is free text (strings at any depth)
_TOOL_ITEMS = frozenset(
    {
        "function_call",
        "custom_tool_call",
        "mcp_call",
        "mcp_approval_request",
        "mcp_approval_response",
        "mcp_list_tools",
        "local_shell_call",
        "local_shell_call_output",
        "shell_call",
        "shell_call_output",
        "apply_patch_call",
        "apply_patch_call_output",
        "computer_call",
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "tool_search_call",
        "tool_search_output",
        "additional_tools",
        "program",
        "program_output",
        "configuration_update",  # a later output schema: its descriptions are data
    }
)
_ITEM_KEYS = SCHEMA_KEYS | {
    "id",
    "call_id",
    "status",
    "server_label",
    "approval_request_id",
    "approve",
    "role",
    "phase",
}
#: an MCP tool's credentials go to the MCP server by design; its use is recorded instead
_MCP_CREDENTIALS = frozenset({"authorization", "headers"})
_TOOL_KEYS = SCHEMA_KEYS | {
    "server_label",
    "server_url",
    "connector_id",
    "require_approval",
    "search_context_size",
    "container",
    "environment",
    "display_width",
    "display_height",
}

#: ``text``: the output format (its schema is data) and a verbosity level
_TEXT_KEYS = SCHEMA_KEYS | {"verbosity"}

_STRUCTURAL_FIELDS = frozenset(
    {
        "model",
        "stream",
        "stream_options",
        "background",
        "include",
        "max_output_tokens",
        "max_tool_calls",
        "parallel_tool_calls",
        "reasoning",
        "service_tier",
        "store",
        "temperature",
        "tool_choice",
        "top_logprobs",
        "top_p",
        "truncation",
        "prompt_cache_retention",
        "prompt_cache_options",
        "context_management",
        "moderation",
    }
)


def _message(item: dict[str, Any], path: JSONPath, found: Extraction) -> None:
    found.fields(item, {"content": read_content}, path, _ITEM_KEYS)


def _call_output(item: dict[str, Any], path: JSONPath, found: Extraction) -> None:
    found.fields(item, {"output": read_content}, path, _ITEM_KEYS)


def _screenshot(item: dict[str, Any], path: JSONPath, found: Extraction) -> None:
    """``computer_call_output``: a screenshot (an image) plus acknowledged checks."""
    output = item.get("output")
    found.attach("image")
    if isinstance(output, dict):
        if output.get("file_id"):
            found.refer("file_id")
        attach_url(found, "image", output.get("image_url"), (*path, "output", "image_url"))
    checks = "acknowledged_safety_checks"
    found.free(item.get(checks), (*path, checks), _ITEM_KEYS)


def _generated_image(item: dict[str, Any], path: JSONPath, found: Extraction) -> None:
    """A replayed ``image_generation_call``: its ``result`` is a base64 image."""
    found.attach("image")


def _reference(item: dict[str, Any], path: JSONPath, found: Extraction) -> None:
    found.refer("item_reference")


def _opaque(item: dict[str, Any], path: JSONPath, found: Extraction) -> None:
    """The model's own state, encrypted or signed: never edited, so left to the sweep,
    which scans it scan-only (a finding counts; an edit refuses the request)."""


_ItemReader = Callable[[dict[str, Any], JSONPath, Extraction], None]
_ITEMS: dict[str, _ItemReader] = {
    "message": _message,
    "function_call_output": _call_output,
    "custom_tool_call_output": _call_output,
    "computer_call_output": _screenshot,
    "image_generation_call": _generated_image,
    "item_reference": _reference,
    **dict.fromkeys(_OPAQUE_ITEMS, _opaque),
}


def _item(item: Any, path: JSONPath, found: Extraction) -> None:
    if not isinstance(item, dict):
        raise UninspectableContent(f"{format_location(path)} is not an input item")
    kind = item.get("type")
    if kind is None and "role" in item:
        kind = "message"
    reader = _ITEMS.get(kind) if isinstance(kind, str) else None
    if reader is not None:
        reader(item, path, found)
    elif kind in _TOOL_ITEMS:
        found.free(item, path, _ITEM_KEYS)
    else:
        raise UninspectableContent(f"{format_location(path)} has an unsupported item type")


def _input(items: Any, path: JSONPath, found: Extraction) -> None:
    """``input`` (and list-valued ``instructions``): a string or a list of items."""
    found.text_or_items(items, path, _item)


def _variable(value: Any, path: JSONPath, found: Extraction) -> None:
    if isinstance(value, str):
        found.text(value, path)
    elif isinstance(value, dict) and value.get("type") in ("input_image", "input_file"):
        read_part(value, path, found)
    elif isinstance(value, dict) and value.get("type") == "input_text":
        found.text(value.get("text"), (*path, "text"))
    else:
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")


def _prompt(prompt: Any, path: JSONPath, found: Extraction) -> None:
    """A stored prompt (a server reference) whose variables are substituted upstream."""
    if prompt is None:
        return
    prompt = require_object(prompt, path, "prompt")
    if prompt.get("id"):
        found.refer("prompt")
    variables = prompt.get("variables")
    if isinstance(variables, dict):
        for name, value in variables.items():
            _variable(value, (*path, "variables", name), found)


def _tool(tool: Any, path: JSONPath, found: Extraction) -> None:
    """A tool definition: descriptions and schemas are read by the model."""
    tool = require_object(tool, path, "tool")
    if tool.get("type") == "mcp":
        found.refer("mcp_server")
        for key in _MCP_CREDENTIALS.intersection(tool):
            found.skip((*path, key))  # credentials for that server, sent on purpose
        tool = {key: value for key, value in tool.items() if key not in _MCP_CREDENTIALS}
    container = tool.get("container")
    if isinstance(container, str) and container:
        found.refer("container_id")
    found.free(tool, path, _TOOL_KEYS)


def _tools(tools: Any, path: JSONPath, found: Extraction) -> None:
    found.items(tools, path, _tool)


_BODY_FIELDS: dict[str, Handler] = {
    "instructions": _input,
    "input": _input,
    "prompt": _prompt,
    "tools": _tools,
    "text": lambda value, path, found: found.free(value, path, _TEXT_KEYS),
    "conversation": refers_to("conversation"),  # an id, or {"id": ...}
}


class OpenAIResponses(JSONBodyDialect):
    """Segments of a Responses request, in document order."""

    api = "responses"
    body_fields = _BODY_FIELDS
    structural_fields = _STRUCTURAL_FIELDS
