"""Korean address recognizer (KR_ADDRESS): road-name and lot-number forms."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["KR_ADDRESS"])


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        ("서울특별시 강남구 테헤란로 152", "서울특별시 강남구 테헤란로 152", 0.85),
        (
            "경기도 성남시 분당구 판교역로 235, 3층",
            "경기도 성남시 분당구 판교역로 235, 3층",
            0.85,
        ),
        ("부산 해운대구 센텀중앙로 79", "부산 해운대구 센텀중앙로 79", 0.85),
        ("서울 강남구 테헤란로4길 12에서", "서울 강남구 테헤란로4길 12", 0.85),
        ("세종특별자치시 한누리대로 2130", "세종특별자치시 한누리대로 2130", 0.85),
        (
            "서울시 서초구 반포대로 58, 101동 1203호(반포동)로 와",
            "서울시 서초구 반포대로 58, 101동 1203호(반포동)",
            0.85,
        ),
        ("서울 강남구 역삼동 737-32", "서울 강남구 역삼동 737-32", 0.85),
        (
            "경기도 양평군 양평읍 양근리 123-4번지에 삽니다",
            "경기도 양평군 양평읍 양근리 123-4번지",
            0.85,
        ),
        # Without a province.
        ("강남구 테헤란로 152 (역삼동)", "강남구 테헤란로 152 (역삼동)", 0.6),
        ("수원시 영통구 중앙로 12번길 3", "수원시 영통구 중앙로 12번길 3", 0.6),
        # 로 is both the road suffix and a particle: the span ends at the number.
        ("테헤란로 152로 보내줘", "테헤란로 152", 0.35),
        ("배송지는 테헤란로 152입니다", "테헤란로 152", 0.7),
        # Context raises the score.
        ("주소: 서울 강남구 테헤란로 152로 보내줘", "서울 강남구 테헤란로 152", 1.0),
        ("거주지 강남구 역삼동 737-32", "강남구 역삼동 737-32", 0.95),
    ],
)
def test_address_found(engine: DetectionEngine, text: str, value: str, score: float) -> None:
    findings = engine.scan(text)
    assert [("KR_ADDRESS", value)] == [(f.entity_type, text[f.start : f.end]) for f in findings]
    assert findings[0].score == pytest.approx(score)


@pytest.mark.parametrize(
    "text",
    [
        "서울에서 만나요",
        "강남역 근처",
        "3층 회의실",
        "테헤란로를 따라 걷다",
        "택시로 10분 걸려요",
        "전화로 1588-1234",
        "문자로 010-1234-5678 보내",
        "2호선 강남역으로 3번 출구",
        "방법으로 3가지가 있다",
        "서울로 2시간",
        "Send it to 152 Teheran-ro",
    ],
)
def test_address_not_found(engine: DetectionEngine, text: str) -> None:
    assert [f for f in engine.scan(text) if f.score >= 0.5] == []
