"""Phone number recognizer (PHONE_NUMBER): Korean plans and every country through libphonenumber."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["PHONE_NUMBER"])


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        # Mobile, every separator, particles attached.
        ("010-1234-5678로 연락 주세요", "010-1234-5678", 0.95),
        ("연락처: 010-1234-5678", "010-1234-5678", 0.95),
        ("010 1234 5678", "010 1234 5678", 0.6),
        ("번호는01012345678입니다", "01012345678", 0.6),
        ("010.1234.5678", "010.1234.5678", 0.6),
        ("예전 번호 011-123-4567", "011-123-4567", 0.6),
        ("016-1234-5678이요", "016-1234-5678", 0.6),
        ("019 123 4567", "019 123 4567", 0.6),
        # Landlines, VoIP, personal numbers.
        ("사무실 02-123-4567", "02-123-4567", 0.6),
        ("02-1234-5678으로", "02-1234-5678", 0.6),
        ("031-123-4567", "031-123-4567", 0.6),
        ("064-1234-5678", "064-1234-5678", 0.6),
        ("070-1234-5678", "070-1234-5678", 0.6),
        ("0505-123-4567", "0505-123-4567", 0.6),
        ("(02) 1234-5678", "(02) 1234-5678", 0.6),
        ("(031)123-4567", "(031)123-4567", 0.6),
        # International forms of Korean numbers.
        ("call +82 10-1234-5678", "+82 10-1234-5678", 0.95),
        ("+82-2-1234-5678", "+82-2-1234-5678", 0.6),
        ("+82 (0)10-1234-5678", "+82 (0)10-1234-5678", 0.6),
        ("+821012345678", "+821012345678", 0.6),
        # Closed-up VoIP and virtual (050x) numbers.
        ("05041234567", "05041234567", 0.5),
        ("안심번호 050212345678로", "050212345678", 0.5),
        ("07012345678", "07012345678", 0.5),
        # Closed-up landlines need a phone word.
        ("연락처 0233142161", "0233142161", 0.65),
        ("사무실 전화는 0312345678 입니다", "0312345678", 0.65),
        # Other countries: validated by libphonenumber; "00" is weaker than "+".
        ("+1 (415) 555-2671", "+1 (415) 555-2671", 0.5),
        ("phone +1 (415) 555-2671", "+1 (415) 555-2671", 0.85),
        ("Tel: +44 20 7946 0958.", "+44 20 7946 0958", 0.85),
        ("+49 30 1234567", "+49 30 1234567", 0.5),
        ("+81 3-1234-5678", "+81 3-1234-5678", 0.5),
        ("+86 138 0013 8000", "+86 138 0013 8000", 0.5),
        # Dialled abroad: an access code (00, Korean carriers' 001/002/00700, NANP's 011),
        # a country code and a number written in its plan's groups: 0.5 with no phone word.
        ("dial 0044 20 7946 0958", "0044 20 7946 0958", 0.5),
        ("00 44 20 7946 0958로 걸어", "00 44 20 7946 0958", 0.5),
        ("뉴욕 지사 001-212-555-0123", "001-212-555-0123", 0.5),
        ("00700 44 20 7946 0958", "00700 44 20 7946 0958", 0.5),
        ("From the US dial 011 44 20 7946 0958", "011 44 20 7946 0958", 0.5),
        ("00442079460958", "00442079460958", 0.4),  # "00" closed up: weaker, as before
        ("002 81 3 1234 5678", "002 81 3 1234 5678", 0.5),
        # National forms in their own plan's groups: valid in one configured region.
        ("Reach the NY desk at (212) 555-0199.", "(212) 555-0199", 0.5),
        ("런던 사무실 020 7946 0958", "020 7946 0958", 0.5),
        ("東京本社 03-1234-5678", "03-1234-5678", 0.5),
        ("王经理 138 0013 8000", "138 0013 8000", 0.5),
        ("Paris: 01 23 45 67 89", "01 23 45 67 89", 0.5),
        ("our Korean partner's (212) 555-0188", "(212) 555-0188", 0.5),  # "ean" is no word
        ("+44 7700 900123", "+44 7700 900123", 0.3),  # drama range: possible, not allocated
        # Other national forms of other countries need a phone word, in several languages.
        ("Call me on (212) 555-0143", "(212) 555-0143", 0.85),  # in its plan's groups
        ("her mobile is 07700 900123", "07700 900123", 0.65),  # also valid in CN (0770)
        ("携帯 090-1234-5678", "090-1234-5678", 0.85),
        ("电话 13800138000", "13800138000", 0.65),
        ("Telefon 089 1234567", "089 1234567", 0.65),
    ],
)
def test_phone_found(engine: DetectionEngine, text: str, value: str, score: float) -> None:
    found = [(f.entity_type, text[f.start : f.end], f.score) for f in engine.scan(text)]
    assert found == [("PHONE_NUMBER", value, pytest.approx(score))]


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15",
        "2024.01.15 10:45",
        "1,234,000원",
        "₩15,880,000",
        "version 1.2.3",
        "주문번호 20240115-0042",
        "ORD-1588-1234",
        "ISBN 978-89-1588-1234-5",
        "ISBN 978-0-306-40615-7",
        "4111-1111-1111-1111",
        "4010-1234-5678-9012",
        "4010 1234 5678 9012",
        "4588 1588 1234 5678",
        "900101-1234568",
        "01012345678901",
        "123e4567-e89b-12d3-a456-426614174000",
        "a456-010-1234-5678",
        "1600-1700년",
        "1800 1900년",
        "+123",
        # Numbers the plan gives to businesses are not personal data.
        "고객센터 1588-1234",
        "대표번호 15881234",
        "전화 1644 1234",
        "수신자부담 전화 080-123-4567",
        "toll-free phone +1 800 555 0199",
        "Our toll-free line is +1 800 121 4282, call any time.",  # invalid, business prefix
        # Hard negatives beside a phone word: dates, amounts, ids, versions, addresses.
        "연락처 변경일 20240115",
        "phone: 2024-01-15",
        "call 2024.01.15 10:30",
        "전화 192.168.0.1",
        "phone v1.2.3",
        "phone 1,234,567 units",
        "call ISBN 978-0-306-40615-7",
        "phone order 2125550143",  # closed up, no trunk prefix: an id
        "수신자부담 전화 080-909-7415",  # a Korean free call, though Japan's mobiles start 080
        "연락처는 나중에, 주민등록번호 720411-1978931",  # another identifier's shape
        "전화 상담 1234567건",
        "+12.5% growth",
        "+1 point",
        "010-123-4567",  # 010 always has a four-digit middle
        # Grouped look-alikes without a phone word: another number's word, a shape that is
        # not the plan's own grouping, a trunk prefix missing, an access code before junk.
        "주문번호 300-452-1187",
        "Order 212-555-0199 shipped",
        "invoice 020 7946 0958",
        "ISBN 978-89-5115-123-4",
        "555-555-5555",  # valid in China only as 0555 555 5555
        "030 1234 5678",  # Germany writes 030 12345678: needs a phone word
        "37.5665 126.9780",
        "12 345 678",
        "1 234 567,89 EUR",
        "2024 0115 0042",
        "v2.10.3.4567",
        "0212345678",  # landline without separators
    ],
)
def test_phone_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


def test_an_identifier_shape_after_00_stays_informational(engine: DetectionEngine) -> None:
    """``001309-2293488`` is +1 309 229 3488 to libphonenumber, but an RRN's 6-7 shape."""
    found = engine.scan("인보이스 번호 001309-2293488 금액 확인")
    assert [f.score for f in found] == [pytest.approx(0.4)]


def test_all_entities_keep_their_own_numbers() -> None:
    """With every recognizer on, a phone number is claimed by PHONE_NUMBER only."""
    text = "연락처 010-1234-5678, 주민번호 900101-1234568, 카드 4111 1111 1111 1111"
    found = {
        (f.entity_type, text[f.start : f.end])
        for f in DetectionEngine().scan(text)
        if f.score >= 0.5
    }
    assert found == {
        ("PHONE_NUMBER", "010-1234-5678"),
        ("KR_RRN", "900101-1234568"),
        ("CREDIT_CARD", "4111 1111 1111 1111"),
    }


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        # A mobile number regrouped out of its 3-4-4 shape is still one: 0.5, 0.85 with context.
        ("0101 8520 593", "0101 8520 593", 0.5),
        ("제 전화번호는 0101 8520 593이고 내일까지", "0101 8520 593", 0.85),
        ("010 12 34 56 78", "010 12 34 56 78", 0.5),
        ("0101-8520-593", "0101-8520-593", 0.5),
        ("010.18.520.593", "010.18.520.593", 0.5),
        ('{"phone": "0101 8520 593"}', "0101 8520 593", 0.85),
        ("0161 234 567", "0161 234 567", 0.5),  # legacy prefix, seven more digits
        ("019 12 345 678", "019 12 345 678", 0.5),
        # Mixed separators: closed up, the digits are still a mobile's.
        ("0101-8520 593", "0101-8520 593", 0.5),
    ],
)
def test_regrouped_mobile_found(
    engine: DetectionEngine, text: str, value: str, score: float
) -> None:
    found = [(f.entity_type, text[f.start : f.end], f.score) for f in engine.scan(text)]
    assert found == [("PHONE_NUMBER", value, pytest.approx(score))]


@pytest.mark.parametrize(
    "text",
    [
        "0101 8520 5931",  # 010 and nine more digits
        "0101 8520 59",  # and seven
        "0101 8520 593 7",  # one group of a longer chain
        "1 0101 8520 593",
        "0101 8520 59 3",  # single-digit group
        "01.01.2024 10:30",  # a date: the prefix must start the first group
        "2010 11 12 3456",
        "v0.10.12.345",
        "ORD-0101-8520-593",
    ],
)
def test_regrouped_lookalikes_not_found(engine: DetectionEngine, text: str) -> None:
    assert [f for f in engine.scan(text) if f.score >= 0.5] == []
