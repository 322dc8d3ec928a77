"""Korean bank account recognizer (KR_BANK_ACCOUNT): 0.3 alone, reported only with context."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_BANK_ACCOUNT"])


@pytest.mark.parametrize(
    ("text", "value", "reported"),
    [
        # The same number with and without a bank or transfer word nearby.
        ("110-123-456789", "110-123-456789", False),
        ("번호는110-123-456789입니다", "110-123-456789", False),
        ("신한 110-123-456789", "110-123-456789", True),
        ("신한은행 계좌번호는110-123-456789입니다", "110-123-456789", True),
        ("110-123-456789로 송금해 주세요", "110-123-456789", True),
        ("KB국민 123456-01-123456", "123456-01-123456", True),
        ("우리은행 1002-123-456789", "1002-123-456789", True),
        ("NH농협 352-1234-5678-93 입금", "352-1234-5678-93", True),
        ("카카오뱅크 3333-01-1234567", "3333-01-1234567", True),
        ("account no. 3333-01-1234567", "3333-01-1234567", True),
        ("IBK 010-123456-01-011", "010-123456-01-011", True),
        # "우리" alone means "our": not a bank name.
        ("우리 회사 1002-123-456789", "1002-123-456789", False),
    ],
)
def test_account_found(engine: DetectionEngine, text: str, value: str, reported: bool) -> None:
    findings = engine.scan(text)
    assert [("KR_BANK_ACCOUNT", value)] == [
        (f.entity_type, text[f.start : f.end]) for f in findings
    ]
    assert (findings[0].score >= 0.5) is reported
    assert findings[0].score == pytest.approx(0.65 if reported else 0.3)


@pytest.mark.parametrize(
    "text",
    [
        "계좌 010-1234-5678",  # phone number
        "입금 02-1234-5678",
        "송금 900101-1234568",  # RRN shape
        "이체 123-45-67891",  # BRN shape
        "계좌 2024-01-15",  # date
        "계좌 4111-1111-1111-1111",  # 16 digits: a card
        "계좌 123-45-678",  # 8 digits
        "계좌 978-3-16-148410-0",  # ISBN
        "계좌 123e4567-e89b-12d3-a456-426614174000",  # UUID
        "계좌 A-110-123-456789",  # part of a longer code
        "계좌 1,234,000원",
    ],
)
def test_account_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


def test_threshold_half_drops_accounts_without_context() -> None:
    strict = DetectionEngine(["KR_BANK_ACCOUNT"], score_threshold=0.5)
    assert strict.scan("110-123-456789") == []
    assert len(strict.scan("신한 110-123-456789")) == 1
