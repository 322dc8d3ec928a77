"""Korean resident registration number recognizer (KR_RRN)."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.kr import KrRrnRecognizer
from gateway.detect.recognizers.kr.rrn import birth_date

# Checksum-valid (pre-October-2020 style) numbers.
VALID = "900101-1234568"
VALID_2000S = "021015-3123455"
LEAP_DAY_2000 = "000229-3234563"
# Issued after October 2020: random last digit, old checksum fails, date is real.
POST_2020 = "210315-4876540"


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_RRN"])


def _spans(engine: DetectionEngine, text: str) -> list[tuple[str, str, float]]:
    return [(f.entity_type, text[f.start : f.end], f.score) for f in engine.scan(text)]


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        # Korean particles glued to the number must not defeat the match.
        (f"제 주민번호는 {VALID}이고 연락처는 없어요", VALID, 1.0),
        (f"{VALID}입니다", VALID, 1.0),
        (f"주민등록번호:{VALID_2000S}을 입력하세요", VALID_2000S, 1.0),
        (f"생일이 윤일이라 {LEAP_DAY_2000}는 맞아요", LEAP_DAY_2000, 1.0),
        (f"My RRN is {VALID.replace('-', '')}.", VALID.replace("-", ""), 1.0),
        # Post-2020 numbers fail the old checksum but are still reported.
        (f"신규 발급 {POST_2020} 확인", POST_2020, 0.6),
        (f"주민번호 {POST_2020}", POST_2020, 0.95),
        (f"space separated {POST_2020.replace('-', ' ')} ok", POST_2020.replace("-", " "), 0.6),
        # Bare 13 digits: weak alone, boosted by context (Korean or English).
        (f"번호 {POST_2020.replace('-', '')} 참고", POST_2020.replace("-", ""), 0.4),
        (f"주민등록번호는 {POST_2020.replace('-', '')}", POST_2020.replace("-", ""), 0.75),
        (
            f"resident registration no. {POST_2020.replace('-', '')}",
            POST_2020.replace("-", ""),
            0.75,
        ),
        (f"{POST_2020.replace('-', '')}가 제 주민번호", POST_2020.replace("-", ""), 0.75),
    ],
)
def test_rrn_found(engine: DetectionEngine, text: str, value: str, score: float) -> None:
    assert _spans(engine, text) == [("KR_RRN", value, pytest.approx(score))]


@pytest.mark.parametrize(
    "text",
    [
        "990230-1234567",  # 30 February
        "010229-3234567",  # 2001 is not a leap year
        "901301-1234567",  # month 13
        "900132-1234567",  # day 32
        "900101-5234567",  # gender digit outside 1-4
        "990101-3234567",  # would be born in 2099
        "19001011234568",  # 14 digits: part of a longer number
        "900101-12345689",  # 8-digit tail
        "1900101-1234568",  # digit before
        "주문번호 2024112512345 배송 조회",  # YYYYMMDD order number: month 24
        "송장 20231130-1234567 확인",  # hyphenated order id, month 23
    ],
)
def test_rrn_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


def test_bare_number_in_order_context_stays_below_threshold() -> None:
    """A YYMMDD-shaped order number is reported weakly and filtered at 0.5."""
    text = f"주문번호 {POST_2020.replace('-', '')} 배송 조회 부탁드립니다"
    weak = DetectionEngine(["KR_RRN"]).scan(text)
    assert [f.score for f in weak] == [0.4]
    assert DetectionEngine(["KR_RRN"], score_threshold=0.5).scan(text) == []


def test_offsets_index_the_scanned_text(engine: DetectionEngine) -> None:
    text = f"가나다 {VALID}이고 또 {POST_2020}도"
    findings = engine.scan(text)
    assert [text[f.start : f.end] for f in findings] == [VALID, POST_2020]
    assert all(f.recognizer == "KrRrnRecognizer" for f in findings)


@pytest.mark.parametrize(
    ("value", "validated", "invalidated"),
    [
        (VALID, True, False),
        (POST_2020, None, False),
        ("990230-1234567", None, True),
        ("990101-3234567", None, True),
    ],
)
def test_validation_hooks(value: str, validated: bool | None, invalidated: bool) -> None:
    recognizer = KrRrnRecognizer()
    assert recognizer.validate_result(value) is validated
    assert recognizer.invalidate_result(value) is invalidated


def test_birth_date_uses_century_digit() -> None:
    assert str(birth_date(VALID)) == "1990-01-01"
    assert str(birth_date(VALID_2000S)) == "2002-10-15"
    assert birth_date("990230-1234567") is None
