"""Putting the original values back in place of this request's pseudonym placeholders.

Placeholders are ``[[...]]`` strings with no ``[`` or ``]`` inside (see
:class:`gateway.detect.transforms.Pseudonymizer`), so two placeholder occurrences can never
overlap. Scanning is therefore a fixed bracket grammar plus a dict lookup, linear in the text
whatever the mapping's size, and a candidate that is not in this request's mapping is
passed through untouched: values from other requests are never restored.

Two input modes, one grammar (the placeholder's ASCII characters are never JSON-escaped):

* decoded text, e.g. the content of SSE deltas: ``json_escape=False`` inserts values as is;
* raw JSON text, e.g. a whole response body decoded from UTF-8: ``json_escape=True`` inserts
  each value escaped for the inside of a JSON string (no quotes; ``"``, ``\\``, control and
  all non-ASCII characters escaped, non-BMP ones as surrogate pairs), so a value can never
  break out of its string or the body's encoding.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

__all__ = [
    "JSON_TEXT_FIELDS",
    "StreamRestorer",
    "json_string_fragment",
    "restore_document",
    "restore_text",
]

#: answer fields whose string is itself JSON text (tool-call arguments): a value restored
#: there is escaped for the inside of that JSON's strings, so it can neither break the
#: arguments nor add a key to them
JSON_TEXT_FIELDS = frozenset({"arguments", "partial_json"})

_PLACEHOLDER_SHAPE = re.compile(r"\[\[[^\[\]]+\]\]")


def json_string_fragment(value: str) -> str:
    """``value`` escaped for the inside of a JSON string, pure ASCII, without the quotes."""
    return json.dumps(value, ensure_ascii=True)[1:-1]


class _Table:
    """The mapping checked, its replacements precomputed, and the candidate regex compiled."""

    def __init__(self, mapping: Mapping[str, str], json_escape: bool) -> None:
        for key in mapping:
            if not _PLACEHOLDER_SHAPE.fullmatch(key):
                raise ValueError(f"not a [[...]] placeholder without inner brackets: {key!r}")
        escape = json_string_fragment if json_escape else str
        self.values = {key: escape(value) for key, value in mapping.items()}
        self.keys = sorted(self.values)
        self.longest = max(map(len, self.keys), default=0)
        inner = max(self.longest - 4, 1)
        self.candidate = re.compile(rf"\[\[[^\[\]]{{1,{inner}}}\]\]")

    def _swap(self, match: re.Match[str]) -> str:
        found = match.group()
        return self.values.get(found, found)

    def restore(self, text: str) -> str:
        if not self.values or "[[" not in text:
            return text
        return self.candidate.sub(self._swap, text)

    def is_proper_prefix(self, text: str) -> bool:
        """Whether ``text`` is the start, but not the whole, of some placeholder."""
        index = bisect_left(self.keys, text)
        return (
            index < len(self.keys)
            and self.keys[index].startswith(text)
            and (self.keys[index] != text)
        )

    def hold_from(self, text: str) -> int:
        """Where the longest suffix that could still grow into a placeholder starts.

        Only the last ``longest - 1`` characters are candidates and only at a ``[``, so this is
        cheap; if nothing qualifies the result is ``len(text)`` and nothing is held.
        """
        position = text.find("[", max(len(text) - self.longest + 1, 0))
        while position != -1:
            if self.is_proper_prefix(text[position:]):
                return position
            position = text.find("[", position + 1)
        return len(text)


def restore_text(text: str, mapping: Mapping[str, str], *, json_escape: bool = False) -> str:
    """Replace every placeholder of ``mapping`` found in a whole (non-streamed) text.

    Use ``json_escape=True`` when ``text`` is a raw JSON document rather than decoded content.
    """
    return _Table(mapping, json_escape).restore(text)


def restore_document(document: Any, mapping: Mapping[str, str]) -> Any:
    """A parsed answer with this request's placeholders restored in every string, in place;
    in tool-call arguments (``JSON_TEXT_FIELDS``) each value is JSON-escaped."""
    plain, escaped = _Table(mapping, False), _Table(mapping, True)

    def walk(value: Any, key: object) -> Any:
        if isinstance(value, str):
            return (escaped if key in JSON_TEXT_FIELDS else plain).restore(value)
        if isinstance(value, dict):
            for name, item in value.items():
                value[name] = walk(item, name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = walk(item, key)
        return value

    return walk(document, None)


class StreamRestorer:
    """Restores placeholders in a text that arrives in chunks, with minimal delay.

    ``feed`` emits everything except the longest tail that is a proper prefix of one of this
    mapping's placeholders (at most ``len(longest placeholder) - 1`` characters, and always
    starting with ``[``); text that cannot begin a placeholder is emitted at once. Each call
    scans only the held tail plus the new chunk, never the accumulated response. The
    concatenation of all ``feed`` results and ``flush`` equals ``restore_text`` on the whole.
    """

    def __init__(self, mapping: Mapping[str, str], *, json_escape: bool = False) -> None:
        self._table = _Table(mapping, json_escape)
        self._held = ""

    def spawn(self) -> StreamRestorer:
        """A fresh restorer for another text, sharing this one's checked, compiled mapping."""
        fresh = StreamRestorer.__new__(StreamRestorer)
        fresh._table = self._table
        fresh._held = ""
        return fresh

    @property
    def held(self) -> str:
        """The tail currently withheld because it may be the start of a placeholder."""
        return self._held

    def feed(self, chunk: str) -> str:
        """Return what can be emitted now that ``chunk`` has arrived."""
        if not self._table.values:
            return chunk
        text = self._held + chunk
        cut = self._table.hold_from(text)
        self._held = text[cut:]
        return self._table.restore(text[:cut])

    def flush(self) -> str:
        """Return the held tail at the end of the stream; it was never a whole placeholder."""
        rest, self._held = self._held, ""
        return self._table.restore(rest)
