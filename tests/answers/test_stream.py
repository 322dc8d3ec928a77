"""Event streams judged as they flow: every dialect's shape, one event at a time."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from gateway.answers.readers import reader_for
from gateway.answers.stream import EventStreamInspector
from gateway.dev.testing.fake_answers import ScriptedAnswer, scripted_events
from gateway.errors import AnswerBlocked
from tests.support.values import RRN

#: fake-provider kind → the API the gateway reads it as
APIS = {
    "chat": "chat",
    "responses": "responses",
    "anthropic": "messages",
    "streamGenerateContent": "generate_content",
}


def inspect(judge, kind: str, answer: ScriptedAnswer | list[bytes]) -> list[bytes]:
    """The bytes sent for each upstream event (the last item: what the end released)."""
    inspector = EventStreamInspector(judge, reader_for(APIS[kind]), 1 << 20)
    events = answer if isinstance(answer, list) else list(scripted_events(kind, "m", answer))

    async def run() -> list[bytes]:
        out = []
        for event in events:
            out.append(b"".join([sent async for sent in inspector.feed(event)]))
        out.append(await inspector.flush())
        return out

    return asyncio.run(run())


@pytest.mark.parametrize("kind", APIS)
def test_a_clean_answer_goes_out_byte_for_byte(make_judge, kind: str) -> None:
    answer = ScriptedAnswer(("Here is", " the plan", " for the", " offsite."), "f", ('{"a": "b"}',))
    events = list(scripted_events(kind, "m", answer))
    sent = inspect(make_judge(), kind, events)
    assert sent[:-1] == events  # each event as soon as it came, unchanged
    assert sent[-1] == b""


def texts(sent: list[bytes]) -> str:
    """Every string the client reads in the events' JSON, in order."""
    found = []
    for chunk in sent:
        for line in chunk.splitlines():
            if line.startswith(b"data: {"):
                found.append(orjson.dumps(orjson.loads(line[6:])).decode())
    return "\n".join(found)


@pytest.mark.parametrize("kind", APIS)
def test_a_value_cut_across_events_never_leaves_whole_or_in_part(make_judge, kind: str) -> None:
    answer = ScriptedAnswer(
        ("번호는 9", "0010", "1-12", "34568 입니다"), "f", ('{"n": "90', '0101-1234568"}')
    )
    judge = make_judge()
    sent = texts(inspect(judge, kind, answer))
    for part in ("1234568", "34568", "1-12"):
        assert part not in sent
    assert judge.verdict.entity_counts == {"KR_RRN": 1}
    assert judge.verdict.action == "mask"


@pytest.mark.parametrize("kind", APIS)
def test_a_block_stops_at_the_event_that_completes_the_value(make_judge, kind: str) -> None:
    answer = ScriptedAnswer(("Fine so far. ", "번호 9001", "01-1234568"))
    inspector = EventStreamInspector(make_judge(blocking=True), reader_for(APIS[kind]), 1 << 20)
    sent: list[bytes] = []

    async def run() -> None:
        for event in scripted_events(kind, "m", answer):
            async for out in inspector.feed(event):
                sent.append(out)
        sent.append(await inspector.flush())  # a value that ends the stream ends it here

    with pytest.raises(AnswerBlocked):
        asyncio.run(run())
    assert b"Fine so far." in b"".join(sent)
    assert b"9001" not in b"".join(sent)


def test_the_hold_back_is_bounded(make_judge) -> None:
    """An endless run of digits is released past the bound, never held whole."""
    pieces = tuple("1234567890" for _ in range(50))
    sent = inspect(make_judge(), "chat", ScriptedAnswer(pieces))
    delivered = [len(s) for s in sent[1:-3]]  # the content events
    assert sum(1 for size in delivered if size) > 40  # the text kept flowing
    assert RRN not in texts(sent)


def test_interleaved_texts_hold_back_a_bounded_number_of_events(make_judge) -> None:
    """An upstream writing 100 choices side by side, each ending in digits, has the
    oldest held tails released: the inspector never holds more than MAX_OPEN_CHANNELS."""
    from gateway.answers.stream import MAX_OPEN_CHANNELS

    def event(index: int, text: str) -> bytes:
        choice = {"index": index, "delta": {"content": text}, "finish_reason": None}
        return b"data: " + orjson.dumps({"id": "c", "choices": [choice]}) + b"\n\n"

    inspector = EventStreamInspector(make_judge(), reader_for("chat"), 1 << 20)
    most = 0

    async def run() -> bytes:
        nonlocal most
        out = []
        for index in range(100):
            out += [sent async for sent in inspector.feed(event(index, f"order {index}00"))]
            most = max(most, len(inspector._open))
        out.append(await inspector.flush())
        return b"".join(out)

    sent = asyncio.run(run())
    assert most <= MAX_OPEN_CHANNELS
    contents: dict[int, str] = {}
    for line in sent.splitlines():
        if line.startswith(b"data: {"):
            choice = orjson.loads(line[6:])["choices"][0]
            contents[choice["index"]] = (
                contents.get(choice["index"], "") + choice["delta"]["content"]
            )
    assert contents == {index: f"order {index}00" for index in range(100)}
