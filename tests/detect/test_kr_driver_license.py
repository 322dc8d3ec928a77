"""Korean driver's licence number recognizer (KR_DRIVER_LICENSE)."""

from __future__ import annotations

import random

import pytest

from gateway.detect import DetectionEngine
from gateway.dev.evaluation.values import DRIVER_LICENSE_REGIONS, driver_license


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_DRIVER_LICENSE"])


@pytest.mark.parametrize(
    ("text", "value", "reported"),
    [
        ("운전면허번호 11-19-123456-78입니다", "11-19-123456-78", True),
        ("11-19-123456-78", "11-19-123456-78", True),
        ("경기북부 28-20-654321-01로", "28-20-654321-01", True),
        # Older regional-name form.
        ("서울-19-123456-78", "서울-19-123456-78", True),
        ("면허증: 서울 19-123456-78", "서울 19-123456-78", True),
        ("제주19 123456 78 이에요", "제주19 123456 78", True),
        # Spaces or no separator: the same digits, reported only with context.
        ("번호 11 19 123456 78 참고", "11 19 123456 78", False),
        ("면허번호 11 19 123456 78", "11 19 123456 78", True),
        ("번호 111912345678 참고", "111912345678", False),
        ("driver license 111912345678", "111912345678", True),
    ],
)
def test_licence_found(engine: DetectionEngine, text: str, value: str, reported: bool) -> None:
    findings = engine.scan(text)
    assert [("KR_DRIVER_LICENSE", value)] == [
        (f.entity_type, text[f.start : f.end]) for f in findings
    ]
    assert (findings[0].score >= 0.5) is reported


@pytest.mark.parametrize(
    "text",
    [
        "운전면허 27-19-123456-78",  # region code 27 is unassigned
        "운전면허 10-19-123456-78",  # below 11
        "운전면허 29-19-123456-78",  # above 28
        "운전면허 11-19-123456-789",  # 3-digit tail
        "운전면허 111-19-123456-78",  # 3-digit region
        "부천-19-123456-78",  # not a region name
        "ISBN 978-11-19-123456-78",  # one group of a longer chain
        "2024-01-15 1,234,000원 010-1234-5678",
    ],
)
def test_licence_not_found(engine: DetectionEngine, text: str) -> None:
    assert engine.scan(text) == []


def test_recognizer_and_corpus_agree_on_region_codes(engine: DetectionEngine) -> None:
    """The recognizer accepts exactly the issued codes, and the corpus uses only those."""
    accepted = {
        region for region in range(10, 100) if engine.scan(f"운전면허 {region}-19-123456-78")
    }
    assert accepted == set(DRIVER_LICENSE_REGIONS) == {*range(11, 27), 28}
    rng = random.Random(3)
    assert {int(driver_license(rng)[:2]) for _ in range(2000)} == accepted
