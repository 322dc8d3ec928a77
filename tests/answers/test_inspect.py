"""Whole answers: edited in place in the provider's shape, withheld when they cannot be judged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from gateway.answers.inspect import AnswerInspection
from gateway.answers.judge import AnswerJudge
from gateway.detect.transforms import mask_value
from gateway.dev.testing.fake_answers import ScriptedAnswer, scripted_body
from gateway.errors import AnswerBlocked, AnswerUninspectable, InspectionFailed
from tests.support.values import AWS_KEY, RRN

TEXT = f"번호 {RRN}, 키 {AWS_KEY}"
MASKED = TEXT.replace(RRN, mask_value("KR_RRN", RRN)).replace(
    AWS_KEY, mask_value("SECRET_AWS_ACCESS_KEY", AWS_KEY)
)


def inspection(engine) -> AnswerInspection:
    return AnswerInspection(lambda _policy: engine, b"k" * 32)


@pytest.mark.parametrize("kind", ["chat", "responses", "anthropic", "generateContent"])
def test_a_whole_answer_is_edited_in_place_keeping_its_shape(make_judge, engine, kind) -> None:
    answer = ScriptedAnswer((TEXT,), "f", (orjson.dumps({"id": RRN}).decode(),))
    body = scripted_body(kind, "m", answer)
    judged = orjson.loads(asyncio.run(inspection(engine).whole(make_judge(), orjson.dumps(body))))
    flat = orjson.dumps(judged).decode()
    assert RRN not in flat and AWS_KEY not in flat
    assert MASKED in flat
    # the same keys, ids and types: only the texts changed
    assert _shape(judged) == _shape(body)


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


@pytest.mark.parametrize("kind", ["chat", "generateContent"])
def test_a_large_whole_answer_is_judged_the_same_off_the_loop(make_judge, engine, kind) -> None:
    """Over ``INLINE_ANSWER_BYTES`` the answer is read, judged and written out on a
    thread: the same edits in the same shape, and a block still comes before any byte."""
    filler = "분기 보고서는 매출을 다룹니다. " * 5_000
    answer = ScriptedAnswer((filler, TEXT), "f", (orjson.dumps({"id": RRN}).decode(),))
    body = orjson.dumps(scripted_body(kind, "m", answer))
    assert len(body) > 100_000
    judged = asyncio.run(inspection(engine).whole(make_judge(), body))
    flat = orjson.loads(judged)
    assert RRN not in judged.decode() and MASKED in orjson.dumps(flat).decode()
    assert _shape(flat) == _shape(orjson.loads(body))
    judge = make_judge(blocking=True)
    with pytest.raises(AnswerBlocked):
        asyncio.run(inspection(engine).whole(judge, body))
    assert judge.verdict.blocked == "before_relay"


def test_an_answer_that_is_not_json_is_judged_as_text(make_judge, engine) -> None:
    out = asyncio.run(inspection(engine).whole(make_judge(), TEXT.encode()))
    assert out.decode() == MASKED


def test_a_block_is_raised_before_any_byte_and_recorded(make_judge, engine) -> None:
    judge = make_judge(blocking=True)
    with pytest.raises(AnswerBlocked):
        asyncio.run(inspection(engine).whole(judge, orjson.dumps({"text": TEXT})))
    assert judge.verdict.blocked == "before_relay"


def test_an_answer_over_the_scan_budget_is_withheld(make_judge, engine) -> None:
    with pytest.raises(AnswerUninspectable):
        asyncio.run(
            inspection(engine).whole(make_judge(max_scan_chars=10), b'{"t": "a longer text"}')
        )


class _Broken:
    def scan_segments(self, texts: object) -> object:
        raise RuntimeError("a detector bug")


def test_a_failure_to_judge_withholds_the_answer(default_policy, make_judge) -> None:
    judge = make_judge()
    broken = AnswerJudge(
        _Broken(),  # type: ignore[arg-type]
        default_policy,
        judge._facts,
        judge._editor,
        "en",
        judge.verdict,
    )
    with pytest.raises(InspectionFailed):
        asyncio.run(inspection(_Broken()).whole(broken, b'{"t": "hello"}'))

    async def chunks() -> AsyncIterator[bytes]:
        yield b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}}]}\n\n'

    async def drain() -> None:
        from types import SimpleNamespace

        exchange = SimpleNamespace(endpoint=None, timings_ms={})
        stream = inspection(_Broken()).stream(broken, exchange, chunks(), 1 << 20, 5.0)  # type: ignore[arg-type]
        async for _ in stream:
            pass

    with pytest.raises(InspectionFailed):
        asyncio.run(drain())
