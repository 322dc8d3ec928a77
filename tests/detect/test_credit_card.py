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
