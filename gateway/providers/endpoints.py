"""Which requests the gateway understands, per provider family: an allow-list.

Routes match on path *suffixes* so the same family serves vendor prefixes (Azure
``/openai/deployments/{d}``, Zhipu ``/api/paas/v4``, DashScope ``/compatible-mode/v1``).
Anything unlisted resolves to ``None`` and is refused: a body the gateway cannot
read must not reach the upstream. Paths that an upstream or an intermediary could
normalise into a different route (``..``, encoded slashes, smuggled queries) are
refused before matching, so ``/v1/models/../chat/completions`` is never "read-only".

Routes are matched on the percent-decoded path, decoded once (``canonical_path``), and
the upstream receives that same path re-escaped canonically: ``models/x%3AgenerateContent``
is Gemini's ``generateContent``, never a model listing, whatever the client escaped.
An escape that would decode into routing syntax (``%2F``, ``%2E``, ``%25``, ...) is
refused rather than decoded, so no second decoding upstream can see another route.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

from gateway.providers.anthropic_messages import AnthropicMessages
from gateway.providers.dialect import Dialect
from gateway.providers.file_objects import AnthropicMessageBatches, FileObjects
from gateway.providers.gemini import GeminiGenerateContent
from gateway.providers.gemini_files import GeminiUpload
from gateway.providers.openai_chat import OpenAIChat
from gateway.providers.openai_embeddings import OpenAIEmbeddings
from gateway.providers.openai_responses import OpenAIResponses
from gateway.providers.uploads import MultipartFiles, UploadFormat

__all__ = [
    "FAMILIES",
    "REFUSAL_FAMILIES",
    "Endpoint",
    "batch_line_dialect",
    "canonical_path",
    "refusal_family",
    "resolve_endpoint",
]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A recognised route: bodies of ``inspect`` routes are scanned with ``dialect``,
    bodies of ``upload`` routes read by ``upload`` (``providers/uploads.py``).

    ``joins`` marks a piece of a file sent in several requests (``providers/joins.py``):
    an Upload ``part``, a resumable ``chunk`` or the Upload's ``complete``.
    """

    kind: Literal["inspect", "read_only", "upload"]
    dialect: Dialect | None
    api: str
    upload: UploadFormat | None = None
    joins: Literal["part", "complete"] | None = None


_CHAT = OpenAIChat()
_RESPONSES = OpenAIResponses()
_EMBEDDINGS = OpenAIEmbeddings()
_MESSAGES = AnthropicMessages()
_GEMINI = GeminiGenerateContent()

_MODELS = Endpoint("read_only", None, "models")
_FILES = Endpoint("read_only", None, "files")  # listings, metadata, deletions, cancels
_BATCHES = Endpoint("read_only", None, "batches")
_ANY = "*"  # one path segment, any value


def batch_line_dialect(url: str) -> Dialect | None:
    """The dialect judging a batch file line that calls ``url`` (``/v1/chat/completions``)."""
    endpoint = resolve_endpoint("openai", "POST", url) if url.startswith("/v1/") else None
    if endpoint is None or endpoint.kind != "inspect" or endpoint.api not in _BATCH_APIS:
        return None
    return endpoint.dialect


_BATCH_APIS = frozenset({"chat", "responses", "embeddings"})
_OPENAI_FILE = MultipartFiles("files", batch_dialect=batch_line_dialect)
_OPENAI_PART = MultipartFiles("files", file_field="data", piece=True)
_ANTHROPIC_FILE = MultipartFiles("files")
_GEMINI_UPLOAD = GeminiUpload()
_FILE_OBJECTS = FileObjects("files")
_BATCH_OBJECTS = FileObjects("batches")
_MESSAGE_BATCHES = AnthropicMessageBatches()

#: family → method → (suffix segments, endpoint); first match wins
_Route = tuple[tuple[str, ...], Endpoint]
_ROUTES: Mapping[str, Mapping[str, tuple[_Route, ...]]] = {
    "openai": {
        "POST": (
            (("chat", "completions"), Endpoint("inspect", _CHAT, _CHAT.api)),
            (("responses",), Endpoint("inspect", _RESPONSES, _RESPONSES.api)),
            (("responses", "input_tokens"), Endpoint("inspect", _RESPONSES, _RESPONSES.api)),
            (("embeddings",), Endpoint("inspect", _EMBEDDINGS, _EMBEDDINGS.api)),
            (("files",), Endpoint("upload", None, "files", _OPENAI_FILE)),
            (("uploads",), Endpoint("inspect", _FILE_OBJECTS, "files")),
            (("uploads", _ANY, "parts"), Endpoint("upload", None, "files", _OPENAI_PART, "part")),
            (
                ("uploads", _ANY, "complete"),
                Endpoint("inspect", _FILE_OBJECTS, "files", joins="complete"),
            ),
            (("uploads", _ANY, "cancel"), _FILES),
            (("batches",), Endpoint("inspect", _BATCH_OBJECTS, "batches")),
            (("batches", _ANY, "cancel"), _BATCHES),
        ),
        "GET": (
            (("models",), _MODELS),
            (("models", _ANY), _MODELS),
            (("files",), _FILES),
            (("files", _ANY), _FILES),
            (("files", _ANY, "content"), _FILES),
            (("batches",), _BATCHES),
            (("batches", _ANY), _BATCHES),
        ),
        "DELETE": ((("files", _ANY), _FILES),),
    },
    "anthropic": {
        "POST": (
            (("v1", "messages"), Endpoint("inspect", _MESSAGES, _MESSAGES.api)),
            (("v1", "messages", "count_tokens"), Endpoint("inspect", _MESSAGES, _MESSAGES.api)),
            (("v1", "files"), Endpoint("upload", None, "files", _ANTHROPIC_FILE)),
            (("v1", "messages", "batches"), Endpoint("inspect", _MESSAGE_BATCHES, "batches")),
            (("v1", "messages", "batches", _ANY, "cancel"), _BATCHES),
        ),
        "GET": (
            (("v1", "models"), _MODELS),
            (("v1", "models", _ANY), _MODELS),
            (("v1", "files"), _FILES),
            (("v1", "files", _ANY), _FILES),
            (("v1", "files", _ANY, "content"), _FILES),
            (("v1", "messages", "batches"), _BATCHES),
            (("v1", "messages", "batches", _ANY), _BATCHES),
            (("v1", "messages", "batches", _ANY, "results"), _BATCHES),
        ),
        "DELETE": (
            (("v1", "files", _ANY), _FILES),
            (("v1", "messages", "batches", _ANY), _BATCHES),
        ),
    },
    "gemini": {  # other POST routes are ``models/{model}:{method}``, see ``_GEMINI_METHODS``
        "POST": ((("upload", _ANY, "files"), Endpoint("upload", None, "files", _GEMINI_UPLOAD)),),
        "GET": (
            (("models",), _MODELS),
            (("models", _ANY), _MODELS),
            (("files",), _FILES),
            (("files", _ANY), _FILES),
        ),
        "DELETE": ((("files", _ANY), _FILES),),
    },
}

#: Gemini puts the method after the model id: ``models/{model}:{method}``
_GEMINI_METHODS: Mapping[str, Endpoint] = {
    "generateContent": Endpoint("inspect", _GEMINI, _GEMINI.api),
    "streamGenerateContent": Endpoint("inspect", _GEMINI, _GEMINI.api),
    "countTokens": Endpoint("inspect", _GEMINI, _GEMINI.api),
    "embedContent": Endpoint("inspect", _GEMINI, "embeddings"),
    "batchEmbedContents": Endpoint("inspect", _GEMINI, "embeddings"),
}
_GEMINI_COLLECTIONS = frozenset({"models", "tunedModels"})

FAMILIES: frozenset[str] = frozenset(_ROUTES)

#: provider family → the error format its refusals are rendered in
REFUSAL_FAMILIES: Mapping[str, str] = {family: family for family in FAMILIES}

#: a percent escape whose decoded byte could change routing: . / \ % ; ? # or a control
_DANGEROUS_ESCAPE = re.compile(r"%(?:2[eEfF5]|5[cC]|3[bBfF]|23|[01][0-9a-fA-F]|7[fF])")
_BAD_PERCENT = re.compile(r"%(?![0-9a-fA-F]{2})")
_FORBIDDEN_CHARS = frozenset("?#\\;")
#: characters a path segment may carry unescaped (RFC 3986 pchar, without ``;``)
_SEGMENT_SAFE = "!$&'()*+,:=@-._~"
#: a path of non-empty segments of such characters only (no escape to decode, none to
#: write): what nearly every request sends, read without a Python loop per character
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9!$&'()*+,:=@\-._~]+)+")


def refusal_family(family: str) -> str:
    """How refusals for ``family`` are spelled (OpenAI's format when unknown)."""
    return REFUSAL_FAMILIES.get(family, "openai")


def _segments(path: str) -> list[str] | None:
    """The path's segments, or ``None`` when it is not a plain canonical path."""
    if _PLAIN_PATH.fullmatch(path):
        segments = path[1:].split("/")
        return None if "." in segments or ".." in segments else segments
    if not path.startswith("/") or any(ch in _FORBIDDEN_CHARS for ch in path):
        return None
    if not path.isprintable() or " " in path:
        return None
    if "%" in path and (_DANGEROUS_ESCAPE.search(path) or _BAD_PERCENT.search(path)):
        return None
    try:
        segments = [unquote(segment, errors="strict") for segment in path[1:].split("/")]
    except UnicodeDecodeError:  # an escape of a byte that is not UTF-8 text
        return None
    for segment in segments:
        if segment in ("", ".", ".."):
            return None
    return segments


def canonical_path(path: str) -> str | None:
    """``path`` as it is classified and forwarded, or ``None`` when it must be refused.

    Escapes are decoded once and only what a path segment cannot carry is escaped again,
    so ``/v1beta/models/x%3AgenerateContent`` becomes ``/v1beta/models/x:generateContent``:
    the route the gateway chose is the one the upstream reads, whichever escapes the
    client used. ``None`` for what ``resolve_endpoint`` would refuse anyway (escapes of
    routing syntax such as ``%2F`` or ``%253A``, empty, ``.`` and ``..`` segments, ``;``).
    """
    segments = _segments(path)
    if segments is None:
        return None
    if "%" not in path and _PLAIN_PATH.fullmatch(path):  # nothing to decode or escape
        return path
    return "/" + "/".join(quote(segment, safe=_SEGMENT_SAFE) for segment in segments)


def _ends_with(segments: list[str], suffix: tuple[str, ...]) -> bool:
    if len(segments) < len(suffix):
        return False
    tail = segments[len(segments) - len(suffix) :]
    return all(want in (_ANY, got) for want, got in zip(suffix, tail, strict=True))


def _gemini_method(segments: list[str]) -> Endpoint | None:
    if len(segments) < 2 or segments[-2] not in _GEMINI_COLLECTIONS:
        return None
    model, sep, method = segments[-1].partition(":")
    if not sep or not model:
        return None
    return _GEMINI_METHODS.get(method)


def resolve_endpoint(family: str, method: str, path: str) -> Endpoint | None:
    """The endpoint ``method path`` names for ``family``, or ``None`` to refuse it.

    ``path`` is what remains after the gateway stripped its provider prefix, without
    the query string; it is matched percent-decoded (see ``canonical_path``).
    """
    routes = _ROUTES.get(family)
    if routes is None:
        return None
    segments = _segments(path)
    if segments is None:
        return None
    method = method.upper()
    if family == "gemini":
        if method == "POST" and segments[0] != "upload":
            return _gemini_method(segments)
        if ":" in segments[-1]:  # a method path, never a model id
            return None
    for suffix, endpoint in routes.get(method, ()):
        if _ends_with(segments, suffix):
            return endpoint
    return None
