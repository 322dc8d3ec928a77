"""Korean foreigner registration number recognizer (KR_FRN)."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.kr import KrFrnRecognizer

VALID = "900101-5234561"  # pre-October-2020 check digit
VALID_2000S = "050315-7123450"
POST_2020 = "900101-5234567"  # real date, random tail: old check digit fails


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    # KR_RRN too: the two must never claim the same number.
    return DetectionEngine(["KR_FRN", "KR_RRN"])


@pytest.mark.parametrize(
    ("text", "entity", "value", "score"),
    [
        (f"외국인등록번호는 {VALID}입니다", "KR_FRN", VALID, 1.0),
        (f"{VALID_2000S}로 등록했어요", "KR_FRN", VALID_2000S, 1.0),
        (f"Alien registration: {VALID_2000S.replace('-', '')}.", "KR_FRN", "0503157123450", 1.0),
        (f"신규 {POST_2020} 확인", "KR_FRN", POST_2020, 0.6),
        (f"외국인번호 {POST_2020}", "KR_FRN", POST_2020, 0.95),
        ("공백 900101 5234567 구분", "KR_FRN", "900101 5234567", 0.6),
        # Bare 13 digits: weak alone, reported with context.
        ("번호 9001015234567 참고", "KR_FRN", "9001015234567", 0.4),
        ("외국인등록번호 9001015234567", "KR_FRN", "9001015234567", 0.75),
        # Gender digits 1-4 belong to KR_RRN only.
        ("주민번호 900101-1234568", "KR_RRN", "900101-1234568", 1.0),
    ],
)
def test_frn_found(
    engine: DetectionEngine, text: str, entity: str, value: str, score: float
) -> None:
    found = [(f.entity_type, text[f.start : f.end], f.score) for f in engine.scan(text)]
    assert found == [(entity, value, pytest.approx(score))]


@pytest.mark.parametrize(
    "text",
    [
        "990230-5234567",  # 30 February
        "901301-5234567",  # month 13
        "900101-9234567",  # gender digit 9
        "300101-7234567",  # born in 2030
        "1900101-5234561",  # digit before
        "900101-52345612",  # 8-digit tail
        "A900101-5234561",  # part of a code
        "2024-01-15 주문",  # a date
    ],
)
def test_frn_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


@pytest.mark.parametrize(
    ("value", "validated", "invalidated"),
    [(VALID, True, False), (POST_2020, None, False), ("990230-5234567", None, True)],
)
def test_validation_hooks(value: str, validated: bool | None, invalidated: bool) -> None:
    recognizer = KrFrnRecognizer()
    assert recognizer.validate_result(value) is validated
    assert recognizer.invalidate_result(value) is invalidated
