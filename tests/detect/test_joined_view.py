"""Values split across places: every cut of each value, in every kind of place, is found.

A value cut anywhere (``900101`` | ``-1234568``, ``AKIAZ3MH`` | ``Q4RB5TX7LD2Q``) between
two messages, two content parts, a name and a text, two tool calls' arguments, or two
lines of one text must be reported, in parts that together cover every character of it,
so that each place receives its share of an edit. Unrelated neighbours must not join.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.detect import DetectionEngine, Finding
from gateway.detect.engine import SEGMENT_SEPARATOR
from gateway.detect.joined import JoinedViewTooLarge, joined_view

VALUES = {
    "KR_RRN": "900101-1234568",
    "CREDIT_CARD": "4532 0151 1283 0366",
    "PHONE_NUMBER": "010-2345-6789",
    "SECRET_AWS_ACCESS_KEY": "AKIAZ3MHQ4RB5TX7LD2Q",
}

Place = Callable[[str, str], list[str]]
PLACES: dict[str, Place] = {
    "two messages": lambda a, b: [f"제 번호는 {a}", f"{b} 입니다"],
    "two content parts": lambda a, b: [a, b],
    "a name and a text": lambda a, b: [f"user_{a}", f"{b} is on file"],
    "two tool calls' arguments": lambda a, b: ['{"q": "' + a + '"}', '{"q": "' + b + '"}'],
    "consecutive lines": lambda a, b: [f"first line\n{a}\n{b}\nlast line"],
    "consecutive lines, prose around": lambda a, b: [f"my value {a}\n{b} thanks"],
    "three places": lambda a, b: [a, "", b],
}


def _covered(texts: list[str], found: list[list[Finding]], entity: str) -> set[tuple[int, int]]:
    """(text, character) pairs inside a reported finding of ``entity`` scoring ≥ 0.5."""
    return {
        (index, char)
        for index, findings in enumerate(found)
        for f in findings
        if f.entity_type == entity and f.score >= 0.5
        for char in range(f.start, f.end)
    }


def _value_chars(texts: list[str], a: str, b: str) -> set[tuple[int, int]]:
    """Where the value's characters (blanks aside) stand in ``texts``."""
    if len(texts) == 1:
        (text,) = texts
        start = text.index(a + "\n" + b)
        spans = [(0, start, a), (0, start + len(a) + 1, b)]
    else:
        first, last = 0, len(texts) - 1
        spans = [(first, texts[first].index(a), a), (last, texts[last].index(b), b)]
    return {
        (index, start + offset)
        for index, start, part in spans
        for offset, char in enumerate(part)
        if not char.isspace()
    }


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine()


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("entity", VALUES)
def test_every_cut_of_a_value_is_found_in_parts(
    engine: DetectionEngine, entity: str, place: str
) -> None:
    value = VALUES[entity]
    missed: list[int] = []
    for cut in range(1, len(value)):
        a, b = value[:cut], value[cut:]
        if PLACES[place] is PLACES["consecutive lines"] and (a.endswith(" ") or b[0] == " "):
            a, b = a.rstrip(), b.lstrip()  # a line does not end or begin with its blank
        texts = PLACES[place](a, b)
        found = engine.scan_segments(texts)
        if not _value_chars(texts, a, b) <= _covered(texts, found, entity):
            missed.append(cut)
    assert missed == []


@pytest.mark.parametrize("entity", VALUES)
def test_the_parts_of_a_split_value_share_one_number(engine: DetectionEngine, entity: str) -> None:
    value = VALUES[entity]
    a, b = value[:7], value[7:]
    first, second = engine.scan_segments([f"see {a}", b])
    (head,) = [f for f in first if f.entity_type == entity]
    (rest,) = [f for f in second if f.entity_type == entity]
    assert head.joined == rest.joined != 0
    assert head.end == len(f"see {a}".rstrip()) and rest.start == (1 if b[0] == " " else 0)
    assert head.recognizer.endswith("(joined)")


@pytest.mark.parametrize(
    "texts",
    [
        ["How many apples? 12", "34 please"],
        ["The total is 1,200", "300 won was refunded"],
        ["version 3", "2 files changed"],
        ["order 88123", "3 items shipped"],
        ["call me at 10", "30 tomorrow"],
        ["정답은 42", "17번 문제는 어떻게 푸나요?"],
        ["page 900101", "12 lines"],
        ["room 4532", "0151 is free"],
        ["my id is kim", "123 thanks"],
        ["AKIA is the prefix", "of AWS access keys"],
        ["Step 1", "2. Open the console"],
        ["rows:\n12\n34\n56\n78", "total 180"],
        ["2024-03-01 10:00 started job 4411\n2024-03-01 10:05 finished job 4411"],
    ],
)
def test_unrelated_neighbours_do_not_join(engine: DetectionEngine, texts: list[str]) -> None:
    found = engine.scan_segments(texts)
    assert [f for findings in found for f in findings if f.score >= 0.5] == []


def test_a_value_in_one_place_is_reported_once_and_whole(engine: DetectionEngine) -> None:
    texts = ["card 4532 0151 1283 0366", "0366 again"]
    first, second = engine.scan_segments(texts)
    assert [(f.entity_type, f.joined) for f in first] == [("CREDIT_CARD", 0)]
    assert second == []


def test_names_addresses_and_markings_are_not_read_joined(engine: DetectionEngine) -> None:
    # the joined view looks for structured identifiers and secrets only
    found = engine.scan_segments(["담당자 김", "민수님께 전달"])
    assert not [f for findings in found for f in findings if f.joined]


def test_joined_false_reads_each_text_alone(engine: DetectionEngine) -> None:
    assert engine.scan_segments(["900101", "1234568"], joined=False) == [[], []]


def test_places_limits_the_joined_view_to_the_first_texts(engine: DetectionEngine) -> None:
    texts = ["hello", "my number 900101", "1234568"]
    assert engine.scan_segments(texts, places=2) == [[], [], []]
    assert engine.scan_segments(texts, places=3)[2]


def test_the_view_is_bounded_by_its_windows() -> None:
    long = "x" * 5000
    texts = [f"{long} 900101", f"1234568 {long}"] * 50
    view = joined_view(texts, SEGMENT_SEPARATOR)
    assert view is not None
    # 99 boundaries: at most 40 characters before each and the value's rest after it
    assert len(view.text) < 99 * (40 + 8 + 2 * len(SEGMENT_SEPARATOR)) * 2


def test_sentences_that_end_add_no_view() -> None:
    texts = ["Hello there.", "How are you?", "Fine, thanks!", "Great 2024.", "Ok"]
    assert joined_view(texts, SEGMENT_SEPARATOR) is None


def test_a_masked_part_shows_nothing_of_the_value() -> None:
    from gateway.detect.actions import RequestEditor
    from gateway.detect.transforms import Pseudonymizer

    key = b"k" * 32
    editor = RequestEditor(key, Pseudonymizer(key))
    parts = [
        Finding("KR_RRN", 9, 15, 1.0, "joined", joined=1),
        Finding("KR_RRN", 0, 8, 1.0, "joined", joined=1),
    ]
    actions = {"KR_RRN": "mask"}
    assert editor.edit("my id is 900101", [parts[0]], actions) == "my id is ******"
    assert editor.edit("-1234568 ok", [parts[1]], actions) == "-******* ok"
    whole = Finding("KR_RRN", 0, 14, 1.0, "r")
    assert editor.edit("900101-1234568", [whole], actions).startswith("900101-1")


def test_a_joined_view_over_the_budget_is_refused_not_cut_short(engine: DetectionEngine) -> None:
    # many tiny parts that all meet digit to digit: every boundary is read
    parts = [f"{n % 10}" for n in range(2_000)]
    view = joined_view(parts, SEGMENT_SEPARATOR)
    assert view is not None and len(view.text) > 1_000
    with pytest.raises(JoinedViewTooLarge):
        engine.scan_segments(parts, max_view_chars=1_000)
    assert len(engine.scan_segments(parts, max_view_chars=len(view.text))) == len(parts)
