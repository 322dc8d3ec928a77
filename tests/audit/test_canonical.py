"""Canonical forms: each row is spellings an auditor must see as one value."""

from __future__ import annotations

import pytest

from gateway.audit.build import Fingerprinter
from gateway.audit.canonical import CANONICAL_FORMS, canonical_value

FINGERPRINT = Fingerprinter(b"audit-key-for-canonical-tests-0123")

SAME = [
    ("KR_RRN", ["900101-1234568", "9001011234568", "900101 1234568",
                "９００１０１－１２３４５６８"]),
    ("KR_FRN", ["900101-5234567", "9001015234567"]),
    ("KR_BRN", ["123-45-67890", "1234567890", "123 45 67890"]),
    ("KR_CRN", ["110111-1234567", "1101111234567"]),
    ("KR_BANK_ACCOUNT", ["110-123-456789", "110123456789"]),
    ("KR_PASSPORT", ["M12345678", "m12345678", " M1234 5678 "]),
    ("EMAIL_ADDRESS", ["Kim.Minsu@Example.CO.KR", "kim.minsu@example.co.kr",
                       "mailto:KIM.MINSU@example.co.kr"]),
    ("PHONE_NUMBER", ["010-1234-5678", "01012345678", "+82 10 1234 5678", "+82-10-1234-5678",
                      "(010) 1234 5678"]),
    ("KR_PHONE_SHAPE", ["010-1234-5678", "+821012345678"]),
    ("CREDIT_CARD", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"]),
    ("US_SSN", ["078-05-1120", "078051120"]),
    ("IBAN_CODE", ["DE89 3704 0044 0532 0130 00", "de89370400440532013000"]),
    ("IP_ADDRESS", ["2001:db8::1", "2001:0DB8:0000:0000:0000:0000:0000:0001", "[2001:db8::1]"]),
    ("IP_ADDRESS", ["10.0.0.1", "010.000.000.001", " 10.0.0.1 "]),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "spellings"), SAME, ids=[row[0] for row in SAME])
def test_every_spelling_gives_one_fingerprint(entity: str, spellings: list[str]) -> None:
    assert len({canonical_value(entity, s) for s in spellings}) == 1
    assert len({FINGERPRINT(s, entity) for s in spellings}) == 1


@pytest.mark.parametrize(
    ("entity", "value", "form"),
    [
        ("KR_RRN", "900101-1234568", "9001011234568"),
        ("PHONE_NUMBER", "010-1234-5678", "+821012345678"),
        ("PHONE_NUMBER", "+1 (415) 555-0100", "+14155550100"),
        ("EMAIL_ADDRESS", "Kim@Example.com", "kim@example.com"),
        ("PHONE_NUMBER", "0082-10-1234-5678", "+821012345678"),
        ("PHONE_NUMBER", "+82 (0)10 1234 5678", "+821012345678"),
        ("PHONE_NUMBER", "1234-5678", "12345678"),  # no country written: the digits alone
        ("IP_ADDRESS", "010.001.1.1", "10.1.1.1"),
        ("IP_ADDRESS", "not-an-address", "not-an-address"),
    ],
)
def test_the_canonical_form_is_the_one_documented(entity: str, value: str, form: str) -> None:
    assert canonical_value(entity, value) == form


def test_different_values_stay_different() -> None:
    assert FINGERPRINT("900101-1234568", "KR_RRN") != FINGERPRINT("900101-1234567", "KR_RRN")
    assert FINGERPRINT("010-1234-5678", "PHONE_NUMBER") != FINGERPRINT(
        "010-1234-5679", "PHONE_NUMBER"
    )


def test_a_type_without_a_form_keeps_its_value_as_written() -> None:
    assert "SECRET_AWS_ACCESS_KEY" not in CANONICAL_FORMS
    assert canonical_value("SECRET_AWS_ACCESS_KEY", " AKIA Ab ") == " AKIA Ab "
    # a value already in canonical form keeps the fingerprint it had before this release
    assert FINGERPRINT("9001011234568", "KR_RRN") == FINGERPRINT("9001011234568")
