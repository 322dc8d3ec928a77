"""Gemini ``generateContent`` family: generate, stream, countTokens and embeddings.

Gemini names the model and the method in the URL (``models/{m}:generateContent``)
rather than the body, so ``model`` and ``is_streaming`` read the path. The REST API
accepts both camelCase and snake_case field names, and clients use both, so every
field is looked up under either spelling. A part is a one-of keyed by field name:
text, call arguments, call results and code are read; blobs and file references
are attachments and are skipped.
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

__all__ = ["GeminiGenerateContent"]

_MODEL_COLLECTIONS = frozenset({"models", "tunedModels"})

_Handler = Callable[[Any, JSONPath, list[Segment]], None]


def _text(value: Any, path: JSONPath, out: list[Segment]) -> None:
    """Append ``value`` when it is a non-empty string; refuse shapes we cannot read."""
    if isinstance(value, str):
        if value:
            out.append(Segment(path, value))
    elif value is not None:
        raise UninspectableContent(f"{format_location(path)} is not text")


def _payload(inner: str) -> _Handler:
    """A part field whose ``inner`` value is free-form (call args, results, code)."""

    def read(value: Any, path: JSONPath, out: list[Segment]) -> None:
        if isinstance(value, dict):
            out.extend(walk_strings(value.get(inner), (*path, inner)))

    return read


def _fields(
    obj: dict[str, Any], handlers: dict[str, _Handler], path: JSONPath, out: list[Segment]
) -> None:
    """Visit the known keys of ``obj`` in the order the client wrote them."""
    for key, value in obj.items():
        handler = handlers.get(key)
        if handler is not None:
            handler(value, (*path, key), out)


def _part(part: Any, path: JSONPath, out: list[Segment]) -> None:
    if not isinstance(part, dict):
        raise UninspectableContent(f"{format_location(path)} is not a part object")
    _fields(part, _PART_FIELDS, path, out)


def _content(content: Any, path: JSONPath, out: list[Segment]) -> None:
    """One ``Content`` object: ``{role, parts: [...]}``."""
    if content is None:
        return
    if not isinstance(content, dict):
        raise UninspectableContent(f"{format_location(path)} is not a content object")
    parts = content.get("parts")
    if parts is None:
        return
    if not isinstance(parts, list):
        raise UninspectableContent(f"{format_location((*path, 'parts'))} must be a list")
    for index, part in enumerate(parts):
        _part(part, (*path, "parts", index), out)


def _contents(contents: Any, path: JSONPath, out: list[Segment]) -> None:
    if contents is None:
        return
    if not isinstance(contents, list):
        raise UninspectableContent(f"{format_location(path)} must be a list")
    for index, content in enumerate(contents):
        _content(content, (*path, index), out)


def _request(request: Any, path: JSONPath, out: list[Segment]) -> None:
    """A generate or embed request (the body, or nested in countTokens / batch embeds)."""
    if not isinstance(request, dict):
        raise UninspectableContent(f"{format_location(path) or 'body'} is not a request object")
    _fields(request, _REQUEST_FIELDS, path, out)


def _requests(requests: Any, path: JSONPath, out: list[Segment]) -> None:
    if requests is None:
        return
    if not isinstance(requests, list):
        raise UninspectableContent("requests must be a list")
    for index, request in enumerate(requests):
        _request(request, (*path, index), out)


#: part fields are a one-of; both spellings of each are accepted by the REST API
_PART_FIELDS: dict[str, _Handler] = {"text": _text}
for _camel, _snake, _inner in (
    ("functionCall", "function_call", "args"),
    ("functionResponse", "function_response", "response"),
    ("executableCode", "executable_code", "code"),
    ("codeExecutionResult", "code_execution_result", "output"),
    ("toolCall", "tool_call", "args"),
    ("toolResponse", "tool_response", "response"),
):
    _PART_FIELDS[_camel] = _PART_FIELDS[_snake] = _payload(_inner)

_REQUEST_FIELDS: dict[str, _Handler] = {
    "systemInstruction": _content,
    "system_instruction": _content,
    "contents": _contents,
    "content": _content,  # embedContent
    "title": _text,  # embedContent: a document title is text as well
    "generateContentRequest": _request,  # countTokens with a full request
    "generate_content_request": _request,
    "requests": _requests,  # batchEmbedContents
}


def _method_segment(path: str) -> tuple[str, str] | None:
    """``.../models/{model}:{method}`` → ``(model, method)``."""
    path = path.split("?", 1)[0]
    head, _, last = path.rpartition("/")
    if head.rpartition("/")[2] not in _MODEL_COLLECTIONS:
        return None
    model, sep, method = last.partition(":")
    if not sep or not model:
        return None
    return model, method


class GeminiGenerateContent:
    """Segments of a Gemini generate / countTokens / embed request, in document order."""

    api = "generate_content"

    def extract_segments(self, body: Any) -> list[Segment]:
        if not isinstance(body, dict):
            raise UninspectableContent("request body must be a JSON object")
        out: list[Segment] = []
        _request(body, (), out)
        return out

    def model(self, body: Any, path: str) -> str | None:
        found = _method_segment(path)
        return found[0] if found else None

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        found = _method_segment(path)
        return found is not None and found[1] == "streamGenerateContent"
