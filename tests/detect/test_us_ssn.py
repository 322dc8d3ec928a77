"""US SSN recognizer: Presidio's patterns, tolerant of Korean particles, not fooled by ISBNs."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["US_SSN"])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SSN: 536-22-1234 - fill in the W-9 form", "536-22-1234"),
        ("사회보장번호는 536-22-1234입니다", "536-22-1234"),
        ("ssn 536 22 1234", "536 22 1234"),
        ("(536-22-1234)", "536-22-1234"),
        ("SSN 899-12-3456.", "899-12-3456"),  # a sentence's full stop is not a chain
    ],
)
def test_ssn_found(engine: DetectionEngine, text: str, value: str) -> None:
    found = [text[f.start : f.end] for f in engine.scan(text) if f.score >= 0.5]
    assert found == [value]


@pytest.mark.parametrize(
    "text",
    [
        "ISBN 978-89-1793-456-7 책 요약해줘",  # an ISBN's first three groups
        "ISBN 979-11-6224-012-3",
        "part no. A-536-22-1234",
        "536-22-1234-01 is the order line",
        "ITIN 912-78-1234",  # 9xx areas are never issued as SSNs
        "SSN 000-12-3456",  # Presidio's own rules still apply
    ],
)
def test_ssn_not_found(engine: DetectionEngine, text: str) -> None:
    assert [f for f in engine.scan(text) if f.score >= 0.5] == []
