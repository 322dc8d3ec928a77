"""Restoring pseudonyms in server-sent event streams, across event boundaries.

A model writes a placeholder token by token, so ``[[EMAIL_ADDRESS_3f9a2c1b0d]]``
usually arrives spread over several events (``"[["``, ``"EMAIL"``, ...), each a
separate JSON document. Restoring the raw bytes cannot see it whole. Here each
event's JSON is parsed, and every string in it is fed to a restorer kept per
JSON path (``choices[0].delta.content``, ``delta.text``, ...), so a placeholder
split across events of the same field is reassembled and replaced; the event
then goes out re-serialized. A field that is holding back the start of a
placeholder when its stream ends (the path stops appearing) is flushed in a
copy of its last event, sent just before the event that ended it.

In tool-call arguments (``arguments``, Anthropic's ``partial_json``), which
stream JSON text, a value is restored JSON-escaped: a quote in it cannot end
the argument's string or add a key.

This works for every dialect without knowing its delta fields, because the
placeholder grammar (``[[NAME_hex]]``) never occurs in ids, models or other
fields — those pass through unchanged.

The upstream chooses how the stream is cut, so framing is bounded
(:class:`gateway.upstream.events.EventFramer`: each byte searched about once,
at most ``max_event_bytes`` held), and an event that cannot touch a placeholder
(no ``[[``, no string ending in ``[``, while no field holds a prefix) is passed
on without being parsed: a large base64 image costs one byte scan, not a JSON
round trip on the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from gateway.detect.restore import JSON_TEXT_FIELDS, StreamRestorer
from gateway.providers.dialect import JSONPath, apply_edits
from gateway.upstream.events import EventFramer

__all__ = ["EventStreamRestorer"]

#: what a placeholder (or a string ending in its first ``[``) needs in raw JSON
_MAY_RESTORE = re.compile(rb'\[\[|\["|\\u005[bB]')


class EventStreamRestorer:
    """Feed raw SSE bytes, get restored SSE bytes; ``flush`` at the end of the stream."""

    def __init__(self, mapping: Mapping[str, str], max_event_bytes: int = 16 << 20) -> None:
        self.framer = EventFramer(max_event_bytes)
        self._template = StreamRestorer(mapping)  # validates and compiles the mapping once
        # tool-call arguments stream JSON text: values restored there are JSON-escaped
        self._json_template = StreamRestorer(mapping, json_escape=True)
        self._fields: dict[JSONPath, StreamRestorer] = {}  # fields holding a prefix
        # path → (the event's non-data lines, its JSON as last sent) to copy when flushing
        self._last_event: dict[JSONPath, tuple[list[bytes], bytes]] = {}

    def feed(self, chunk: bytes) -> bytes:
        """Restored whole events; raises ``UpstreamProtocolError`` for an oversized one."""
        return b"".join(self._event(event, end) for event, end in self.framer.feed(chunk))

    def flush(self) -> bytes:
        """The end of the stream: a last unterminated event, then anything still held."""
        rest = self.framer.rest()
        out = self._event(rest, b"\n\n") if rest.strip() else rest
        return out + self._flush_fields(set())

    def _event(self, raw: bytes, end: bytes) -> bytes:
        if _MAY_RESTORE.search(raw) is None and not self._holding():
            return raw + end  # nothing in it can be, or finish, a placeholder
        lines = raw.splitlines()
        data = [line[5:].removeprefix(b" ") for line in lines if line.startswith(b"data:")]
        other = [line for line in lines if not line.startswith(b"data:")]
        document = _json_object(b"\n".join(data)) if data else None
        if document is None:  # a comment, a keep-alive or `data: [DONE]`: the end of fields
            return self._flush_fields(set()) + raw + end
        seen: set[JSONPath] = set()
        edits: dict[JSONPath, str] = {}
        for path, text in _strings(document, ()):
            seen.add(path)
            restorer = self._fields.get(path)
            if restorer is None:
                if "[" not in text:
                    continue  # the common case: nothing to hold, nothing to restore
                template = (
                    self._json_template if path and path[-1] in JSON_TEXT_FIELDS else self._template
                )
                restorer = self._fields[path] = template.spawn()
            restored = restorer.feed(text)
            if restored != text:
                edits[path] = restored
        before = self._flush_fields(seen)
        if not edits:
            body = raw + end
        else:
            apply_edits(document, edits)
            body = _serialize(other, orjson.dumps(document), end)
        # Only fields holding a prefix are kept, so per-event work stays bounded by the
        # event's own size however many different fields a stream has touched.
        sent: bytes | None = None
        for path in list(self._fields):
            if not self._fields[path].held:
                del self._fields[path]
                self._last_event.pop(path, None)
            elif path in seen:
                sent = sent if sent is not None else orjson.dumps(document)
                self._last_event[path] = (other, sent)
        return before + body

    def _holding(self) -> bool:
        return bool(self._fields)  # only fields that hold a prefix are kept

    def _flush_fields(self, still_streaming: set[JSONPath]) -> bytes:
        out: list[bytes] = []
        for path, restorer in list(self._fields.items()):
            if path in still_streaming or not restorer.held:
                continue
            rest = restorer.flush()
            del self._fields[path]
            template = self._last_event.pop(path, None)
            if template is None:
                continue
            other, last = template
            copy = orjson.loads(last)
            apply_edits(copy, {path: rest})
            out.append(_serialize(other, orjson.dumps(copy), b"\n\n"))
        return b"".join(out)


def _json_object(data: bytes) -> Any:
    if not data.startswith(b"{"):
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def _strings(value: Any, path: JSONPath) -> Iterator[tuple[JSONPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _serialize(other: list[bytes], data: bytes, end: bytes) -> bytes:
    return b"\n".join([*other, b"data: " + data]) + end
