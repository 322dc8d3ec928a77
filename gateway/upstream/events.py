"""Splitting a provider's server-sent event stream into events, in bounded memory.

Whatever reads a streamed answer event by event (pseudonym restoration) must
hold the start of an event until its blank line arrives. An upstream decides
how long that is, so it decides how much the gateway holds and how often it
searches: an event that never ends once made the gateway keep the whole stream
and search all of it again for every chunk (quadratic: 300 MB took 309 s of the
event loop). :class:`EventFramer` instead remembers where its last search
stopped, so every byte is searched about once, and refuses an event longer than
``max_event_bytes``. :func:`progressing` adds the time limit: an event that has
begun must end within ``idle_timeout`` seconds, whether bytes keep dripping in
or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from gateway.errors import UpstreamProtocolError

__all__ = ["EventFramer", "StreamLimits", "progressing"]

#: the blank line that ends an event, in each of the line-end styles providers use
#: (at one position at most one of them can match: they differ by their second byte)
_TERMINATORS = (b"\r\n\r\n", b"\n\n", b"\r\r")
#: a terminator is at most this long, so a search resumes this far before the old end
_OVERLAP = 3
#: substring search (memchr-fast, unlike a regular expression); a name tests can wrap
_find = bytearray.find


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """``forward.max_event_bytes`` and ``forward.stream_idle_timeout``, parsed once."""

    max_event_bytes: int = 16 * 1024 * 1024
    idle_timeout: float = 60.0


class EventFramer:
    """Feed raw bytes, get back whole events (each with the blank line that ended it).

    At most ``max_event_bytes`` of an unfinished event are held; past that the
    stream is refused with :class:`UpstreamProtocolError`. ``events`` counts the
    events completed so far, which is how :func:`progressing` sees progress.
    """

    __slots__ = ("_buffer", "_limit", "_searched", "events")

    def __init__(self, max_event_bytes: int) -> None:
        self._limit = max_event_bytes
        self._buffer = bytearray()
        self._searched = 0  # bytes of the buffer already searched for a terminator
        self.events = 0

    @property
    def buffered(self) -> int:
        """Bytes of the unfinished event held now (never more than the limit)."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        """The events ``chunk`` completes, as (event, terminator) pairs, in order."""
        buffer = self._buffer
        buffer += chunk
        found: list[tuple[bytes, bytes]] = []
        start = 0
        position = max(self._searched - _OVERLAP, 0)
        # The next place of each terminator; one is searched again only once passed, so
        # many events in one chunk still cost one pass over it per terminator. Bytes
        # without any line end (the bulk of a huge event) are passed over by memchr.
        if _find(buffer, b"\n", position) < 0 and _find(buffer, b"\r", position) < 0:
            places = [-1, -1, -1]
        else:
            places = [_find(buffer, terminator, position) for terminator in _TERMINATORS]
        while (at := _earliest(places)) >= 0:
            if at - start > self._limit:
                # A whole event over the limit can arrive in one read, or finish in the
                # read that crosses it: judged by its size, not by how it was chunked.
                buffer.clear()
                self._searched = 0
                raise UpstreamProtocolError(
                    f"the provider sent an event of more than {self._limit} bytes "
                    f"({at - start} bytes)",
                    reason="event_too_large",
                )
            terminator = _TERMINATORS[places.index(at)]
            found.append((bytes(buffer[start:at]), terminator))
            start = at + len(terminator)
            for index, place in enumerate(places):
                if 0 <= place < start:
                    places[index] = _find(buffer, _TERMINATORS[index], start)
        if start:
            del buffer[:start]  # O(1) at the front of a bytearray
            self.events += len(found)
        self._searched = len(buffer)
        if len(buffer) > self._limit:
            size = len(buffer)
            buffer.clear()
            raise UpstreamProtocolError(
                f"the provider sent an event of more than {self._limit} bytes ({size} so far)",
                reason="event_too_large",
            )
        return found

    def rest(self) -> bytes:
        """At the end of the stream: what is left of an unterminated last event."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        self._searched = 0
        return rest


def _earliest(places: list[int]) -> int:
    found = [at for at in places if at >= 0]
    return min(found) if found else -1


async def progressing(
    chunks: AsyncIterator[bytes], framer: EventFramer, idle_timeout: float
) -> AsyncIterator[bytes]:
    """``chunks``, but an event begun must end within ``idle_timeout`` seconds.

    While no event is half-read nothing is timed (the upstream client's read
    timeout still bounds a silent stream); from the first byte of an event the
    clock runs until the framer completes one, so a slow drip is cut off as
    surely as silence. Only a wait that needs it gets a timer.
    """
    loop = asyncio.get_running_loop()
    iterator = aiter(chunks)
    deadline: float | None = None
    completed = framer.events
    while True:
        if framer.events != completed:  # progress: an event ended since the last chunk
            completed = framer.events
            deadline = None
        if not framer.buffered:
            deadline = None
        elif deadline is None:  # an event has begun: its clock starts now
            deadline = loop.time() + idle_timeout
        try:
            if deadline is None:
                chunk = await anext(iterator)
            else:
                async with asyncio.timeout_at(deadline):
                    chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise UpstreamProtocolError(
                f"the provider began an event and did not finish it within {idle_timeout:g} s",
                reason="stalled",
            ) from None
        yield chunk
