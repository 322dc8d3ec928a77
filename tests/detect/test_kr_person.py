"""Korean name recognizer (PERSON): honorific/label context, or Kiwi's proper-noun reading."""

from __future__ import annotations

import pytest

from gateway.detect import DetectionEngine
from gateway.detect.recognizers.kr.person import KrPersonRecognizer


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(["PERSON"])


@pytest.mark.parametrize(
    ("text", "value", "score"),
    [
        # Honorific or title right after the name; particles after it do not matter.
        ("김민수님께 전달해 주세요", "김민수", 0.85),
        ("이영희씨가 왔어요", "이영희", 0.85),
        ("홍길동 고객님 안녕하세요", "홍길동", 0.85),
        ("박지성 과장에게 물어보세요", "박지성", 0.85),
        ("선우진씨", "선우진", 0.85),
        ("김구 선생님께서", "김구", 0.85),
        # A label right before it; the label is also a context word (+0.35, capped at 1).
        ("성명: 홍길동", "홍길동", 1.0),
        ("이름은 김민수입니다", "김민수", 1.0),
        ("담당자 박지성에게 연락", "박지성", 1.0),
        ("환자 남궁민수", "남궁민수", 1.0),
        ("name: 김민수", "김민수", 1.0),
        # Bare names: Kiwi reads them as one proper noun.
        ("어제 김철수를 만났다", "김철수", 0.6),
        ("김지원을 만났다", "김지원", 0.6),
        # Kiwi splits off only the surname (an unknown name), or reads name and particle:
        # a name-shaped candidate is a name either way.
        ("박서준이 출연했다", "박서준", 0.6),
        ("어제 최찬준이 보고서를 냈다", "최찬준", 0.6),
        ("허민이 보고서를 제출했다", "허민이", 0.6),
    ],
)
def test_person_found(engine: DetectionEngine, text: str, value: str, score: float) -> None:
    findings = engine.scan(text)
    assert [("PERSON", value)] == [(f.entity_type, text[f.start : f.end]) for f in findings]
    assert findings[0].score == pytest.approx(score)


@pytest.mark.parametrize(
    "text",
    [
        "이번 주에 정말 한국 김치를 먹었다",
        "고객센터 전화 문의",
        "서울 강남 장소 안내",
        "박스 최근 신청 조회",
        "유지 보수 임시 오늘",
        "고객님 안녕하세요",
        "사장님께 보고드립니다",
        "마음씨가 곱다",
        "담당자 변경은 어디서",
        "환자 정보를 입력",
        "이상한 일이다",
        "신세계 백화점",
        "유튜브를 본다",
        "강남구에 산다",
        "한국어 공부",
        "이마트에서 샀다",
        "Kim Minsu called",
        # Common nouns of a name's shape: a given name's syllables or the noun list say no.
        "한정판 제품을 구매했다",
        "정기 구독 고객님께 안내",
        "구매 고객님께 쿠폰을 드립니다",
        "최소한 이것만은 지켜줘",
        "이번주 일정 알려줘",
        "안건이 많다",
    ],
)
def test_person_not_reported(engine: DetectionEngine, text: str) -> None:
    assert [f for f in engine.scan(text) if f.score >= 0.5] == []


def test_without_kiwi_only_context_counts() -> None:
    recognizer = KrPersonRecognizer(use_kiwi=False)
    text = "어제 김철수를 만났고 이영희씨도 왔다"
    results = recognizer.analyze(text, ["PERSON"])
    assert [(text[r.start : r.end], r.score) for r in results] == [("이영희", 0.85)]
