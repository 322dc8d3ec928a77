"""PERSON recall and precision on hand-written text outside every name list it uses."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from tests.detect.names_heldout import (
    ENGLISH_NEGATIVES,
    ENGLISH_POSITIVES,
    KOREAN_NEGATIVES,
    KOREAN_POSITIVES,
)


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    engine = DetectionEngine(["PERSON"])
    engine.warm_up()
    return engine


def _names(engine: DetectionEngine, text: str) -> list[str]:
    return [text[f.start : f.end] for f in engine.scan(text) if f.score >= 0.5]


def _same(found: str, name: str) -> bool:
    return found in name or name in found


@pytest.mark.parametrize(
    ("positives", "negatives", "floor"),
    [
        pytest.param(KOREAN_POSITIVES, KOREAN_NEGATIVES, 0.9, id="korean"),
        pytest.param(ENGLISH_POSITIVES, ENGLISH_NEGATIVES, 0.9, id="english"),
    ],
)
def test_recall_and_precision_on_held_out_text(
    engine: DetectionEngine,
    positives: tuple[tuple[str, str], ...],
    negatives: tuple[str, ...],
    floor: float,
) -> None:
    hits = wrong = 0
    for text, name in positives:
        found = _names(engine, text)
        hits += any(_same(value, name) for value in found)
        wrong += sum(not _same(value, name) for value in found)
    alarms = [text for text in negatives if _names(engine, text)]
    assert hits / len(positives) >= floor
    assert hits / (hits + wrong + len(alarms)) >= 0.95
    assert len(alarms) <= 1, alarms
