"""Classification markings (CONFIDENTIAL_MARKER): the marking is reported, the concept is not."""

from __future__ import annotations

import pytest
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult

from gateway.detect.context import WindowContextEnhancer
from gateway.detect.offline import build_nlp_engine
from gateway.detect.recognizers.markings import FACTORIES, ConfidentialMarkerRecognizer

ENTITY = "CONFIDENTIAL_MARKER"


@pytest.fixture(scope="module")
def analyzer() -> AnalyzerEngine:
    """The engine's real scoring path: NoOp NLP engine plus the window context enhancer."""
    nlp_engine = build_nlp_engine()
    return AnalyzerEngine(
        registry=RecognizerRegistry(
            recognizers=[ConfidentialMarkerRecognizer()], supported_languages=["en"]
        ),
        nlp_engine=nlp_engine,
        supported_languages=["en"],
        context_aware_enhancer=WindowContextEnhancer(),
    )


def _best(analyzer: AnalyzerEngine, text: str) -> RecognizerResult | None:
    results = analyzer.analyze(text=text, language="en", entities=[ENTITY])
    return max(results, key=lambda result: result.score, default=None)


POSITIVES = [
    # (text, the marked span)
    ("[대외비] 2024년 하반기 영업 전략", "대외비"),
    ("【대외비】 신제품 출시 일정", "대외비"),
    ("<대외비> 인사 평가 결과", "대외비"),
    ("(대외비) 구조조정 계획안", "대외비"),
    ("본 문서는 대외비입니다. 외부 유출을 금합니다.", "대외비"),
    ("이 자료는 사내한정이니 외부에 공유하지 마세요", "사내한정"),
    ("사내 한정\n회의록 초안입니다", "사내 한정"),
    ("[사외비] 협력사 단가표", "사외비"),
    ("극비 - 인수합병 검토 보고서", "극비"),
    ("[기밀] 연구소 실험 결과 정리", "기밀"),
    ("보안등급: 비밀\n다음 내용을 요약해줘", "비밀"),
    ("Ⅱ급비밀\n작전 계획 개요", "Ⅱ급비밀"),
    ("이 문서는 1급 비밀로 분류됩니다", "1급 비밀"),
    ("3급비밀 문서 요약 부탁해", "3급비밀"),
    ("[취급주의] 고객 명단", "취급주의"),
    ("대외주의 자료입니다. 요약해줘", "대외주의"),
    ("[내부용] 조직도 개편안", "내부용"),
    ("보안문서\n아래 내용을 번역해줘", "보안문서"),
    ("대외비 자료를 요약해 주세요", "대외비"),
    ("CONFIDENTIAL\nQ3 revenue forecast by region", "CONFIDENTIAL"),
    ("** CONFIDENTIAL **\nPlease summarise the following.", "CONFIDENTIAL"),
    ("=== INTERNAL USE ONLY ===\nRoadmap 2025", "INTERNAL USE ONLY"),
    ("STRICTLY CONFIDENTIAL - Board minutes, 3 May", "STRICTLY CONFIDENTIAL"),
    ("Highly Confidential: customer churn analysis", "Highly Confidential"),
    ("This document is confidential and intended only for the recipient.", "confidential"),
    (
        "This email and any attachments are strictly confidential.",
        "strictly confidential",
    ),
    ("Please summarise this CONFIDENTIAL report on the merger.", "CONFIDENTIAL"),
    ("For internal use only. Do not forward.", "For internal use only"),
    ("Acme Corp | Proprietary and Confidential", "Proprietary and Confidential"),
    ("Classification: Restricted\nSummary of the audit findings", "Restricted"),
    ("TOP SECRET\nOperation overview", "TOP SECRET"),
    ("[SECRET] Launch codes review", "SECRET"),
    ("[NDA] Partner pricing sheet", "NDA"),
    ("The attached deck is shared under NDA, please summarise it.", "NDA"),
    ("Do not distribute.\nDraft pricing for 2025", "Do not distribute"),
    ("# Company Confidential\nHeadcount plan", "Company Confidential"),
    ("# 대외비\n## 개요", "대외비"),
    ("[사내 기밀] 인사 평가 결과를 표로 정리해줘", "사내 기밀"),
    ("사내 기밀 문서입니다. 요약해줘", "사내 기밀"),
    ("This memo is marked Internal Only. Rewrite it.", "Internal Only"),
    ("This memo is marked 기밀. Rewrite it.", "기밀"),
    ("※ 본 자료는 TOP SECRET 자료이므로 외부 공유를 금합니다.", "TOP SECRET"),
    ("사외 유출 금지\n2025 단가표", "사외 유출 금지"),
    (
        "다음 메일을 요약해줘.\n\n일정 공유드립니다.\n\nStrictly Confidential",
        "Strictly Confidential",
    ),
    # A classification level after a classification key; "Internal" counts only there.
    ("Classification: Internal\nTranslate the following paragraph into Korean.", "Internal"),
    ("**Classification:** Internal", "Internal"),
    ("data classification: internal", "internal"),
    ("Sensitivity: Internal\nQ3 hiring plan", "Internal"),
    ("This deck is classified as Internal.", "Internal"),
    ("등급: Internal\n회의록", "Internal"),
    # One document at hand: a demonstrative points at it, or it is handed over.
    ("이 대외비 문서는 어떻게 요약하면 좋을까요?", "대외비"),
    ("대외비 문서를 요약해줘", "대외비"),
    ("대외비 문서는 아래와 같습니다.", "대외비"),
    ("대외비 자료는 첨부했는데 요약 가능한가요?", "대외비"),
    ("대외비 자료가 첨부돼 있는데 어떻게 요약하면 될까요?", "대외비"),
    # A marking and its caveat are one finding, not two.
    ("CONFIDENTIAL - do not distribute. Summarize the notes.", "CONFIDENTIAL - do not distribute"),
    ("극비 / 사외 유출 금지\n인수 검토", "극비 / 사외 유출 금지"),
]

NEGATIVES = [
    "기밀성과 무결성의 차이를 설명해줘",
    "기밀 유지 의무에 대해 설명해줘",
    "비밀 유지 계약서(NDA) 양식을 만들어줘",
    "비밀번호를 잊어버렸어요. 어떻게 재설정하나요?",
    "[비밀번호] 변경 안내 메일을 써줘",
    "그는 비밀리에 회의를 준비했다",
    "극비리에 진행된 협상에 대한 기사를 요약해줘",
    "영업비밀 침해 판례를 찾아줘",
    "대외비가 무슨 뜻이야?",
    "대외비란 무엇인가요?",
    "비밀 얘기 하나 해줄게",
    "대외비용 절감 방안을 정리해줘",
    "취급주의사항을 정리해줘",
    "What does confidential mean?",
    "What does CONFIDENTIAL mean in a legal context?",
    "Explain the principle of confidentiality in healthcare.",
    "The secret sauce of our growth is customer focus.",
    "Keep the secret_key out of the repository.",
    "SECRET_KEY = os.environ['SECRET_KEY']",
    "client.secret was rotated yesterday",
    "How should I handle confidential information at work?",
    "Can you explain what an NDA is?",
    "restricted access areas need badges",
    'The word "confidential" comes from Latin.',
    "Write a poem about a top secret treehouse.",
    "기밀이 뭐야?",
    "회사 기밀을 유지하는 방법을 교육 자료로 만들어줘",
    "사내 기밀 유출 사고를 막는 보안 정책을 제안해줘",
    "사내 기밀 유지 서약서를 써줘",
    "Our policy has four levels: public, internal, confidential and restricted.",
    "This endpoint is internal only, so skip auth in the example.",
    # A class of documents as the topic of a question is a concept use.
    "대외비 문서는 어떻게 관리하나요?",
    "대외비 문서의 보관 기간은 얼마인가요?",
    "기밀 자료는 어떻게 폐기하나요?",
    "사내한정 자료는 외부에 공유해도 되나요?",
    # "internal" anywhere but after a classification key is ordinary English.
    "Internal: fix the flaky retry test",
    "[Internal] the internal API returns 500",
    "log level: internal",
    "This class is marked internal in Kotlin.",
]


@pytest.mark.parametrize(("text", "marked"), POSITIVES)
def test_marking_reported(analyzer: AnalyzerEngine, text: str, marked: str) -> None:
    best = _best(analyzer, text)
    assert best is not None, text
    assert best.score >= 0.5, (text, best)
    assert text[best.start : best.end] == marked


@pytest.mark.parametrize("text", NEGATIVES)
def test_concept_not_reported(analyzer: AnalyzerEngine, text: str) -> None:
    best = _best(analyzer, text)
    assert best is None or best.score < 0.5, (text, best, best and text[best.start : best.end])


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("회사 기밀을 지켜야 한다는 내용의 교육 자료", 0.3),  # bare 기밀: informational only
        ("그건 비밀이야", 0.3),
        ("We signed an NDA last week.", 0.3),
    ],
)
def test_informational_score(analyzer: AnalyzerEngine, text: str, score: float) -> None:
    best = _best(analyzer, text)
    assert best is not None
    assert best.score == pytest.approx(score)


def test_tables_are_large_enough() -> None:
    assert len(POSITIVES) >= 25
    assert len(NEGATIVES) >= 20


def test_every_marking_in_a_text_is_reported(analyzer: AnalyzerEngine) -> None:
    text = "[대외비]\n본 문서는 극비입니다.\nCONFIDENTIAL - do not share"
    results = analyzer.analyze(text=text, language="en", entities=[ENTITY])
    found = sorted((text[r.start : r.end], r.score >= 0.5) for r in results)
    assert found == [("CONFIDENTIAL", True), ("극비", True), ("대외비", True)]


def test_a_marking_with_its_caveat_is_one_finding(analyzer: AnalyzerEngine) -> None:
    text = "STRICTLY CONFIDENTIAL - Do not distribute\nBoard minutes"
    results = analyzer.analyze(text=text, language="en", entities=[ENTITY])
    assert [(text[r.start : r.end], r.score) for r in results] == [
        ("STRICTLY CONFIDENTIAL - Do not distribute", 0.9)
    ]


def test_other_entities_are_not_answered() -> None:
    recognizer = ConfidentialMarkerRecognizer()
    assert recognizer.analyze("[대외비]", entities=["EMAIL_ADDRESS"]) == []
    assert recognizer.analyze("plain text without markings", entities=[ENTITY]) == []


def test_factories_expose_the_entity() -> None:
    recognizer = FACTORIES[ENTITY](supported_language="en")
    assert recognizer.supported_entities == [ENTITY]
