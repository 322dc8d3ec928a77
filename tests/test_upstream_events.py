"""Event framing of upstream streams: bounded memory, linear search, a clock on open events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

import orjson
import pytest

from gateway.dev.testing.hostile_upstream import hostile_body
from gateway.errors import UpstreamProtocolError
from gateway.restore_events import EventStreamRestorer
from gateway.upstream import events as events_module
from gateway.upstream.events import EventFramer, progressing

LIMIT = 64 * 1024
MAPPING = {"[[EMAIL_ADDRESS_3f9a2c1b0d]]": "kim@example.com"}


def frame(data: bytes, size: int) -> list[tuple[bytes, bytes]]:
    framer = EventFramer(LIMIT)
    found = []
    for i in range(0, len(data), size):
        found += framer.feed(data[i : i + size])
    return found


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 10_000])
def test_events_and_their_terminators_at_any_chunking(size: int) -> None:
    stream = b"data: a\n\ndata: b\r\n\r\nevent: x\rdata: c\r\r: keep-alive\n\ndata: tail"
    assert frame(stream, size) == [
        (b"data: a", b"\n\n"),
        (b"data: b", b"\r\n\r\n"),
        (b"event: x\rdata: c", b"\r\r"),
        (b": keep-alive", b"\n\n"),
    ]


@pytest.mark.parametrize("dialect", ["openai", "anthropic", "gemini"])
@pytest.mark.parametrize("mode", ["endless", "giant"])
def test_a_hostile_event_is_refused_once_it_passes_the_limit(dialect: str, mode: str) -> None:
    framer = EventFramer(LIMIT)
    peak = 0
    with pytest.raises(UpstreamProtocolError) as raised:
        for chunk in hostile_body(mode, dialect, total=10 * LIMIT, chunk=4096):
            framer.feed(chunk)
            peak = max(peak, framer.buffered)
    assert raised.value.reason == "event_too_large"
    assert raised.value.code == "upstream_protocol_error"
    assert peak <= LIMIT
    assert framer.buffered == 0  # what it held is let go


@pytest.mark.parametrize("chunk", [LIMIT - 1, 2 * LIMIT, 100 * LIMIT])
def test_an_event_over_the_limit_is_refused_however_it_is_chunked(chunk: int) -> None:
    """Whole in one read, or finished by the read that crosses the limit: same answer."""
    body = b"".join(hostile_body("giant", "openai", total=2 * LIMIT, chunk=4096))
    with pytest.raises(UpstreamProtocolError) as raised:
        frame(body, chunk)
    assert raised.value.reason == "event_too_large"


def test_an_event_at_the_limit_passes() -> None:
    body = b"".join(hostile_body("giant", "openai", total=LIMIT - 200, chunk=1000))
    found = frame(body, 1000)
    assert len(found) == 2  # the event and [DONE]
    assert len(found[0][0]) <= LIMIT


def test_each_byte_is_searched_about_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old parser searched the whole held buffer again for every chunk (quadratic)."""
    scanned = 0

    def counting(buffer: bytearray, terminator: bytes, position: int) -> int:
        nonlocal scanned
        at = buffer.find(terminator, position)
        scanned += (at + len(terminator) if at >= 0 else len(buffer)) - position
        return at

    monkeypatch.setattr(events_module, "_find", counting)
    framer = EventFramer(8 * 1024 * 1024)
    total = 0
    for chunk in hostile_body("giant", "openai", total=4 * 1024 * 1024, chunk=1024):
        total += len(chunk)
        framer.feed(chunk)
    # the stream once per terminator, plus 3 bytes a chunk
    assert scanned <= 3 * (total + 4 * (total // 1024))


async def _chunks(pieces: Iterable[tuple[float, bytes]]) -> AsyncIterator[bytes]:
    for delay, piece in pieces:
        await asyncio.sleep(delay)
        yield piece


async def _drain(pieces: Iterable[tuple[float, bytes]], idle: float) -> list[bytes]:
    framer = EventFramer(LIMIT)
    out = []
    async for chunk in progressing(_chunks(pieces), framer, idle):
        out += [event for event, _ in framer.feed(chunk)]
    return out


def test_an_event_that_drips_without_ending_is_cut_by_the_idle_clock() -> None:
    drip = [(0.0, b"data: {")] + [(0.01, b"a")] * 10_000  # would take 100 s
    with pytest.raises(UpstreamProtocolError) as raised:
        asyncio.run(_drain(drip, idle=0.2))
    assert raised.value.reason == "stalled"


def test_a_begun_event_followed_by_silence_is_cut_too() -> None:
    with pytest.raises(UpstreamProtocolError):
        asyncio.run(_drain([(0.0, b"data: {"), (30.0, b"}\n\n")], idle=0.2))


@pytest.mark.slow
def test_slow_but_steady_events_and_silence_between_events_are_not_cut() -> None:
    """Only an unfinished event is timed: finishing one restarts the clock."""
    steady = [(0.0, b"data: 1")] + [(0.05, b"\n\ndata: 1")] * 10 + [(0.0, b"\n\n")]
    assert len(asyncio.run(_drain(steady, idle=0.15))) == 11
    quiet = [(0.0, b"data: 1\n\n"), (0.4, b"data: 2\n\n")]  # silence is the read timeout's
    assert asyncio.run(_drain(quiet, idle=0.15)) == [b"data: 1", b"data: 2"]


def test_a_restorer_keeps_only_fields_that_hold_a_placeholder_prefix() -> None:
    """A stream touching ever new fields must not make every later event slower."""
    restorer = EventStreamRestorer(MAPPING, LIMIT)
    for index in range(2000):
        event = b"data: " + orjson.dumps({f"field{index}": "see [1] and [2]"}) + b"\n\n"
        assert restorer.feed(event) == event
    assert restorer._fields == {}
    restorer.feed(b'data: {"delta": "mail [[EMAIL_ADD"}\n\n')
    assert list(restorer._fields) == [("delta",)]
    out = restorer.feed(b'data: {"delta": "RESS_3f9a2c1b0d]] now"}\n\n')
    assert b"kim@example.com now" in out and restorer._fields == {}


def test_events_that_cannot_touch_a_placeholder_pass_unparsed_and_byte_for_byte() -> None:
    restorer = EventStreamRestorer(MAPPING, LIMIT)
    image = b'data: {"parts":[{"inlineData":{"data":"' + b"QUJD" * 10_000 + b'"}}]}\r\n\r\n'
    assert restorer.feed(image) == image
    broken = b"data: {not json but no brackets either\n\n"
    assert restorer.feed(broken) == broken
