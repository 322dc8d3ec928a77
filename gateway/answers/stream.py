"""Judging a server-sent event stream as it flows, event by event.

Each event's JSON is parsed and its strings read as the API's reader says
(``answers/readers.py``): a delta goes to its channel (``answers/channel.py``),
which releases what can be sent and holds back the start of a value; every
other string is judged whole, in one scan per event. An event nothing changed
in goes out as the upstream's bytes; an edited one is written out again.

A channel's held tail leaves in a copy of its last delta event with only that
text, sent just before the first event that is not a delta (OpenAI's finish
chunk, Anthropic's ``content_block_stop``, Responses' ``*.done``), before a
non-JSON event (``[DONE]``) and at the end of the stream. Keep-alives (comments,
Anthropic ``ping``) pass without releasing anything, and deltas of other
channels (another choice, another tool call) neither, so interleaved texts keep
their hold-back.

A block raises ``AnswerBlocked`` from ``feed``: the events judged before it
have been sent, that one is not, and ``forward`` ends the stream with the
provider's error event. Gemini's JSON-array stream goes through the same
``judge``, element by element, once the array has been read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.answers.channel import TextChannel
from gateway.answers.judge import AnswerJudge, judge_texts
from gateway.answers.readers import AnswerReader, strings
from gateway.providers.dialect import JSONPath, apply_edits, format_location
from gateway.upstream.events import EventFramer

__all__ = ["MAX_OPEN_CHANNELS", "EventStreamInspector"]

#: texts holding back at once; an upstream that interleaves more (one choice index after
#: another) has its oldest released, so what is held stays bounded by this many events
MAX_OPEN_CHANNELS = 16
#: event types that only keep the connection alive
_KEEP_ALIVE = frozenset({"ping"})


@dataclass(slots=True)
class _Open:
    """A channel with its path and its last event (non-data lines, JSON) to copy."""

    channel: TextChannel
    path: JSONPath
    other: list[bytes]
    last: bytes


class EventStreamInspector:
    """Judges a stream's events in order; SSE bytes (``feed``) or parsed documents
    (``judge``, for Gemini's JSON array) alike. ``release_all`` at the end."""

    def __init__(self, judge: AnswerJudge, reader: AnswerReader, max_event_bytes: int) -> None:
        self.framer = EventFramer(max_event_bytes)
        self._judge = judge
        self._reader = reader
        self._open: dict[Hashable, _Open] = {}

    async def feed(self, chunk: bytes) -> AsyncIterator[bytes]:
        """The judged events ``chunk`` completes, one at a time: those judged before a
        block are sent before it."""
        for event, end in self.framer.feed(chunk):
            if out := await self._event(event, end):
                yield out

    async def flush(self) -> bytes:
        """The end of the stream: a last unterminated event, then every held tail."""
        rest = self.framer.rest()
        out = await self._event(rest, b"\n\n") if rest.strip() else rest
        return out + _frames(await self.release_all())

    async def _event(self, raw: bytes, end: bytes) -> bytes:
        lines = raw.splitlines()
        data = [line[5:].removeprefix(b" ") for line in lines if line.startswith(b"data:")]
        if not data:
            return raw + end  # a comment or keep-alive: nothing to judge, nothing released
        document = _json_object(b"\n".join(data))
        if document is None:  # `data: [DONE]` or other non-JSON: the texts have ended
            return _frames(await self.release_all()) + raw + end
        other = [line for line in lines if not line.startswith(b"data:")]
        before, edited = await self.judge(document, other)
        body = _serialize(other, orjson.dumps(document), end) if edited else raw + end
        return _frames(before) + body

    async def judge(
        self, document: dict[str, Any], other: list[bytes] | None = None
    ) -> tuple[list[_Copy], bool]:
        """Judge one event in place: the held tails to send before it, and whether it
        was edited. ``other``: its SSE lines besides ``data:``, kept for copies."""
        kind = document.get("type")
        if kind in _KEEP_ALIVE or kind in self._reader.binary_events:
            return [], False
        other = other or []
        deltas: list[tuple[Hashable, JSONPath, str]] = []
        whole: list[tuple[JSONPath, str]] = []
        for path, text in strings(document):
            if self._reader.is_delta(path):
                deltas.append((self._reader.channel(document, path), path, text))
            elif text:
                whole.append((path, text))
        before = [] if deltas else await self.release_all()
        edits: dict[JSONPath, str] = {}
        for key, path, text in deltas:
            opened = self._open.get(key)
            if opened is None:
                if len(self._open) >= MAX_OPEN_CHANNELS:  # the oldest holding one goes now
                    before += await self._release(next(iter(self._open)))
                channel = TextChannel(format_location(path, free_from=0))
                opened = self._open[key] = _Open(channel, path, other, b"")
            found = await self._judge.scan_within_budget([opened.channel.window(text)])
            released = opened.channel.release(found[0], self._judge)
            if released != text:
                edits[path] = released
        if whole:
            texts = [text for _, text in whole]
            locations = [format_location(path, free_from=0) for path, _ in whole]
            judged = judge_texts(
                self._judge, texts, locations, await self._judge.scan_within_budget(texts)
            )
            for (path, old), new in zip(whole, judged, strict=True):
                if new != old:
                    edits[path] = new
        if edits:
            apply_edits(document, edits)
        sent: bytes | None = None
        for key, _, _ in deltas:
            opened = self._open[key]
            if opened.channel.held:  # remember the event, to copy when it is released
                sent = sent if sent is not None else orjson.dumps(document)
                opened.other, opened.last = other, sent
            else:
                del self._open[key]
        return before, bool(edits)

    async def release_all(self) -> list[_Copy]:
        """Every held tail, each in a copy of its channel's last event."""
        out: list[_Copy] = []
        for key in list(self._open):
            out += await self._release(key)
        return out

    async def _release(self, key: Hashable) -> list[_Copy]:
        opened = self._open.pop(key)
        if not opened.channel.held:
            return []
        found = await self._judge.scan_within_budget([opened.channel.window("")])
        tail = opened.channel.release(found[0], self._judge, final=True)
        copy = orjson.loads(opened.last)
        apply_edits(copy, {opened.path: tail})
        return [(opened.other, copy)]


#: a held tail's event: its SSE lines besides ``data:``, and its JSON
_Copy = tuple[list[bytes], dict[str, Any]]


def _frames(copies: list[_Copy]) -> bytes:
    return b"".join(_serialize(other, orjson.dumps(doc), b"\n\n") for other, doc in copies)


def _json_object(data: bytes) -> Any:
    if not data.lstrip().startswith(b"{"):
        return None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _serialize(other: list[bytes], data: bytes, end: bytes) -> bytes:
    return b"\n".join([*other, b"data: " + data]) + end
