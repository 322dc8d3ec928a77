"""Anthropic Messages (``POST /v1/messages`` and ``/v1/messages/count_tokens``).

Content is a tree of typed blocks: documents and search results nest inside tool
results, and server-tool results nest documents of their own, so one recursive
reader handles every level. ``thinking`` and ``redacted_thinking`` blocks are
signed by the upstream and must come back byte-for-byte: they are not read as
text here, so the sweep scans them scan-only (a finding counts, an edit refuses;
base64 of text is decoded by the detector). Unknown block types raise
``UninspectableContent``. Tool
definitions (descriptions, input schemas), metadata, stop sequences and output
schemas are scanned; images and PDFs are recorded as attachments; files,
containers, MCP servers and server-held threads are recorded as references.
"""

from __future__ import annotations

from typing import Any

from gateway.providers.attachments import attach_data, attach_url
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

__all__ = ["AnthropicMessages"]

#: blocks whose content is signed or encrypted by the upstream: never edited, so
#: left to the sweep, which scans them scan-only (``Extraction.sweep``)
_OPAQUE_BLOCKS = frozenset(
    {
        "thinking",
        "redacted_thinking",
        "web_search_tool_result",  # encrypted page content plus search-engine titles
        "tool_search_tool_result",
        "tool_reference",
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
_BLOCK_KEYS = SCHEMA_KEYS | {"id", "tool_use_id", "cache_control", "is_error", "server_name"}
#: blocks that replay tool definitions, listings or fallback hops: free-form, minus
#: tags, ids, signatures and encrypted state (which must round-trip verbatim)
_DEFINITION_BLOCKS = frozenset(
    {
        "tool_addition",
        "tool_removal",
        "mcp_tool_listing",
        "compaction",
        "advisor_tool_result",
        "fallback",
    }
)
_OPAQUE_KEYS = frozenset({"encrypted_content", "signature", "stop_reason", "mcp_server_name"})
_TOOL_KEYS = SCHEMA_KEYS | {"cache_control", "max_uses", "display_width_px", "display_height_px"}

_STRUCTURAL_FIELDS = frozenset(
    {
        "model",
        "max_tokens",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "tool_choice",
        "thinking",
        "service_tier",
        "cache_control",
        "context_management",
        "betas",
        "inference_geo",
        "speed",
        "workspace_id",
        "diagnostics",
    }
)


def _content(content: Any, path: JSONPath, found: Extraction) -> None:
    """A ``content`` field that is either a plain string or a list of blocks."""
    found.text_or_items(content, path, _block)


def _source(kind: str) -> Handler:
    """An image or document ``source``: inline text is scanned, the rest recorded."""

    def read(source: Any, path: JSONPath, found: Extraction) -> None:
        source = require_object(source, path, "source")
        found.attach(kind)
        origin = source.get("type")
        if origin == "text":
            found.text(source.get("data"), (*path, "data"))
        elif origin == "content":
            _content(source.get("content"), (*path, "content"), found)
        elif origin == "base64":
            media_type = source.get("media_type")
            attach_data(found, kind, source.get("data"), (*path, "data"), media_type)
        elif origin == "url":
            attach_url(found, kind, source.get("url"), (*path, "url"))
        elif origin == "file":
            found.refer("file_id")
        else:
            raise UninspectableContent(f"{format_location(path)} has an unsupported source type")

    return read


def _lines(lines: Any, path: JSONPath, found: Extraction) -> None:
    found.free(lines, path)


def _message(message: Any, path: JSONPath, found: Extraction) -> None:
    message = require_object(message, path, "message")
    found.fields(message, {"content": _content}, path, frozenset({"role"}))


def _messages(messages: Any, path: JSONPath, found: Extraction) -> None:
    found.items(messages, path, _message)


def _tool(tool: Any, path: JSONPath, found: Extraction) -> None:
    """A tool definition: its description and input schema are read by the model."""
    if isinstance(tool, dict) and tool.get("type") == "mcp_toolset":
        found.refer("mcp_server")
    found.free(tool, path, _TOOL_KEYS)


def _container(container: Any, path: JSONPath, found: Extraction) -> None:
    if isinstance(container, str) and container:
        found.refer("container_id")
    elif isinstance(container, dict):
        if container.get("id"):
            found.refer("container_id")
        skill_keys = SCHEMA_KEYS | {"skill_id", "version"}
        found.free(container.get("skills"), (*path, "skills"), skill_keys)


def _mcp_servers(servers: Any, path: JSONPath, found: Extraction) -> None:
    """Remote MCP servers: recorded; their names and URLs are swept, their tokens not."""
    if servers:
        found.refer("mcp_server")
    if isinstance(servers, list):
        for index, server in enumerate(servers):
            if isinstance(server, dict) and "authorization_token" in server:
                found.skip((*path, index, "authorization_token"))


def _definitions(value: Any, path: JSONPath, found: Extraction) -> None:
    """Output schemas and citations: their descriptions and quotes are data, tags are not."""
    found.free(value, path, _TOOL_KEYS)


_BODY_FIELDS: dict[str, Handler] = {
    "system": _content,
    "messages": _messages,
    "tools": lambda tools, path, found: found.items(tools, path, _tool),
    # Remote MCP servers: their URLs and tokens go to the server by design. A token
    # is a credential handed over on purpose, so it is neither scanned (it would
    # always match) nor edited; a policy can refuse the use of a remote server.
    "mcp_servers": _mcp_servers,
    "container": _container,
    "thread": refers_to("previous_message_id", "previous_message_id"),  # server-held state
    "output_config": _definitions,
    "output_format": _definitions,
}
_DOCUMENT_FIELDS: dict[str, Handler] = {
    "source": _source("document"),
    "title": read_text,
    "context": read_text,
}
_IMAGE_FIELDS: dict[str, Handler] = {"source": _source("image")}
_TEXT_FIELDS: dict[str, Handler] = {"text": read_text, "citations": _definitions}
_SEARCH_RESULT_FIELDS: dict[str, Handler] = {
    "content": _content,
    "title": read_text,
    "source": read_text,
}
#: ``encrypted_stdout`` is absent on purpose: it is opaque and signed
_EXECUTION_FIELDS: dict[str, Handler] = {"stdout": read_text, "stderr": read_text}
_EDITOR_FIELDS: dict[str, Handler] = {"content": read_text, "lines": _lines}
_NESTED_KEYS = _BLOCK_KEYS | {"encrypted_stdout", "return_code", "file_type", "num_lines"}


def _fields(obj: Any, handlers: dict[str, Handler], path: JSONPath, found: Extraction) -> None:
    """Known keys of a nested result; the others are scanned unless structural."""
    if isinstance(obj, dict):
        found.fields(obj, handlers, path, _NESTED_KEYS)


def _server_result(block: dict[str, Any], path: JSONPath, found: Extraction) -> None:
    """Results of Anthropic-run tools that the client replays in later turns."""
    kind = block.get("type")
    result = block.get("content")
    result_path = (*path, "content")
    if kind == "web_fetch_tool_result":
        if isinstance(result, dict):
            found.fields(result, {"content": _document_block}, result_path, _NESTED_KEYS)
    elif kind in _EXECUTION_RESULT_BLOCKS:
        _fields(result, _EXECUTION_FIELDS, result_path, found)
    else:  # text_editor_code_execution_tool_result
        _fields(result, _EDITOR_FIELDS, result_path, found)


def _document_block(document: Any, path: JSONPath, found: Extraction) -> None:
    if isinstance(document, dict):
        found.fields(document, _DOCUMENT_FIELDS, path, _NESTED_KEYS | {"citations"})


def _block(block: Any, path: JSONPath, found: Extraction) -> None:
    if isinstance(block, str):  # tolerated by some compatible servers
        found.text(block, path)
        return
    if not isinstance(block, dict):
        raise UninspectableContent(f"{format_location(path)} is not a content block")
    kind = block.get("type")
    if kind == "text":  # citations replay quoted document text
        found.fields(block, _TEXT_FIELDS, path, _BLOCK_KEYS)
    elif kind in _TOOL_USE_BLOCKS:
        found.free(block.get("input"), (*path, "input"))
    elif kind in _TOOL_RESULT_BLOCKS:
        _content(block.get("content"), (*path, "content"), found)
    elif kind == "image":
        found.fields(block, _IMAGE_FIELDS, path, _BLOCK_KEYS)
    elif kind == "document":
        _document_block(block, path, found)
    elif kind == "search_result":
        found.fields(block, _SEARCH_RESULT_FIELDS, path, _BLOCK_KEYS | {"citations"})
    elif kind == "container_upload":
        found.attach("file")
        found.refer("file_id")
    elif kind in _SERVER_RESULT_BLOCKS:
        _server_result(block, path, found)
    elif kind in _DEFINITION_BLOCKS:
        if kind == "mcp_tool_listing":
            found.refer("mcp_server")
        found.free(block, path, _TOOL_KEYS | _BLOCK_KEYS | _OPAQUE_KEYS)
    elif kind not in _OPAQUE_BLOCKS:
        raise UninspectableContent(f"{format_location(path)} has an unsupported block type")


class AnthropicMessages(JSONBodyDialect):
    """Segments of a Messages (or count_tokens) request, in document order."""

    api = "messages"
    body_fields = _BODY_FIELDS
    structural_fields = _STRUCTURAL_FIELDS
