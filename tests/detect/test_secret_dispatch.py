"""The secret kinds behind one recognizer (``secrets/dispatch.py``) answer as they did
registered one by one: same results, scores, context boosts, names and explanations."""

from __future__ import annotations

import pytest
from presidio_analyzer import (
    AnalyzerEngine,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts

from gateway.detect import DetectionEngine
from gateway.detect.context import WindowContextEnhancer
from gateway.detect.engine import SCAN_LANGUAGE
from gateway.detect.offline import build_nlp_engine
from gateway.detect.recognizers import build_recognizers
from gateway.detect.recognizers.secrets import TABLE_ENTITIES
from gateway.detect.recognizers.secrets.dispatch import SecretKinds
from gateway.detect.rejections import collecting
from tests.detect.test_secret_catalogue import AZURE_AD, GITHUB, POSITIVES

_NAME_KEY = RecognizerResult.RECOGNIZER_NAME_KEY

TEXTS = [
    *(text.replace("{v}", value) for _, text, value in POSITIVES),
    # context words lift a kind's score (Azure AD's 0.7 to 1.0 beside client_secret)
    f"client_secret: {AZURE_AD}",
    f"value {AZURE_AD} here",
    # documented examples, placeholders and bad checksums: dropped, with a reason
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "token ghp_" + "x" * 36,
    GITHUB[:-1] + ("A" if GITHUB[-1] != "A" else "B"),
    "password=changeme and api_key=YOUR_API_KEY_GOES_HERE_123",
    # several kinds in one text, and one kind twice
    f"GITHUB_TOKEN={GITHUB}\nclient_secret={AZURE_AD}\nagain {GITHUB}",
    "이번 분기 판매 실적을 요약해 주세요. Please list three risks.",
]


def _analyzer(recognizers: list) -> AnalyzerEngine:
    """Presidio's own engine, every recognizer registered on its own."""
    return AnalyzerEngine(
        registry=RecognizerRegistry(recognizers=recognizers, supported_languages=[SCAN_LANGUAGE]),
        nlp_engine=build_nlp_engine(),
        supported_languages=[SCAN_LANGUAGE],
        context_aware_enhancer=WindowContextEnhancer(),
    )


def _observed(analyzer: AnalyzerEngine, text: str) -> tuple[list[tuple[object, ...]], list[str]]:
    with collecting() as notes:
        results = analyzer.analyze(
            text=text, language=SCAN_LANGUAGE, score_threshold=0.0, return_decision_process=True
        )
    seen = [
        (
            r.entity_type,
            r.start,
            r.end,
            r.score,
            (r.recognition_metadata or {}).get(_NAME_KEY),
            r.analysis_explanation.to_dict() if r.analysis_explanation else None,
        )
        for r in results
    ]
    return sorted(seen, key=repr), sorted(map(repr, notes))


@pytest.mark.parametrize(
    "entities",
    [None, ["SECRET_GITHUB_TOKEN", "SECRET_AZURE_AD_CLIENT_SECRET", "SECRET_PASSWORD"]],
    ids=["every kind", "three kinds"],
)
def test_dispatched_kinds_answer_as_registered_one_by_one(entities: list[str] | None) -> None:
    secrets = [
        r
        for r in build_recognizers(entities)
        if all(e.startswith("SECRET_") for e in r.supported_entities)
    ]
    one_by_one = _analyzer(secrets)
    engine = DetectionEngine(entities=sorted({e for r in secrets for e in r.supported_entities}))
    assert engine.analyzer is not None
    registered = list(engine.analyzer.registry.recognizers)
    assert [type(r) for r in registered] == [SecretKinds]
    for text in TEXTS:
        assert _observed(engine.analyzer, text) == _observed(one_by_one, text), text


def test_context_words_of_a_kind_behind_the_dispatcher_still_count() -> None:
    engine = DetectionEngine()
    near, far = (engine.scan(f"client_secret: {AZURE_AD}"), engine.scan(f"value {AZURE_AD} x"))
    assert [(f.entity_type, f.score, f.recognizer) for f in near] == [
        ("SECRET_AZURE_AD_CLIENT_SECRET", 1.0, "AzureAdClientSecretRecognizer")
    ]
    assert [f.score for f in far] == [0.7]


def test_only_kinds_whose_words_occur_are_run(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = DetectionEngine([*sorted(TABLE_ENTITIES)[:3], "SECRET_GITHUB_TOKEN", "SECRET_JWT"])
    assert engine.analyzer is not None
    (kinds,) = engine.analyzer.registry.recognizers
    assert isinstance(kinds, SecretKinds)
    ran: list[str] = []
    for kind in kinds.members:
        original = kind.analyze

        def spy(*args: object, _name: str = kind.name, _run: object = original) -> object:
            ran.append(_name)
            return _run(*args)  # type: ignore[operator]

        monkeypatch.setattr(kind, "analyze", spy)
    engine.scan("nothing secret here, 회의는 3시입니다")
    assert ran == []
    assert [f.recognizer for f in engine.scan(f"token {GITHUB}")] == ["GitHubTokenRecognizer"]
    assert ran == ["GitHubTokenRecognizer"]


def test_a_lone_kind_stays_registered_on_its_own() -> None:
    engine = DetectionEngine(["SECRET_GITHUB_TOKEN", "EMAIL_ADDRESS"])
    assert engine.analyzer is not None
    names = [type(r).__name__ for r in engine.analyzer.registry.recognizers]
    assert names == ["EmailAddressRecognizer", "GitHubTokenRecognizer"]
    assert engine.entities == {"SECRET_GITHUB_TOKEN", "EMAIL_ADDRESS"}


class _SelfBoosting(PatternRecognizer):
    """A policy's own recognizer that rescores its results itself (Presidio's hook)."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PROJECT_CODE",
            patterns=[Pattern("project code", r"PRJ-\d{4}", 0.3)],
            global_regex_flags=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        others = {r.entity_type for r in other_raw_recognizer_results}
        for result in raw_recognizer_results:
            result.score = 0.9 if "SECRET_GITHUB_TOKEN" in others else 0.6
        return raw_recognizer_results


def test_a_recognizer_that_rescores_its_own_results_still_does() -> None:
    engine = DetectionEngine(extra_recognizers=[_SelfBoosting()])
    found = {(f.entity_type, f.score) for f in engine.scan(f"PRJ-1234 uses {GITHUB}")}
    assert found == {("PROJECT_CODE", 0.9), ("SECRET_GITHUB_TOKEN", 1.0)}
    assert [(f.entity_type, f.score) for f in engine.scan("PRJ-1234")] == [("PROJECT_CODE", 0.6)]
