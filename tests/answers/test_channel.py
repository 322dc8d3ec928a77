"""A streamed text is judged as it grows, holding back only what could become a value."""

from __future__ import annotations

import pytest

from gateway.answers.channel import MAX_HOLD, TextChannel, hold_from
from gateway.answers.judge import AnswerJudge
from gateway.detect.transforms import mask_value
from gateway.errors import AnswerBlocked
from tests.support.values import AWS_KEY, RRN


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("", ""),
        ("Hello", ""),  # a capitalised word: prose, never held
        ("the answer is", ""),
        ("주민번호는 ", ""),  # Hangul is never the start of an identifier
        ("주민번호 9001", "9001"),
        ("born 900101-12", "900101-12"),
        ("card 4111 1111 ", "4111 1111 "),  # digit groups continue after a space
        ("key AKIA", "AKIA"),
        ("secret wJalr", "wJalr"),  # capitals inside a word: a key, not prose
        ("token sk-", "sk-"),
        ("the offsite.", ""),  # a sentence's end
        ("mail kim.minsu", "kim.minsu"),
        ("I", ""),
        ("x" * 10 + "9" * 100, "9" * MAX_HOLD),  # never more than the bound
    ],
)
def test_only_what_could_begin_a_value_is_held(text: str, held: str) -> None:
    assert text[hold_from(text) :] == held


def run(channel: TextChannel, judge: AnswerJudge, pieces: list[str]) -> tuple[str, list[str]]:
    sent = []
    for piece in pieces:
        window = channel.window(piece)
        sent.append(channel.release(judge.scan(window), judge))
    sent.append(channel.release(judge.scan(channel.window("")), judge, final=True))
    return "".join(sent), sent


TEXT = f"고객 주민번호 {RRN} 이고 키는 {AWS_KEY} 입니다."
MASKED = TEXT.replace(RRN, mask_value("KR_RRN", RRN)).replace(
    AWS_KEY, mask_value("SECRET_AWS_ACCESS_KEY", AWS_KEY)
)


@pytest.mark.parametrize("cut", range(8, 30, 3))
def test_a_value_cut_anywhere_between_pieces_is_masked(make_judge, cut: int) -> None:
    judge = make_judge()
    pieces = [TEXT[i : i + cut] for i in range(0, len(TEXT), cut)]
    whole, sent = run(TextChannel("choices[0].delta.content"), judge, pieces)
    assert whole == MASKED
    assert not any(part in piece for piece in sent for part in ("1234568", "Z3MSK2PL"))
    assert judge.verdict.entity_counts == {"KR_RRN": 1, "SECRET_AWS_ACCESS_KEY": 1}
    assert judge.verdict.action == "mask"


def test_prose_goes_out_as_it_comes(make_judge) -> None:
    judge = make_judge()
    channel = TextChannel("delta.text")
    pieces = ["Hello", " there,", " how are", " you today?", " 안녕하세요"]
    whole, sent = run(channel, judge, pieces)
    assert sent[:-1] == pieces  # nothing held, nothing delayed
    assert whole == "".join(pieces)
    assert judge.verdict.entity_counts == {}


def test_a_value_begun_as_a_plain_word_is_edited_from_where_it_was_not_yet_seen(
    make_judge,
) -> None:
    judge = make_judge()
    pieces = ["password = hunter", "Secret2024", " ok"]
    whole, sent = run(TextChannel("text"), judge, pieces)
    assert sent[0] == "password = hunter"  # a plain word: sent at once
    assert whole == "password = hunter********** ok"  # the rest never left
    assert judge.verdict.entity_counts == {"SECRET_PASSWORD": 1}


def test_a_block_leaves_the_held_start_of_the_value_unsent(make_judge) -> None:
    judge = make_judge(blocking=True)
    channel = TextChannel("choices[0].delta.content")
    assert channel.release(judge.scan(channel.window("번호 9001")), judge) == "번호 "
    assert channel.release(judge.scan(channel.window("01-123")), judge) == ""
    with pytest.raises(AnswerBlocked) as blocked:
        channel.release(judge.scan(channel.window("4568 입니다")), judge)
    assert "Answer withheld by Haetae policy 'block-answers'" in blocked.value.message
    assert "900101" not in blocked.value.message
    assert judge.verdict.action == "block"
    assert judge.verdict.rule_ids == ["no-rrn-in-answers"]
