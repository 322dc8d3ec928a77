"""Korean passport number recognizer (KR_PASSPORT): weak shapes, reported only with context."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_PASSPORT"])


@pytest.mark.parametrize(
    ("text", "value", "reported"),
    [
        # Current form, with and without context.
        ("여권번호 M123A4567입니다", "M123A4567", True),
        ("여권M123A4567로 예약", "M123A4567", True),
        ("Passport: m123a4567", "m123a4567", True),
        ("코드 M123A4567 확인", "M123A4567", False),
        # Pre-2020 form: the same letters-and-digits shape as model and ticket numbers.
        ("passport no. M12345678", "M12345678", True),
        ("PP No: S98765432", "S98765432", True),
        ("관용 여권 O12345678", "O12345678", True),
        ("모델명 M12345678 재고 있나요", "M12345678", False),
        # Weak context: a travel word in the same line (0.3), not across lines or segments.
        ("출장 등록 코드는 M08824561", "M08824561", True),
        ("Flight booking: traveller document M12345678", "M12345678", True),
        ("비자 신청서에 M123A4567 기재", "M123A4567", True),
        ("출장 보고서\n모델 M12345678 재고", "M12345678", False),
        ("strip count M12345678", "M12345678", False),  # "trip" inside a word
    ],
)
def test_passport_found(engine: DetectionEngine, text: str, value: str, reported: bool) -> None:
    findings = engine.scan(text)
    assert [("KR_PASSPORT", value)] == [(f.entity_type, text[f.start : f.end]) for f in findings]
    assert (findings[0].score >= 0.5) is reported


@pytest.mark.parametrize(
    "text",
    [
        "여권번호 AM12345678",  # letter before
        "여권번호 M1234567",  # 7 digits
        "여권번호 M123456789",  # 9 digits
        "여권번호 X12345678",  # not a passport type letter
        "여권번호 M12A34567",  # letter in the wrong place
        "version 1.2.3, 2024-01-15, 1,234,000원",
    ],
)
def test_passport_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []
