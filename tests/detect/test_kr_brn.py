"""Korean business registration number recognizer (KR_BRN)."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.kr.brn import brn_checksum_ok

VALID = "123-45-67891"
VALID_2 = "220-81-62138"
INVALID = "123-45-67890"  # check digit off by one


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_BRN"])


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        (f"사업자등록번호: {VALID}입니다", VALID, 1.0),
        (VALID, VALID, 1.0),
        (f"거래처 {VALID_2}로 발행", VALID_2, 1.0),
        # Bare 10 digits pass the check one time in ten by chance: context decides.
        ("번호 1234567891 참고", "1234567891", 0.3),
        ("사업자번호 1234567891", "1234567891", 0.65),
        ("business registration no. 2208162138.", "2208162138", 0.65),
    ],
)
def test_brn_found(engine: DetectionEngine, text: str, value: str, score: float) -> None:
    found = [(f.entity_type, text[f.start : f.end], f.score) for f in engine.scan(text)]
    assert found == [("KR_BRN", value, pytest.approx(score))]


@pytest.mark.parametrize(
    "text",
    [
        f"사업자등록번호 {INVALID}",  # bad check digit
        "사업자번호 1234567890",  # bad check digit, bare
        f"A-{VALID}",  # group of a longer code
        f"{VALID}-1",
        "123-45-678910",  # 6-digit tail
        "사업자 010-1234-5678, 2024-01-15, 1,234,000원",
    ],
)
def test_brn_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [(VALID, True), (VALID_2, True), (INVALID, False), ("1234567891", True), ("12345", False)],
)
def test_checksum(value: str, ok: bool) -> None:
    assert brn_checksum_ok(value) is ok
