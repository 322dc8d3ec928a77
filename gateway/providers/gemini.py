"""Gemini ``generateContent`` family: generate, stream, countTokens and embeddings.

Gemini names the model and the method in the URL (``models/{m}:generateContent``)
rather than the body, so ``model`` and ``is_streaming`` read the path. The REST API
accepts both camelCase and snake_case field names, and clients use both, so every
field is looked up under either spelling. A part is a one-of keyed by field name:
text, call arguments, call results and code are read; inline text documents are
decoded and scanned; other blobs and file references are recorded as attachments.
Function declarations, response schemas, stop sequences and labels are scanned;
``cachedContent`` and uploaded files are recorded as server references.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.providers.attachments import attach_data, media_kind
from gateway.providers.dialect import (
    SCHEMA_KEYS,
    Extraction,
    Handler,
    JSONBodyDialect,
    JSONPath,
    UninspectableContent,
    format_location,
    read_text,
    require_object,
)

__all__ = ["GeminiGenerateContent"]

_MODEL_COLLECTIONS = frozenset({"models", "tunedModels"})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _both(names: dict[str, Handler]) -> dict[str, Handler]:
    """The handlers under their camelCase and snake_case spellings."""
    return names | {_snake(name): handler for name, handler in names.items()}


def _spellings(*names: str) -> frozenset[str]:
    return frozenset(names) | {_snake(name) for name in names}


def _payload(inner: str) -> Handler:
    """A part field whose ``inner`` value is free-form (call args, results, code)."""

    def read(value: Any, path: JSONPath, found: Extraction) -> None:
        if isinstance(value, dict):
            found.free(value.get(inner), (*path, inner))
            nested = value.get("parts")  # multimodal function responses
            if nested is not None:
                found.items(nested, (*path, "parts"), _part)

    return read


_MEDIA_TYPE = _spellings("mimeType")


def _blob(value: Any, path: JSONPath, found: Extraction) -> None:
    """``inlineData``: base64 bytes with a media type; text documents are scanned."""
    value = require_object(value, path, "blob")
    media_type = value.get("mimeType", value.get("mime_type"))

    def data(payload: Any, where: JSONPath, found: Extraction) -> None:
        attach_data(found, "file", payload, where, media_type)

    found.fields(value, {"data": data}, path, _MEDIA_TYPE)  # and displayName, as text


def _file_data(value: Any, path: JSONPath, found: Extraction) -> None:
    """``fileData``: an uploaded file or a URL the provider fetches itself.

    The URI is scanned too (a URL may carry data in its query), like the name.
    """
    value = require_object(value, path, "file")
    found.attach(media_kind(value.get("mimeType", value.get("mime_type")), "file"))
    found.refer("file_uri")
    found.fields(value, {}, path, _MEDIA_TYPE)


#: part fields are a one-of; both spellings of each are accepted by the REST API
_PART_FIELDS: dict[str, Handler] = _both(
    {
        "text": read_text,
        "functionCall": _payload("args"),
        "functionResponse": _payload("response"),
        "executableCode": _payload("code"),
        "codeExecutionResult": _payload("output"),
        "toolCall": _payload("args"),
        "toolResponse": _payload("response"),
        "inlineData": _blob,
        "fileData": _file_data,
    }
)
#: part metadata: flags, opaque signatures, media settings
_PART_KEYS = _spellings(
    "thought", "thoughtSignature", "videoMetadata", "partMetadata", "mediaResolution"
)


def _part(part: Any, path: JSONPath, found: Extraction) -> None:
    part = require_object(part, path, "part")
    found.fields(part, _PART_FIELDS, path, _PART_KEYS)


def _content(content: Any, path: JSONPath, found: Extraction) -> None:
    """One ``Content`` object: ``{role, parts: [...]}``."""
    if content is None:
        return
    content = require_object(content, path, "content")
    parts = content.get("parts")
    if parts is not None and not isinstance(parts, list):
        raise UninspectableContent(f"{format_location((*path, 'parts'))} must be a list")
    found.items(parts, (*path, "parts"), _part)


def _contents(contents: Any, path: JSONPath, found: Extraction) -> None:
    found.items(contents, path, _content)


def _request(request: Any, path: JSONPath, found: Extraction) -> None:
    """A generate or embed request (the body, or nested in countTokens / batch embeds)."""
    request = require_object(request, path, "request")
    found.fields(request, _REQUEST_FIELDS, path, _STRUCTURAL_FIELDS)


def _requests(requests: Any, path: JSONPath, found: Extraction) -> None:
    found.items(requests, path, _request)


def _schemas(value: Any, path: JSONPath, found: Extraction) -> None:
    """Tools and generation settings: declarations, schemas, stop sequences."""
    found.free(value, path, _SCHEMA_KEYS)


_SCHEMA_KEYS = SCHEMA_KEYS | _spellings(
    "responseMimeType",
    "responseModalities",
    "mediaResolution",
    "behavior",
    "mode",
    "dynamicThreshold",
    "languageCode",
    "seed",
)

_REQUEST_FIELDS: dict[str, Handler] = _both(
    {
        "systemInstruction": _content,
        "contents": _contents,
        "content": _content,  # embedContent
        "title": read_text,  # embedContent: a document title is text as well
        "generateContentRequest": _request,  # countTokens with a full request
        "requests": _requests,  # batchEmbedContents
        "tools": _schemas,
        "generationConfig": _schemas,
    }
)
_STRUCTURAL_FIELDS = _spellings(
    "model", "safetySettings", "toolConfig", "taskType", "outputDimensionality"
)


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


class GeminiGenerateContent(JSONBodyDialect):
    """Segments of a Gemini generate / countTokens / embed request, in document order."""

    api = "generate_content"
    body_fields = _REQUEST_FIELDS
    structural_fields = _STRUCTURAL_FIELDS

    def model(self, body: Any, path: str) -> str | None:
        found = _method_segment(path)
        return found[0] if found else None

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        found = _method_segment(path)
        return found is not None and found[1] == "streamGenerateContent"
