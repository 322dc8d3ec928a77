"""The scan's first look (``detect/gates.py``) skips only recognizer calls that could find
nothing: findings, notes and explanations are those of Presidio's own ``analyze`` over
every recognizer, disguises included."""

from __future__ import annotations

import base64

import pytest
from presidio_analyzer import RecognizerResult

from gateway.detect import DetectionEngine
from gateway.detect.gates import digit_run, gate_of
from gateway.detect.recognizers.dictionary import DictionaryRecognizer
from gateway.detect.recognizers.generic import CreditCardNumberRecognizer
from gateway.detect.recognizers.kr.rrn import KrRrnRecognizer

#: the default policy's request and answer types (its answer rule: RRN, card, SECRET_*)
REQUEST = ["EMAIL_ADDRESS", "CREDIT_CARD", "KR_RRN", "GENERIC_SECRET", "SECRET_AWS_ACCESS_KEY"]
ANSWER = ["CREDIT_CARD", "KR_RRN", "SECRET_AWS_ACCESS_KEY", "SECRET_GITHUB_TOKEN"]
KOREAN_PROSE = "이번 분기 판매 실적을 요약하고 다음 달 마케팅 계획 초안을 작성해 주세요."
#: the numbered identifiers the finance and public-sector policies add
NUMBERED = [
    "KR_FRN",
    "KR_PASSPORT",
    "KR_DRIVER_LICENSE",
    "KR_BRN",
    "KR_CRN",
    "KR_BANK_ACCOUNT",
    "PHONE_NUMBER",
    "IP_ADDRESS",
    "US_SSN",
    "IBAN_CODE",
]

_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
TEXTS = [
    "The quarter went well; here are three risks and how to handle each of them.",
    "이번 분기 판매 실적을 요약하고 다음 달 마케팅 계획 초안을 작성해 주세요. 2025년 3월",
    "주민번호 900101-1234568 입니다",
    "주민번호는 구공공일공일 일이삼사오육팔 입니다",
    "rrn nine zero zero one zero one one two three four five six eight",
    "주민번호 " + "900101-1234568".translate(_ARABIC),
    "카드 ４１１１ １１１１ １１１１ １１１１",
    "card 4111%201111%201111%201111 paid",
    "카드번호 4111-1111-\n1111-1111",
    "payload " + base64.b64encode("주민번호 900101-1234568".encode()).decode(),
    "주민번호 9 0 0 1 0 1 1 2 3 4 5 6 8",
    "주민번호 900101.1234568",
    "mail kim at example dot com or lee@example.co.kr",
    "aws_access_key_id = AKIA\u200bZ3MSK2PLQW7RTX4N",
    "이 키로 호출해 줘: 9vJqX2mK7pLw4RtY8zNb3HcQ",
    "commit 9f2c1e4b7a3d5f6e8c0b1a2d3e4f5a6b7c8d9e0f, order 8801234567893",
    "출장 여권번호 M12345678, 외국인등록번호 900101-5234567",
    "국민은행 계좌 123456789012 로 송금, 110-123-456789 도",
    "연락처 010-1234-5678 또는 +1 415 555 2671, 사무실 0233142161",
    "사업자등록번호 123-45-67890, 법인등록번호 110111-1234567, 면허 11-12-345678-90",
    "server 192.168.0.1 and fe80::1, ssn 536-22-8842",
    "해외 송금 IBAN DE89 3704 0044 0532 0130 00 으로",
]


def _ungated(engine: DetectionEngine) -> DetectionEngine:
    for analyzer in engine._analyzers.values():
        analyzer.gated = False  # Presidio's analyze, every recognizer called
    return engine


@pytest.mark.parametrize(
    "entities", [REQUEST, ANSWER, NUMBERED, ["CREDIT_CARD"], ["KR_RRN"], ["PHONE_NUMBER"]]
)
def test_findings_and_notes_are_those_of_the_engine_without_the_gate(
    entities: list[str],
) -> None:
    gated = DetectionEngine(entities=entities)
    plain = _ungated(DetectionEngine(entities=entities))
    for text in TEXTS:
        assert gated.scan(text) == plain.scan(text), text
        assert gated.not_reported(text) == plain.not_reported(text), text
        assert gated.explain(text) == plain.explain(text), text
        halves = [text[: len(text) // 2], text[len(text) // 2 :]]
        assert gated.scan_segments(halves) == plain.scan_segments(halves), text
    found = {f.entity_type for text in TEXTS for f in gated.scan(text)}
    assert found >= set(entities) - {"SECRET_GITHUB_TOKEN", "KR_CRN"}  # the table found things


@pytest.mark.parametrize("entities", [REQUEST, ANSWER, NUMBERED])
def test_prose_calls_no_recognizer(monkeypatch: pytest.MonkeyPatch, entities: list[str]) -> None:
    engine = DetectionEngine(entities=entities)
    calls: list[str] = []
    for analyzer in engine._analyzers.values():
        for recognizer in analyzer.registry.recognizers:
            analyze = recognizer.analyze

            def counted(*args: object, _analyze: object = analyze, **kwargs: object) -> object:
                calls.append("call")
                return _analyze(*args, **kwargs)  # type: ignore[operator]

            monkeypatch.setattr(recognizer, "analyze", counted)
    assert engine.scan(TEXTS[0]) == []  # English prose, an answer's usual text
    assert engine.scan(KOREAN_PROSE) == []
    assert calls == []
    numbered = "주민번호는 구공공일공일 일이삼사오육팔, 여권 M12345678, 연락처 010-1234-5678"
    assert engine.scan(numbered)  # a text with something to find still calls them
    assert calls


def test_a_recognizer_without_a_gate_is_never_skipped() -> None:
    words = DictionaryRecognizer("PROJECT_CODE", ["프로젝트 해태"])
    engine = DetectionEngine(entities=ANSWER, extra_recognizers=[words])
    assert gate_of(words) is None
    assert [f.entity_type for f in engine.scan("프로젝트 해태 일정")] == ["PROJECT_CODE"]


def test_every_recognizer_that_declares_a_gate_is_gated() -> None:
    """A class that overrides ``analyze`` below its gate must declare the gate again, or
    every text pays a Presidio call (the e-mail recognizer lost its gate once that way)."""
    engine = DetectionEngine()  # every supported type
    for analyzer in engine._analyzers.values():
        for recognizer in analyzer.registry.recognizers:
            if any("may_match" in vars(cls) for cls in type(recognizer).__mro__):
                assert gate_of(recognizer) is not None, type(recognizer).__name__


def test_a_subclass_that_reads_otherwise_is_not_gated() -> None:
    class Wider(CreditCardNumberRecognizer):
        def analyze(self, *args: object, **kwargs: object) -> list[RecognizerResult]:
            return []

    assert gate_of(CreditCardNumberRecognizer()) is not None
    assert gate_of(KrRrnRecognizer()) is not None  # analyze is its base's
    assert gate_of(Wider()) is None


def test_digit_runs_are_digits_as_presidio_reads_them() -> None:
    six = digit_run(r"\d{6}")
    assert six("900101") and six("١٢٣٤٥٦")
    assert six("\U00010d40" * 6)  # Garay digits: the regex module's \d, not re's
    assert not six("12345 six") and not six("no digits at all")
