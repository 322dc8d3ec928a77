"""Anthropic Messages (``POST /v1/messages`` and ``/v1/messages/count_tokens``).

Content is a tree of typed blocks: documents and search results nest inside tool
results, and server-tool results nest documents of their own, so one recursive
reader handles every level. ``thinking`` and ``redacted_thinking`` blocks are
signed by the upstream and must come back byte-for-byte, so they are never
scanned or edited. Unknown block types raise ``UninspectableContent``.
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

__all__ = ["AnthropicMessages"]

#: blocks with no user text, or whose content is signed/encrypted by the upstream
_SKIPPED_BLOCKS = frozenset(
    {
        "image",
        "thinking",
        "redacted_thinking",
        "web_search_tool_result",  # encrypted page content plus search-engine titles
        "tool_search_tool_result",
        "tool_reference",
        "container_upload",
        "browser_state",
    }
)

#: tool calls whose ``input`` object is free-form (arguments the model wrote)
_TOOL_USE_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
_TOOL_RESULT_BLOCKS = frozenset({"tool_result", "mcp_tool_result"})
_EXECUTION_RESULT_BLOCKS = frozenset(
    {"code_execution_tool_result", "bash_code_execution_tool_result"}
)
_SERVER_RESULT_BLOCKS = _EXECUTION_RESULT_BLOCKS | {
    "web_fetch_tool_result",
    "text_editor_code_execution_tool_result",
}


def _text(value: Any, path: JSONPath, out: list[Segment]) -> None:
    """Append ``value`` when it is a non-empty string; refuse shapes we cannot read."""
    if isinstance(value, str):
        if value:
            out.append(Segment(path, value))
    elif value is not None:
        raise UninspectableContent(f"{format_location(path)} is not text")


def _content(content: Any, path: JSONPath, out: list[Segment]) -> None:
    """A ``content`` field that is either a plain string or a list of blocks."""
    if content is None or isinstance(content, str):
        _text(content, path, out)
    elif isinstance(content, list):
        for index, block in enumerate(content):
            _block(block, (*path, index), out)
    else:
        raise UninspectableContent(f"{format_location(path)} has an unsupported shape")


def _source(source: Any, path: JSONPath, out: list[Segment]) -> None:
    """Plain-text and custom-content sources; PDF/URL/file sources are attachments."""
    if not isinstance(source, dict):
        return
    kind = source.get("type")
    if kind == "text":
        _text(source.get("data"), (*path, "data"), out)
    elif kind == "content":
        _content(source.get("content"), (*path, "content"), out)


def _lines(lines: Any, path: JSONPath, out: list[Segment]) -> None:
    out.extend(walk_strings(lines, path))


def _messages(messages: Any, path: JSONPath, out: list[Segment]) -> None:
    if messages is None:
        return
    if not isinstance(messages, list):
        raise UninspectableContent("messages must be a list")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise UninspectableContent(f"messages[{index}] is not a message object")
        _content(message.get("content"), (*path, index, "content"), out)


_Handler = Callable[[Any, JSONPath, list[Segment]], None]

_BODY_FIELDS: dict[str, _Handler] = {"system": _content, "messages": _messages}
_DOCUMENT_FIELDS: dict[str, _Handler] = {"source": _source, "title": _text, "context": _text}
_SEARCH_RESULT_FIELDS: dict[str, _Handler] = {"content": _content, "title": _text}
#: ``encrypted_stdout`` is absent on purpose: it is opaque and signed
_EXECUTION_FIELDS: dict[str, _Handler] = {"stdout": _text, "stderr": _text}
_EDITOR_FIELDS: dict[str, _Handler] = {"content": _text, "lines": _lines}


def _fields(obj: Any, handlers: dict[str, _Handler], path: JSONPath, out: list[Segment]) -> None:
    """Visit the known keys of ``obj`` in the order the client wrote them."""
    if not isinstance(obj, dict):
        return
    for key, value in obj.items():
        handler = handlers.get(key)
        if handler is not None:
            handler(value, (*path, key), out)


def _server_result(block: dict[str, Any], path: JSONPath, out: list[Segment]) -> None:
    """Results of Anthropic-run tools that the client replays in later turns."""
    kind = block.get("type")
    result = block.get("content")
    result_path = (*path, "content")
    if kind == "web_fetch_tool_result":
        document = result.get("content") if isinstance(result, dict) else None
        _fields(document, _DOCUMENT_FIELDS, (*result_path, "content"), out)
    elif kind in _EXECUTION_RESULT_BLOCKS:
        _fields(result, _EXECUTION_FIELDS, result_path, out)
    else:  # text_editor_code_execution_tool_result
        _fields(result, _EDITOR_FIELDS, result_path, out)


def _block(block: Any, path: JSONPath, out: list[Segment]) -> None:
    if isinstance(block, str):  # tolerated by some compatible servers
        _text(block, path, out)
        return
    if not isinstance(block, dict):
        raise UninspectableContent(f"{format_location(path)} is not a content block")
    kind = block.get("type")
    if kind == "text":
        _text(block.get("text"), (*path, "text"), out)
    elif kind in _TOOL_USE_BLOCKS:
        out.extend(walk_strings(block.get("input"), (*path, "input")))
    elif kind in _TOOL_RESULT_BLOCKS:
        _content(block.get("content"), (*path, "content"), out)
    elif kind == "document":
        _fields(block, _DOCUMENT_FIELDS, path, out)
    elif kind == "search_result":
        _fields(block, _SEARCH_RESULT_FIELDS, path, out)
    elif kind in _SERVER_RESULT_BLOCKS:
        _server_result(block, path, out)
    elif kind not in _SKIPPED_BLOCKS:
        raise UninspectableContent(f"{format_location(path)} has an unsupported block type")


class AnthropicMessages:
    """Segments of a Messages (or count_tokens) request, in document order."""

    api = "messages"

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
