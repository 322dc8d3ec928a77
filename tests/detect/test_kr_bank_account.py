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


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "김민수", "account": "0114-560-262568"}',
        '{"account_no": "110-123-456789"}',
        '{"계좌번호": "110-123-456789"}',
        "Open https://crm.internal/lookup?account=467-939-901025&lang=ko",
        "bankAccountNumber=110-123-456789",
        "acct_no: 110-123-456789",
        '{"bank": "신한", "no": "110-123-456789"}',  # a neighbouring key
        '{"no": "110-123-456789", "bank": "KB"}',  # ... before or after the value
        "refund = dict(deposit_account='3333-38-1184494')",
    ],
)
def test_field_name_is_context(engine: DetectionEngine, text: str) -> None:
    """Pasted as data, the key is what says the number is an account."""
    found = [f for f in engine.scan(text) if f.score >= 0.5]
    assert [f.entity_type for f in found] == ["KR_BANK_ACCOUNT"], text


@pytest.mark.parametrize(
    "text",
    [
        '{"order_id": "110-123-456789"}',
        '{"tracking_no": "110-123-456789"}',
        '{"accounting_year": 2024, "ref": "110-123-456789"}',  # "account" only as a whole word
        "My account was locked; ticket 110-123-456789",  # free text is not a field
        "see https://shop.example/orders?id=110-123-456789",
    ],
)
def test_other_fields_are_not_context(engine: DetectionEngine, text: str) -> None:
    assert [f for f in engine.scan(text) if f.score >= 0.5] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # Closed up, beside a bank whose lengths (and prefixes) the run fits.
        ("국민은행 12345678901234로 보내주세요", "12345678901234"),
        ("카카오뱅크 3333123456789", "3333123456789"),
        ("토스뱅크 100012345678 입금 부탁", "100012345678"),
        ("우리은행 1002123456789", "1002123456789"),
        ("신한 110123456789 예금주 본인", "110123456789"),
        ("새마을금고 9002123456789", "9002123456789"),
        # Beside a transfer word alone: 10-14 digits.
        ("계좌번호 110123456789", "110123456789"),
        ("이 번호로 송금해줘: 35201234567890", "35201234567890"),
        ("bank account no. 1234567890", "1234567890"),
    ],
)
def test_closed_up_account_found_beside_bank_or_transfer_word(
    engine: DetectionEngine, text: str, value: str
) -> None:
    findings = [f for f in engine.scan(text) if f.score >= 0.5]
    assert [text[f.start : f.end] for f in findings] == [value]
    assert findings[0].score == pytest.approx(0.65)


@pytest.mark.parametrize(
    "text",
    [
        "카카오뱅크 1234123456789",  # not a KakaoBank prefix
        "토스뱅크 1234567890123",  # 13 digits: Toss Bank numbers have 12
        "우리 1002123456789 팀",  # 우리 alone is "we"
        "하나 12345678901234",  # 하나 alone is "one"
        "주문번호 1234567890123",  # no bank or transfer word
        "송금 01012345678",  # a mobile number
        "이체일 20241231",  # a date
        "입금 1,234,567,890원",  # an amount
        "입금 시각 2024120712345",  # a compact timestamp
        "계좌 12345678901234567",  # too long
        "송금 123456789",  # too short
    ],
)
def test_closed_up_run_without_fitting_context_is_not_an_account(
    engine: DetectionEngine, text: str
) -> None:
    assert [f for f in engine.scan(text) if f.score >= 0.5] == []
