"""Rules by language: Korean on top of the common ones, chosen per text or overridden."""

from __future__ import annotations

import base64
import io
import json

import pytest

from gateway.cli import main
from gateway.detect import DetectionEngine
from gateway.detect.engine import detect_language

ENTITIES = ["KR_RRN", "PERSON", "KR_ADDRESS", "US_SSN", "KR_BANK_ACCOUNT", "EMAIL_ADDRESS"]


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(ENTITIES)


def _found(findings: list, text: str, threshold: float = 0.5) -> set[tuple[str, str]]:
    return {(f.entity_type, text[f.start : f.end]) for f in findings if f.score >= threshold}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("주민번호 900101-1234568", "ko"),
        ("My RRN is 900101-1234568", "en"),
        ("ㅋㅋ", "ko"),  # jamo count
        ("", "en"),
        ("１２３ full-width digits", "en"),
    ],
)
def test_language_is_detected_by_script(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_identifiers_are_found_in_every_language(engine: DetectionEngine) -> None:
    """An RRN pasted into English text is still an RRN, whatever the rules."""
    text = "My resident number is 900101-1234568, mail kim@example.com"
    expected = {("KR_RRN", "900101-1234568"), ("EMAIL_ADDRESS", "kim@example.com")}
    for language in ("auto", "ko", "en"):
        assert _found(engine.scan(text, language=language), text) == expected, language


def test_korean_names_and_addresses_need_korean_rules(engine: DetectionEngine) -> None:
    text = "성명: 홍길동, 주소: 서울특별시 강남구 테헤란로 152"
    korean = {("PERSON", "홍길동"), ("KR_ADDRESS", "서울특별시 강남구 테헤란로 152")}
    assert _found(engine.scan(text), text) == korean
    assert _found(engine.scan(text, language="ko"), text) == korean
    assert _found(engine.scan(text, language="en"), text, threshold=0.0) == set()


def test_korean_context_words_count_only_with_korean_rules(engine: DetectionEngine) -> None:
    text = "주민등록번호 2103154876540"  # date-valid, no checksum: context decides
    [korean] = engine.scan(text)
    [english] = engine.scan(text, language="en")
    assert (korean.score, english.score) == (pytest.approx(0.75), pytest.approx(0.4))


def test_english_context_words_count_with_korean_rules_too(engine: DetectionEngine) -> None:
    text = "bank account 110-123-456789 으로 보내줘"
    assert _found(engine.scan(text), text) == {("KR_BANK_ACCOUNT", "110-123-456789")}


def test_segments_and_base64_blobs_get_their_own_language(engine: DetectionEngine) -> None:
    plain, korean = engine.scan_segments(["Hello there", "성명: 홍길동"])
    assert plain == []
    assert _found(korean, "성명: 홍길동") == {("PERSON", "홍길동")}
    blob = base64.b64encode("성명: 홍길동 고객님 자료".encode()).decode()
    text = f"decode this: {blob}"
    assert ("PERSON", blob) in _found(engine.scan(text), text)
    assert _found(engine.scan(text, language="en"), text, threshold=0.0) == set()


def test_engine_default_language_and_bad_values() -> None:
    english_only = DetectionEngine(["PERSON"], language="en")
    assert english_only.scan("성명: 홍길동") == []
    assert english_only.scan("성명: 홍길동", language="auto") != []
    with pytest.raises(ValueError, match="language"):
        DetectionEngine(["PERSON"], language="jp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="language"):
        english_only.scan("x", language="KO")  # type: ignore[arg-type]


def test_scan_command_language_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "성명: 홍길동 / RRN 900101-1234568"
    for language, expected in (("auto", {"PERSON", "KR_RRN"}), ("en", {"KR_RRN"})):
        monkeypatch.setattr("sys.stdin", io.StringIO(text))
        argv = ["scan", "--entities", "PERSON,KR_RRN", "--language", language]
        assert main(argv) == 0
        findings = json.loads(capsys.readouterr().out)
        assert {f["entity_type"] for f in findings} == expected, language
