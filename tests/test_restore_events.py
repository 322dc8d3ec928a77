"""Pseudonyms restored inside server-sent events, across events and chunk boundaries."""

from __future__ import annotations

import orjson

from gateway.restore_events import EventStreamRestorer

TAG = "[[EMAIL_ADDRESS_3f9a2c1b0d]]"
MAPPING = {TAG: 'kim "minsu"@example.com'}


def openai_events(pieces: list[str]) -> bytes:
    events = [
        b"data: "
        + orjson.dumps({"id": "c1", "choices": [{"index": 0, "delta": {"content": piece}}]})
        + b"\n\n"
        for piece in pieces
    ]
    final = {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    events.append(b"data: " + orjson.dumps(final) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return b"".join(events)


def content_of(stream: bytes) -> str:
    text = ""
    for event in stream.split(b"\n\n"):
        if event.startswith(b"data: {"):
            document = orjson.loads(event[6:])
            text += document["choices"][0]["delta"].get("content", "")
    return text


def run(raw: bytes, chunk_size: int) -> bytes:
    restorer = EventStreamRestorer(MAPPING)
    out = b"".join(restorer.feed(raw[i : i + chunk_size]) for i in range(0, len(raw), chunk_size))
    return out + restorer.flush()


def test_placeholder_spread_over_events_is_restored_at_any_chunking() -> None:
    pieces = ["write to ", "[[", "EMAIL_ADD", "RESS_3f9a", "2c1b0d]", "] today"]
    raw = openai_events(pieces)
    for size in (1, 2, 7, 50, len(raw)):
        out = run(raw, size)
        assert content_of(out) == 'write to kim "minsu"@example.com today'
        assert out.endswith(b"data: [DONE]\n\n")


def test_a_field_left_holding_a_prefix_is_flushed_before_the_stream_ends() -> None:
    raw = openai_events(["see ", "[[EMAIL_AD"])
    out = run(raw, 5)
    assert content_of(out) == "see [[EMAIL_AD"


def test_events_without_placeholders_pass_through_byte_for_byte() -> None:
    raw = b': keep-alive\n\nevent: ping\ndata: {"type": "ping"}\n\n' + openai_events(
        ["a [link](x) ", "[1] b"]
    )
    assert run(raw, 3) == raw


def test_foreign_placeholders_are_left_alone() -> None:
    foreign = "[[EMAIL_ADDRESS_0000000000]]"
    raw = openai_events(["x ", foreign[:9], foreign[9:]])
    assert content_of(run(raw, 4)) == f"x {foreign}"
