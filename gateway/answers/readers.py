"""What of an answer the caller reads, per API: the texts to judge and the stream deltas.

An answer is read like a request's free-form parts: every string is a text the
caller may see (content, refusals, reasoning, tool-call arguments, Anthropic
``tool_use`` input and Gemini ``functionCall`` args, which are objects whose
strings are walked), except the values of *structural* keys — ids, roles,
enums, model names, signatures and binary payloads — which no model writes
prose into and which the SDKs parse (an edited id would break them). Below a
tool call's own object (``input``, ``args``) every key is the model's, so
nothing there is structural.

A stream writes some texts in pieces: a **delta** is a field whose value
continues in the next event of the same **channel** (OpenAI
``choices[i].delta.content``, Anthropic ``delta.text`` of block ``index``,
Responses ``delta`` of one item's content part, Gemini's ``parts[j].text``).
Deltas are judged across events with a bounded hold-back
(``answers/channel.py``); every other string is whole in its event (Responses
``*.done`` and ``response.completed`` repeat the whole text) and is judged
there.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from gateway.providers.dialect import JSONPath

__all__ = ["FREE_FORM_KEYS", "STRUCTURAL_KEYS", "AnswerReader", "reader_for", "strings"]

#: keys whose string values are structure, not text: never judged, never edited
STRUCTURAL_KEYS = frozenset(
    {
        # identifiers and references
        "id", "call_id", "item_id", "tool_call_id", "tool_use_id", "response_id", "responseId",
        "previous_response_id", "conversation", "file_id", "container_id", "server_label",
        # enums and names the SDKs dispatch on
        "object", "type", "role", "status", "finish_reason", "finishReason", "stop_reason",
        "stop_sequence", "service_tier", "system_fingerprint", "name", "modality",
        "blockReason", "category", "probability", "severity", "mime_type", "mimeType",
        # the model, and the provider's own signed or binary state
        "model", "modelVersion", "signature", "thoughtSignature", "encrypted_content",
        "data", "b64_json", "partial_image_b64", "result", "audio",
    }
)  # fmt: skip

#: a path pattern: a key, or ``None`` for any list position
Pattern = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class AnswerReader:
    """One API's answer: which stream fields are deltas, and which event types carry binary."""

    api: str
    deltas: tuple[Pattern, ...] = ()
    #: stream event ``type`` values whose ``delta`` is not text (audio bytes)
    binary_events: frozenset[str] = frozenset()

    def is_delta(self, path: JSONPath) -> bool:
        return any(_matches(pattern, path) for pattern in self.deltas)

    def channel(self, event: dict[str, Any], path: JSONPath) -> Hashable:
        """Which text a delta continues: its path with list positions replaced by the
        ``index`` the element names (OpenAI numbers tool calls so), plus the event's own
        block, item and part numbers (Anthropic ``index``, Responses ``item_id``...)."""
        parts: list[Any] = [event.get(key) for key in _EVENT_KEYS]
        container: Any = event
        for part in path:
            if isinstance(part, int) and isinstance(container, list):
                element = container[part]
                named = element.get("index") if isinstance(element, dict) else None
                parts.append(("#", named if isinstance(named, int) else part))
            else:
                parts.append(part)
            if isinstance(container, dict):
                container = container.get(part)
            elif isinstance(container, list) and isinstance(part, int):
                container = container[part]
        return tuple(parts)


#: event-level fields that tell streamed texts apart
_EVENT_KEYS = ("type", "index", "output_index", "content_index", "item_id", "summary_index")

_CHAT = AnswerReader(
    "chat",
    deltas=(
        ("choices", None, "delta", "content"),
        ("choices", None, "delta", "refusal"),
        ("choices", None, "delta", "reasoning_content"),
        ("choices", None, "delta", "reasoning"),
        ("choices", None, "delta", "tool_calls", None, "function", "arguments"),
        ("choices", None, "delta", "function_call", "arguments"),
        ("choices", None, "text"),  # legacy completions
    ),
)
_RESPONSES = AnswerReader(
    "responses",
    deltas=(("delta",),),  # response.output_text.delta, .refusal.delta, ...arguments.delta
    binary_events=frozenset({"response.audio.delta"}),
)
_MESSAGES = AnswerReader(
    "messages",
    deltas=(("delta", "text"), ("delta", "partial_json"), ("delta", "thinking")),
)
_GEMINI = AnswerReader(
    "generate_content",
    deltas=(("candidates", None, "content", "parts", None, "text"),),
)
_READERS = {reader.api: reader for reader in (_CHAT, _RESPONSES, _MESSAGES, _GEMINI)}
#: an API without deltas (embeddings, token counts): every string judged whole
_WHOLE = AnswerReader("other")


def reader_for(api: str | None) -> AnswerReader:
    return _READERS.get(api or "", _WHOLE)


#: keys whose object is the model's own (tool-call input and args): every key below is
#: the model's choice, so none is structural (``{"id": "900101-…"}`` is read)
FREE_FORM_KEYS = frozenset({"input", "args", "arguments"})


def strings(value: Any, path: JSONPath = (), free: bool = False) -> list[tuple[JSONPath, str]]:
    """Every string of an answer the caller may read, with its path, in document order."""
    found: list[tuple[JSONPath, str]] = []
    _collect(value, path, free, found)
    return found


def _collect(value: Any, path: JSONPath, free: bool, out: list[tuple[JSONPath, str]]) -> None:
    """``strings`` into ``out``: one call per container, none per scalar (a generator per
    value, chained by ``yield from``, cost every answer a few µs)."""
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if free or key not in STRUCTURAL_KEYS:
                    out.append(((*path, key), item))
            elif isinstance(item, (dict, list)):
                _collect(item, (*path, key), free or key in FREE_FORM_KEYS, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                out.append(((*path, index), item))
            elif isinstance(item, (dict, list)):
                _collect(item, (*path, index), free, out)


def _matches(pattern: Pattern, path: JSONPath) -> bool:
    if len(pattern) != len(path):
        return False
    for want, part in zip(pattern, path, strict=True):
        if want is None:
            if not isinstance(part, int):
                return False
        elif want != part:
            return False
    return True
