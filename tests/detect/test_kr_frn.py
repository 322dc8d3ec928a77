"""Korean foreigner registration number recognizer (KR_FRN)."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.kr import KrFrnRecognizer

VALID = "900101-5240164"  # the pre-October-2020 structure: even office 24, type 6, check 4
VALID_2000S = "050315-7120869"
CHECK_DIGIT_ONLY = "900101-5234561"  # the check digit holds, the odd office 23 does not
POST_2020 = "900101-5234567"  # real date, random tail: old check digit fails
# Thirteen-digit barcodes (GS1 check digit) that read as a date, G = 5-6 and even pass the
# whole old FRN structure: found by chance among random Korean (880) and Japanese (490,
# 450) product codes.
EAN_LIKE_FRN = ("8808226883894", "4907246101989", "4505016086599")


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    # KR_RRN too: the two must never claim the same number.
    return DetectionEngine(["KR_FRN", "KR_RRN"])


@pytest.mark.parametrize(
    ("text", "entity", "value", "score"),
    [
        (f"외국인등록번호는 {VALID}입니다", "KR_FRN", VALID, 1.0),
        (f"{VALID_2000S}로 등록했어요", "KR_FRN", VALID_2000S, 1.0),
        (f"Alien registration: {VALID_2000S.replace('-', '')}.", "KR_FRN", "0503157120869", 1.0),
        (f"번호 {CHECK_DIGIT_ONLY} 확인", "KR_FRN", CHECK_DIGIT_ONLY, 0.6),  # was 1.0
        # A barcode-shaped run that passes: its FRN word still makes it one.
        (f"외국인등록번호 {EAN_LIKE_FRN[0]}", "KR_FRN", EAN_LIKE_FRN[0], 1.0),
        # Closed up and a valid GS1 code too: as likely a barcode, so the pattern score.
        (f"코드 {EAN_LIKE_FRN[1]}", "KR_FRN", EAN_LIKE_FRN[1], 0.4),
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
        # Barcodes, books and corporations beside their own words.
        *(f"상품 바코드 {code} 재고 확인해줘" for code in EAN_LIKE_FRN),
        *(f"EAN-13: {code}" for code in EAN_LIKE_FRN),
        f"GTIN {EAN_LIKE_FRN[2]} / JAN",
        f"SKU {EAN_LIKE_FRN[0]} restocked",
        "ISBN 9788956605123 책 요약해줘",
        "법인등록번호 110111-5234561 법인 등기부등본 요약해줘",
        "Corporate registration number 160111-6293958 belongs to our subsidiary.",
    ],
)
def test_frn_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


@pytest.mark.parametrize(
    ("value", "validated", "invalidated"),
    [
        (VALID, True, False),
        (CHECK_DIGIT_ONLY, None, False),
        (POST_2020, None, False),
        ("990230-5234567", None, True),
    ],
)
def test_validation_hooks(value: str, validated: bool | None, invalidated: bool) -> None:
    recognizer = KrFrnRecognizer()
    assert recognizer.validate_result(value) is validated
    assert recognizer.invalidate_result(value) is invalidated


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # GS1-valid barcodes that read as an RRN with a passing check digit.
        ("상품 바코드 8809231639353 재고 확인해줘", None),
        ("EAN-13: 4907081795886", None),
        ("코드 4509172725286", None),  # no word either way: the closed-up score, 0.4
        ("주민번호 8809231639353", "8809231639353"),  # its own word decides
    ],
)
def test_rrn_is_not_a_barcode(engine: DetectionEngine, text: str, value: str | None) -> None:
    reported = [text[f.start : f.end] for f in engine.scan(text) if f.score >= 0.5]
    assert reported == ([] if value is None else [value])
