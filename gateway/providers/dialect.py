"""What every provider dialect provides: segments, attachments and references out, edits in.

A *dialect* is one wire format (OpenAI Chat Completions, Anthropic Messages,
...). It knows where text lives in a parsed request body, the model the body
names, whether the answer streams, and (through ``apply_edits``) how edited text
goes back to exactly those places. How a provider family spells an error is not
the dialect's job: ``providers/refusals.py`` renders refusals per family. Adding a
provider format means adding one module that implements ``Dialect``.

Every string and number of a body is a segment. A dialect says which places are
*text* (scanned, edits written back); everything it does not read as text is
*scan-only* (object keys in free-form JSON, the ``model``, and every value the
sweep adds: ids, names, settings, signed state; scanned, and a request whose
finding there would be edited is refused, since it cannot be rewritten in
place). Besides, content is *recorded* (attachments and references to
server-side state, for policies to decide on) or *refused* (content the gateway
cannot read, e.g. token ids). "Structural" only says a dialect does not read a
field as text: the sweep (``providers/sweep.py``) still scans it unless it is
vocabulary, a boolean or a short number. A field a dialect does not
know is scanned as free-form JSON (``Extraction.free``), so a new provider field
is inspected, not skipped; docs/dialects.md lists every dialect's fields.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, Protocol

from gateway.providers.sweep import (
    MIN_NUMBER_DIGITS,
    joined_numbers,
    number_key,
    number_text,
    sweep,
)

__all__ = [
    "KNOWN_QUERY_PARAMS",
    "MIN_NUMBER_DIGITS",
    "REFERENCE_KEYS",
    "SCAN_ONLY",
    "SCHEMA_KEYS",
    "Dialect",
    "Extraction",
    "Form",
    "Handler",
    "InlineFile",
    "JSONBodyDialect",
    "JSONPath",
    "Segment",
    "UninspectableContent",
    "apply_edits",
    "format_location",
    "read_text",
    "refers_to",
    "require_object",
    "walk_strings",
]

JSONPath = tuple[str | int, ...]

_MIN_SCANNED_NUMBER = 10 ** (MIN_NUMBER_DIGITS - 1)
#: floats hold every integer below this exactly (2**53)
_EXACT_FLOAT_LIMIT = 2**53

#: JSON-Schema keywords: provider vocabulary, not scanned as keys in definitions
_SCHEMA_WORDS = frozenset(
    {
        "type", "description", "properties", "items", "required", "enum", "default",
        "examples", "example", "title", "additionalProperties", "anyOf", "oneOf", "allOf",
        "not", "const", "minimum", "maximum", "minLength", "maxLength", "minItems",
        "maxItems", "pattern", "format", "nullable", "parameters", "function", "definitions",
        "$defs", "input_schema", "strict", "name", "propertyOrdering", "response",
    }
)  # fmt: skip

#: JSON-Schema keys whose scalar values are vocabulary, not data (descriptions,
#: enum values, defaults and examples are data and are scanned)
SCHEMA_KEYS = frozenset(
    {"type", "format", "$ref", "$schema", "$id", "$anchor", "strict", "name", "syntax"}
)

#: keys of provider-defined objects that name state the provider holds → the
#: server-reference kind recorded for them (their values are ids, not data)
REFERENCE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "file_id": "file_id",
        "file_ids": "file_id",
        "container_id": "container_id",
        "vector_store_ids": "vector_store_id",
        "previous_response_id": "previous_response_id",
        "previous_message_id": "previous_message_id",
        "cachedContent": "cachedContent",
        "cached_content": "cachedContent",
    }
)

#: how a segment's text sits in the JSON value at its path. ``key`` (a JSON object
#: key), ``url`` (the URL path or a query parameter's name) and ``model`` (the
#: model a body names) are scanned but cannot be edited in place (``SCAN_ONLY``);
#: ``header`` is a request header's value (``path`` is its lower-case name), a
#: caller-chosen label such as the User-Agent (``gateway/labels.py``)
Form = Literal[
    "text",
    "number",
    "base64",
    "base64url",
    "query",
    "credential",
    "key",
    "url",
    "model",
    "header",
    "fixed",
    "attachment",
]

#: forms whose findings count for the policy but which an edit cannot rewrite:
#: a request the policy would edit there is refused, not forwarded. ``fixed`` is a
#: value the provider defines or checks (a tool name, an id, a setting, signed
#: state, a run of numbers read as one text): see ``providers/sweep.py``;
#: ``attachment`` is text read out of an attached file that cannot be rewritten
#: (a PDF, an image, an Office or HWP document): ``Segment.part`` says where in it
SCAN_ONLY: frozenset[str] = frozenset({"key", "url", "model", "fixed", "attachment"})

#: a caller-chosen key shown as itself in a location: a plain identifier with few
#: digits (``note``, ``user_location``); anything else (an e-mail, a number, a
#: phrase) is written ``*``, so a location never carries a key's data
_READABLE_KEY = re.compile(r"(?!(?:[^0-9]*[0-9]){5})[A-Za-z_][A-Za-z0-9_]{0,39}")


#: scan-only forms whose location already hides every caller-chosen part
_WHOLE_PLACES = frozenset({"key", "url", "model"})
#: a header name shown in a location: lower-case letters and dashes (``x-request-source``)
_HEADER_NAME = re.compile(r"[a-z][a-z-]{0,47}")


class UninspectableContent(ValueError):
    """A body holds content the dialect cannot turn into text (e.g. token ids).

    Raised while extracting so that the request is refused rather than forwarded
    unscanned; the message is shown to the client and must not quote the body.
    """


@dataclass(frozen=True, slots=True)
class Segment:
    """One text-bearing position of a request body (or of its query string).

    ``path`` addresses the value inside the parsed JSON (keys and list indexes);
    ``location`` is the same path written for people, e.g.
    ``messages[3].content[0].text``. ``form`` says how the scanned ``text`` is
    stored there: as-is, as a JSON number, or base64-encoded after ``prefix``
    (a text document in a data URL); ``encode`` turns an edited text back into
    the value to store.
    """

    path: JSONPath
    text: str
    form: Form = "text"
    prefix: str = ""
    charset: str = "utf-8"
    #: how many leading path parts the dialect defines; keys from there on were
    #: chosen by the caller (free-form JSON) and are masked in ``location``
    free_from: int | None = None
    #: where inside an attached file the text was read (``pdf page 3``)
    part: str | None = None

    @property
    def location(self) -> str:
        """Where the text sits, safe to record: never a caller-chosen key's text.

        Keys below a free-form entry point that are not plain identifiers become
        ``*``; a query parameter is named only when it is a known one (``?*``
        otherwise); the URL path and the model are ``(path)`` and ``model``.
        """
        if self.form in ("query", "credential", "url"):
            if not self.path:
                return "(path)"
            return f"?{_query_name(str(self.path[0]))}"
        if self.form == "model":
            return "model"
        if self.form == "header":  # a custom header's name is the caller's: shown if plain
            name = str(self.path[0])
            return f"(header:{name if _HEADER_NAME.fullmatch(name) else '*'})"
        if self.form == "key":  # the key itself, whatever it is
            return format_location((*self.path[:-1], "*"), self.free_from)
        if self.part is not None:
            return f"{format_location(self.path, self.free_from)} ({self.part})"
        return format_location(self.path, self.free_from)

    def located(self, hidden: frozenset[str]) -> str:
        """``location``, with the caller's keys in ``hidden`` also written ``*``
        (keys in which something was found, however plain they look)."""
        if self.free_from is None or not hidden or self.form in _WHOLE_PLACES:
            return self.location
        path = tuple(
            "*" if index >= self.free_from and part in hidden else part
            for index, part in enumerate(self.path)
        )
        return format_location(path, self.free_from)

    def encode(self, edited: str) -> str:
        """The JSON value that replaces this segment once its text is edited.

        A number becomes a string: the edit (a placeholder) is no longer a number,
        and the provider sees a string where the client sent digits.
        """
        if self.form == "base64":
            return self.prefix + base64.b64encode(edited.encode(self.charset)).decode("ascii")
        if self.form == "base64url":
            return self.prefix + base64.urlsafe_b64encode(edited.encode(self.charset)).decode()
        return edited


Handler = Callable[[Any, JSONPath, "Extraction"], None]


@dataclass(frozen=True, slots=True)
class InlineFile:
    """A file sent inside the body as base64, left for the Extract stage to read.

    Dialects only find it; reading it (``gateway.attachments``) is slow and async,
    so the Extract stage does it after the walk. ``prefix`` is what precedes the
    base64 in the value (a ``data:`` URL's header), kept so a text file that is
    edited can be written back in place.
    """

    path: JSONPath
    payload: str
    prefix: str
    media_type: str | None
    filename: str | None
    kind: str


class Extraction:
    """What a dialect found in one body: texts to scan, and what it could not scan.

    ``attachments`` are media and documents by kind (``"image"``, ``"audio"``,
    ``"video"``, ``"file"``, ``"document"``); ``server_references`` name state the
    provider already holds (``"file_id"``, ``"previous_response_id"``, ...), whose
    content never passes the gateway. Both keep first-seen order, without repeats.
    Handlers of every dialect take ``(value, path, extraction)``.
    """

    __slots__ = ("_attachments", "_references", "decoded_bytes", "files", "segments", "skipped")

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        #: subtrees the sweep passes over: binary media recorded as attachments, and
        #: credentials handed to a third party on purpose (``skip``)
        self.skipped: set[JSONPath] = set()
        self._attachments: dict[str, None] = {}
        self._references: dict[str, None] = {}
        #: bytes of attached text documents decoded so far (see ``attachments.py``)
        self.decoded_bytes = 0
        #: inline files to read (documents, images, text in an unknown charset)
        self.files: list[InlineFile] = []

    @property
    def attachments(self) -> tuple[str, ...]:
        return tuple(self._attachments)

    @property
    def server_references(self) -> tuple[str, ...]:
        return tuple(self._references)

    def attach(self, kind: str) -> None:
        self._attachments.setdefault(kind)

    def refer(self, kind: str) -> None:
        self._references.setdefault(kind)

    def skip(self, path: JSONPath) -> None:
        """Leave the value at ``path`` out of the sweep (``sweep``): binary media the
        dialect recorded, or a credential meant for the server it is sent to."""
        self.skipped.add(path)

    def sweep(self, document: Any, also_covered: tuple[JSONPath, ...] = ()) -> None:
        """Add every value of ``document`` no segment covers yet, scan-only.

        Run once, after the dialect read the body: ids, names, settings, signed
        state and unknown keys of provider objects reach the provider too
        (``providers/sweep.py`` says what is passed over and why).
        """
        covered = {s.path for s in self.segments if s.form != "key"}
        covered.update(also_covered)
        keys = {s.path for s in self.segments if s.form == "key"}
        self.segments += [
            Segment(path, text, form, free_from=0)
            for path, text, form in sweep(document, covered, keys, self.skipped)
        ]

    def text(self, value: Any, path: JSONPath) -> None:
        """A field that must be a string (or absent); any other shape is refused."""
        if isinstance(value, str):
            if value:
                self.segments.append(Segment(path, value))
        elif value is not None:
            raise UninspectableContent(f"{format_location(path)} is not text")

    def free(self, value: Any, path: JSONPath, structural: frozenset[str] | None = None) -> None:
        """Every string, long integer and object key inside an arbitrary JSON value.

        Used for tool arguments and results, schemas, metadata and fields the
        dialect does not know. Object keys are scanned as ``key`` segments (scan
        only: an edit cannot rename a key without changing what the call means,
        so a request the policy would edit there is refused), and are masked in
        locations (``Segment.free_from``). ``structural=None`` reads data someone
        wrote (tool arguments): every value counts. A set reads an object the
        provider defines (a tool definition, an unknown field): a key in it whose
        value is a scalar (a type tag, a name) is left to the sweep (scan-only),
        keys in ``REFERENCE_KEYS`` are recorded as server references (their ids
        swept), and the set's own keys and JSON-Schema keywords are not scanned
        as keys. Adjacent numbers of a list are read joined, scan-only.
        """
        self._free(value, path, structural, len(path))

    def _free(
        self, value: Any, path: JSONPath, structural: frozenset[str] | None, free_from: int
    ) -> None:
        # Exact type checks: orjson builds plain types, and this walk runs for every
        # tool schema of every request (``bool`` is not ``int`` here, as wanted).
        kind = type(value)
        segments = self.segments
        if kind is str:
            if value:
                segments.append(Segment(path, value, free_from=free_from))
        elif kind is dict:
            for key, item in value.items():
                if type(item) in (int, float) and key and number_key(key):
                    # a number keyed by a number: one value split in two, read joined
                    joined = f"{key} {item}"
                    segments.append(Segment((*path, key), joined, "fixed", free_from=free_from))
                if structural is not None:
                    if key in REFERENCE_KEYS:
                        if item:
                            self.refer(REFERENCE_KEYS[key])
                        continue
                    if key in structural and type(item) is not dict and type(item) is not list:
                        continue
                    if key not in structural and key not in _SCHEMA_WORDS and key:
                        segments.append(Segment((*path, key), key, "key", free_from=free_from))
                elif key:
                    segments.append(Segment((*path, key), key, "key", free_from=free_from))
                if type(item) is str:  # the common leaf, without a call
                    if item:
                        segments.append(Segment((*path, key), item, free_from=free_from))
                else:
                    self._free(item, (*path, key), structural, free_from)
        elif kind is list:
            in_runs: set[int] = set()
            if len(value) > 1:
                # adjacent numbers are read as one text, scan-only: a value split
                # into numbers ([900101, -1234568]) is seen whole
                for start, end, run in joined_numbers(value):
                    in_runs.update(range(start, end))
                    segments.append(Segment((*path, start), run, "fixed", free_from=free_from))
            for index, item in enumerate(value):
                if index not in in_runs:
                    self._free(item, (*path, index), structural, free_from)
        elif kind is int:
            text = number_text(value)
            if text is not None:
                segments.append(Segment(path, text, "number", free_from=free_from))
        elif kind is float and not value.is_integer():
            # a fractional number is text too (900101.1234568), written as it reads
            text = number_text(value)
            if text is not None:
                segments.append(Segment(path, text, "number", free_from=free_from))
        elif kind is float and abs(value) >= _MIN_SCANNED_NUMBER:
            # orjson reads an integer beyond 64 bits (or one written ``123456.0``) as a
            # float: its digits are scanned like an integer's while a float holds them
            # exactly; beyond that the digits sent cannot be known, so it is refused
            if abs(value) >= _EXACT_FLOAT_LIMIT:
                raise UninspectableContent(
                    f"{format_location(path, free_from)} holds a number too long to inspect; "
                    "send it as a JSON string"
                )
            segments.append(Segment(path, str(int(value)), "number", free_from=free_from))

    def fields(
        self,
        obj: Mapping[str, Any],
        handlers: Mapping[str, Handler],
        path: JSONPath,
        structural: frozenset[str] = frozenset(),
    ) -> None:
        """Visit the keys of ``obj`` in the order the client wrote them.

        A key with a handler goes to it; a key in ``structural`` is left to the
        sweep (scan-only), one in ``REFERENCE_KEYS`` recorded (its id swept); any
        other key is scanned as free-form JSON, so an unknown field is inspected.
        """
        for key, value in obj.items():
            handler = handlers.get(key)
            if handler is not None:
                handler(value, (*path, key), self)
            elif key in REFERENCE_KEYS:
                if value:
                    self.refer(REFERENCE_KEYS[key])
            elif key not in structural:
                # a key the dialect does not know is the caller's: scanned, and masked
                if key:
                    self.segments.append(Segment((*path, key), key, "key", free_from=len(path)))
                self._free(value, (*path, key), frozenset(), len(path))

    def text_or_items(self, value: Any, path: JSONPath, handler: Handler) -> None:
        """A field that is a string, or a list whose every element ``handler`` reads."""
        if value is None or isinstance(value, str):
            self.text(value, path)
        elif isinstance(value, list):
            self.items(value, path, handler)
        else:
            raise UninspectableContent(f"{format_location(path)} has an unsupported shape")

    def items(self, value: Any, path: JSONPath, handler: Handler) -> None:
        """A list field whose every element ``handler`` reads (absent is empty)."""
        if value is None:
            return
        if not isinstance(value, list):
            raise UninspectableContent(f"{format_location(path)} must be a list")
        for index, item in enumerate(value):
            handler(item, (*path, index), self)


class Dialect(Protocol):
    """A provider wire format for one API (chat, messages, embeddings, ...)."""

    #: short API name used by policies and audit records, e.g. ``"chat"``
    api: str

    def extract(self, body: Any) -> Extraction:
        """Every text-bearing position of ``body`` in document order, plus what it
        attaches and refers to; raises ``UninspectableContent`` for unreadable bodies."""
        ...

    def model(self, body: Any, path: str) -> str | None:
        """The model the request names (from the body or, for Gemini, the path)."""
        ...

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        """Whether the upstream will answer with a stream of events."""
        ...


class JSONBodyDialect:
    """The common case: a JSON-object body that names its ``model`` and sets ``stream``.

    A subclass lists the handlers of its text fields and the names of its
    structural ones; every other top-level field is scanned as free-form JSON.
    """

    api: str = ""
    #: top-level fields that hold text (or nest it), by name
    body_fields: Mapping[str, Handler] = {}
    #: top-level fields that tune or route the call: not text, swept scan-only
    structural_fields: frozenset[str] = frozenset()

    def extract(self, body: Any) -> Extraction:
        if not isinstance(body, dict):
            raise UninspectableContent("request body must be a JSON object")
        found = Extraction()
        found.fields(body, self.body_fields, (), self.structural_fields)
        # the model is scanned by the Extract stage (scan-only, and recorded masked)
        found.sweep(body, (("model",),) if isinstance(body.get("model"), str) else ())
        return found

    def extract_segments(self, body: Any) -> list[Segment]:
        """Only the texts of ``extract`` (the interface before attachments existed)."""
        return self.extract(body).segments

    def model(self, body: Any, path: str) -> str | None:
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

    def is_streaming(self, body: Any, path: str, query: str) -> bool:
        return isinstance(body, dict) and body.get("stream") is True


def format_location(path: JSONPath, free_from: int | None = None) -> str:
    """``("messages", 3, "content")`` → ``messages[3].content``.

    From index ``free_from`` on, keys are the caller's: each that is not a plain
    identifier is written ``*`` (``metadata.*``), so no data shows through.
    """
    out: list[str] = []
    for index, part in enumerate(path):
        if isinstance(part, int):
            out.append(f"[{part}]")
            continue
        if free_from is not None and index >= free_from and not _READABLE_KEY.fullmatch(part):
            part = "*"
        out.append(f".{part}" if out else part)
    return "".join(out)


#: query parameters named in locations; any other name is the caller's (``?*``)
KNOWN_QUERY_PARAMS = frozenset(
    {
        "alt",
        "$alt",
        "api-version",
        "beta",
        "uploadtype",
        "upload_type",
        "$.xgafv",
        "prettyprint",
        "key",
        "api_key",
        "api-key",
        "apikey",
        "access_token",
        "x-goog-api-key",
        "after",
        "before",
        "limit",
        "order",
        "pagesize",
        "page_size",
        "pagetoken",
        "page_token",
    }
)


def _query_name(name: str) -> str:
    return name if name.lower() in KNOWN_QUERY_PARAMS else "*"


def read_text(value: Any, path: JSONPath, found: Extraction) -> None:
    """The handler of a field that must be text (``Extraction.text``)."""
    found.text(value, path)


def refers_to(kind: str, key: str | None = None) -> Handler:
    """The handler of a field that names server-side state: records ``kind`` when
    the value (or, for an object, its ``key``) is set; nothing in it is scanned."""

    def record(value: Any, path: JSONPath, found: Extraction) -> None:
        if key is not None:
            value = value.get(key) if isinstance(value, dict) else None
        if value:
            found.refer(kind)

    return record


def require_object(value: Any, path: JSONPath, noun: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; a refusal naming ``noun`` otherwise."""
    if not isinstance(value, dict):
        raise UninspectableContent(f"{format_location(path)} is not a {noun} object")
    return value


def walk_strings(value: Any, path: JSONPath) -> list[Segment]:
    """Every string and long integer inside ``value`` (see ``Extraction.free``)."""
    found = Extraction()
    found.free(value, path)
    return found.segments


def apply_edits(body: Any, edits: Mapping[JSONPath, Any]) -> None:
    """Write edited values back into ``body`` in place, touching nothing else."""
    for path, text in edits.items():
        if not path:
            raise ValueError("cannot replace the whole body")
        container = body
        for part in path[:-1]:
            container = container[part]
        container[path[-1]] = text
