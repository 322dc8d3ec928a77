"""Korean corporate registration number recognizer (KR_CRN) and its overlap with KR_RRN."""

from __future__ import annotations

import re

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.kr.crn import crn_checksum_ok

NOT_A_PERSON = "110111-0123458"  # 7th digit 0: cannot be an RRN/FRN
BAD_MONTH = "134511-9876549"  # "month" 45
RRN_SHAPED = "110111-1234569"  # also reads as a man born 1911-01-11


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_CRN", "KR_RRN"])


def _found(engine: DetectionEngine, text: str) -> list[tuple[str, str, float]]:
    return [(f.entity_type, text[f.start : f.end], f.score) for f in engine.scan(text)]


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        (f"법인등록번호 {NOT_A_PERSON}입니다", NOT_A_PERSON, 0.75),
        (NOT_A_PERSON, NOT_A_PERSON, 0.4),  # informational: the check digit alone is weak
        (f"corporate registration: {BAD_MONTH}", BAD_MONTH, 0.75),
        (f'{{"crn": "{NOT_A_PERSON}"}}', NOT_A_PERSON, 0.75),
        ("번호 1101110123458 참고", "1101110123458", 0.3),
        ("법인번호는1101110123458이고", "1101110123458", 0.65),
    ],
)
def test_crn_found(engine: DetectionEngine, text: str, value: str, score: float) -> None:
    assert _found(engine, text) == [("KR_CRN", value, pytest.approx(score))]


@pytest.mark.parametrize(
    "text",
    [
        "법인등록번호 110111-0123450",  # bad check digit
        "법인번호 1101110123450",
        f"A-{NOT_A_PERSON}",
        f"{NOT_A_PERSON}9",
        "법인 2024-01-15 010-1234-5678",
    ],
)
def test_crn_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


@pytest.mark.parametrize(
    "text",
    [
        # CRN check digits that hold by chance (one number in ten): other kinds of numbers.
        "인보이스 번호 886251-9084228 금액 확인 부탁드립니다",
        "Shipment 375522-0499776 is stuck at customs.",
        "주문번호 636869-0255540 배송 상태 알려줘",
        "Batch id 1101110123458 failed to import.",
    ],
)
def test_check_digit_alone_is_not_an_alarm(engine: DetectionEngine, text: str) -> None:
    number = re.search(r"[0-9]{6}-?[0-9]{7}", text)
    assert number is not None and crn_checksum_ok(number.group())
    assert all(f.score < 0.5 for f in engine.scan(text)), _found(engine, text)


def test_rrn_shaped_crn_is_reported_as_both_and_context_decides(
    engine: DetectionEngine,
) -> None:
    """Ambiguous numbers stay KR_RRN-first; corporate context makes it a KR_CRN only."""
    plain = _found(engine, f"번호 {RRN_SHAPED}")
    assert plain == [("KR_CRN", RRN_SHAPED, 0.3), ("KR_RRN", RRN_SHAPED, 0.6)]
    with_context = _found(engine, f"법인등록번호 {RRN_SHAPED}")
    assert with_context == [("KR_CRN", RRN_SHAPED, pytest.approx(0.65))]
    # Both words: the resident number's own word keeps it.
    both = _found(engine, f"대표자 주민등록번호와 법인등록번호 {RRN_SHAPED}")
    assert ("KR_RRN", RRN_SHAPED, pytest.approx(0.95)) in both


@pytest.mark.parametrize(
    ("value", "ok"),
    [(NOT_A_PERSON, True), (BAD_MONTH, True), (RRN_SHAPED, True), ("110111-0123450", False)],
)
def test_checksum(value: str, ok: bool) -> None:
    assert crn_checksum_ok(value) is ok
