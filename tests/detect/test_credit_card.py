"""Credit cards: Luhn plus the lengths each issuer prefix really has, never inside a chain."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["CREDIT_CARD"])


@pytest.mark.parametrize(
    "value",
    [
        "4111 1111 1111 1111",  # Visa, 16
        "4222222222222",  # Visa, 13
        "3782 822463 10005",  # Amex, 15
        "3056 930902 5904",  # Diners, 14
        "6011-0009-9013-9424",  # Discover, 16
        "2221000000000009",  # Mastercard 2-series
    ],
)
def test_cards_of_every_brand_length(engine: DetectionEngine, value: str) -> None:
    text = f"카드번호 {value}로 결제"
    assert [text[f.start : f.end] for f in engine.scan(text)] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "우체국 등기번호 6002059160804로 조회",  # Luhn-valid, but no 13-digit card starts with 6
        "tracking 5105105105105",  # a 13-digit "Mastercard"
        "xoxa-31570705231-4314268645489-VphlwJR8CykrtsJAKcWTv45q",  # one group of a token
        "order A-4111-1111-1111-1111",
    ],
)
def test_not_cards(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


def _reported(engine: DetectionEngine, text: str) -> list[str]:
    return [text[f.start : f.end] for f in engine.scan(text) if f.score >= 0.5]


@pytest.mark.parametrize(
    "text",
    [
        # 4564 6282 6811 1729 passes Luhn, but it is four groups of a valid French IBAN.
        "제 IBAN는 FR89 4564 6282 6811 1729 5188 299이고 내일까지 처리 부탁드려요.",
        "IBAN: FR89-4564-6282-6811-1729-5188-299",
    ],
)
def test_iban_digits_are_not_a_card(engine: DetectionEngine, text: str) -> None:
    assert _reported(engine, text) == []


def test_a_card_next_to_an_iban_is_still_a_card(engine: DetectionEngine) -> None:
    text = "IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111"
    assert _reported(engine, text) == ["4111 1111 1111 1111"]


def test_a_card_after_a_broken_iban_head_is_still_a_card(engine: DetectionEngine) -> None:
    """Only a checksum-valid IBAN claims the digits: ``FR00`` then a card is a card."""
    text = "ref FR00 4111 1111 1111 1111"
    assert _reported(engine, text) == ["4111 1111 1111 1111"]


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("Batch id 4806324161922 failed to import.", []),  # Luhn-valid 13 digits, no card word
        ("주문번호 4806324161922 조회", []),
        ("Visa card 4806324161922 please", ["4806324161922"]),
        ("카드번호 4222222222222로 결제", ["4222222222222"]),
        ("4222 222 222 222", ["4222 222 222 222"]),  # written as a card
    ],
)
def test_bare_13_digits_need_a_card_word(
    engine: DetectionEngine, text: str, reported: list[str]
) -> None:
    assert _reported(engine, text) == reported
