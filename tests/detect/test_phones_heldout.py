"""Phone numbers without ``+`` and their look-alikes, on hand-written text (issue 16)."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from tests.detect.phones_heldout import NEGATIVES, POSITIVES


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["PHONE_NUMBER"])


def _reported(engine: DetectionEngine, text: str) -> list[str]:
    return [text[f.start : f.end] for f in engine.scan(text) if f.score >= 0.5]


def test_the_set_is_broad_enough() -> None:
    assert len(POSITIVES) >= 60 and len(NEGATIVES) >= 60
    assert any(ch >= "가" for text, _ in POSITIVES for ch in text)  # Korean sentences too


def test_numbers_without_plus_are_found(engine: DetectionEngine) -> None:
    missed = [value for text, value in POSITIVES if value not in _reported(engine, text)]
    assert len(missed) <= len(POSITIVES) // 20, missed  # recall >= 95 %


def test_look_alikes_are_not_reported(engine: DetectionEngine) -> None:
    alarms = [text for text in NEGATIVES if _reported(engine, text)]
    assert len(alarms) <= 1, alarms
