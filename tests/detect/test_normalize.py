"""Disguised identifiers are found, and redaction edits the original characters."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.normalize import normalize_for_scan

RRN = "900101-1234568"


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(entities=["KR_RRN", "EMAIL_ADDRESS", "CREDIT_CARD"])


@pytest.mark.parametrize(
    ("text", "disguised"),
    [
        ("주민번호 ９００１０１－１２３４５６８ 입니다", "９００１０１－１２３４５６８"),
        ("RRN 900\u200b101-12\u200d34568.", "900\u200b101-12\u200d34568"),
        ("id \u2066900101-1234568\u2069 end", "900101-1234568"),
        ("번호 900101\u20111234568이고", "900101\u20111234568"),
        ("번호 9 0 0 1 0 1 1 2 3 4 5 6 8 이요", "9 0 0 1 0 1 1 2 3 4 5 6 8"),
        ("카드 ４１１１ １１１１ １１１１ １１１１", "４１１１ １１１１ １１１１ １１１１"),
        ("mail ｋｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ now", "ｋｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    ],
)
def test_disguised_identifiers_are_found_at_their_original_offsets(
    engine: DetectionEngine, text: str, disguised: str
) -> None:
    findings = [f for f in engine.scan(text) if f.score >= 0.5]
    assert findings, text
    best = max(findings, key=lambda f: f.score)
    assert disguised in text[best.start : best.end] or text[best.start : best.end] in disguised
    # The span covers the whole disguised value, so redaction leaves nothing of it behind.
    covered = text[best.start : best.end]
    assert (
        sum(c.isdigit() or c.isalpha() for c in covered)
        >= sum(c.isdigit() or c.isalpha() for c in disguised.replace(" ", "")) - 1
    )


def test_plain_text_is_scanned_as_is() -> None:
    view = normalize_for_scan("평범한 문장 900101-1234568 and v1.2.3")
    assert not view.changed
    assert view.original_span(3, 9) == (3, 9)


@pytest.mark.parametrize(
    "text",
    ["version 1.2.3.4.5.6.7.8", "scores 1 2 3 4 5", "2024. 1. 15.", "좌표 37.5665, 126.9780"],
)
def test_ordinary_numbers_are_not_closed_up(text: str) -> None:
    assert normalize_for_scan(text).text == text


def test_offsets_map_back_through_removed_and_expanded_characters() -> None:
    text = "a\u200bb①c"
    view = normalize_for_scan(text)
    assert view.text == "ab1c"
    assert view.original_span(0, 4) == (0, len(text))
    assert view.original_span(2, 3) == (3, 4)  # "1" came from "①"
