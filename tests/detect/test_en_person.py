"""English name recognizer (PERSON): titles, census first names and surnames."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.en_person import EnglishPersonRecognizer, census_names


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["PERSON"])


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        ("Write to John Smith about it", "John Smith", 0.95),  # "write to" is context
        ("Dear Ms. Garcia, thanks", "Garcia", 1.0),  # title 0.85 + "dear"
        ("Dr. Kim will call", "Kim", 0.85),
        ("Mr John Smith arrived", "John Smith", 0.85),
        ("John F. Kennedy spoke", "John F. Kennedy", 0.6),
        ("Mary Ann Smith joined", "Mary Ann Smith", 0.6),
        ("ask Sarah O'Connor", "Sarah O'Connor", 0.6),
        ("ask Robert Johnson-Lee", "Robert Johnson-Lee", 0.6),
        ("Please Write John Smith today", "John Smith", 0.6),  # a heading word before it
        ("name: Emily Johnson", "Emily Johnson", 0.95),
        ("John Smith님께 회신", "John Smith", 0.6),  # in Korean text too
    ],
)
def test_english_name_found(engine: DetectionEngine, text: str, value: str, score: float) -> None:
    findings = engine.scan(text)
    assert [text[f.start : f.end] for f in findings] == [value]
    assert findings[0].score == pytest.approx(score)


@pytest.mark.parametrize(
    "text",
    [
        "Meet me at Virginia Beach",
        "The Jordan River",
        "Open an account at Chase Bank",
        "Will Power is a book",
        "Golden Gate Bridge",
        "Happy New Year",
        "Kim Minsu called",  # a romanized Korean given name is not in the census lists
        "OPEN THE DOOR JOHN SMITH",
        "the quick brown fox",
        "Monday June 3",
    ],
)
def test_english_look_alikes_not_reported(engine: DetectionEngine, text: str) -> None:
    assert [f for f in engine.scan(text) if f.score >= 0.5] == []


def test_census_lists_are_read_once_and_in_title_case() -> None:
    first, last = census_names()
    assert census_names()[0] is first
    assert {"John", "Mary", "Emily"} <= first
    assert {"Smith", "Garcia", "Oconnor", "Mcdonald"} <= last
    assert 5_000 < len(first) < 6_000 and 15_000 < len(last) < 25_000


def test_runs_of_capitalised_words_are_read_once_per_word() -> None:
    """Every word of a long capitalised run is looked at a bounded number of times."""
    recognizer = EnglishPersonRecognizer()
    looked: list[int] = []
    original = recognizer._is_name

    def counting(words: list[str]) -> bool:
        looked.append(len(words))
        return original(words)

    recognizer._is_name = counting  # type: ignore[method-assign]
    for size in (1_000, 2_000):
        looked.clear()
        recognizer.analyze(" ".join(["Alpha"] * size), ["PERSON"])
        assert len(looked) <= 2 * size
