"""Policy term lists (DictionaryRecognizer): words, hosts under a domain, addresses in a range."""

from __future__ import annotations

import pytest
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

from gateway.detect.context import WindowContextEnhancer
from gateway.detect.offline import build_nlp_engine
from gateway.detect.recognizers.dictionary import DictionaryRecognizer

TERMS = [
    "Phoenix",
    "Acme",
    "Acme Corp",
    "한빛전자",
    "Straße",
    "*.corp.example.com",
    "10.20.0.0/16",
    "192.168.7.0/24",
    "",
    "   ",
]


def _found(recognizer: DictionaryRecognizer, text: str) -> list[str]:
    results = recognizer.analyze(text, entities=[recognizer.entity])
    return [text[r.start : r.end] for r in sorted(results, key=lambda r: r.start)]


@pytest.fixture(scope="module")
def projects() -> DictionaryRecognizer:
    return DictionaryRecognizer("PROJECT_NAME", TERMS)


@pytest.fixture(scope="module")
def analyzer(projects: DictionaryRecognizer) -> AnalyzerEngine:
    return AnalyzerEngine(
        registry=RecognizerRegistry(recognizers=[projects], supported_languages=["en"]),
        nlp_engine=build_nlp_engine(),
        supported_languages=["en"],
        context_aware_enhancer=WindowContextEnhancer(),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project Phoenix, due Friday", ["Phoenix"]),
        ("Phoenix팀 회의는 내일", ["Phoenix"]),
        ("PHOENIX and phoenix", ["PHOENIX", "phoenix"]),
        ("Phoenixville is a town", []),
        ("the phoenix2 build", []),
        ("RePhoenix", []),
        ("(Phoenix)", ["Phoenix"]),
        ("Acme Corp signed", ["Acme Corp"]),  # leftmost-longest
        ("Acme's offer", ["Acme"]),
        ("Acmes", []),
    ],
)
def test_ascii_terms_match_whole_words(
    projects: DictionaryRecognizer, text: str, expected: list[str]
) -> None:
    assert _found(projects, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("한빛전자와 계약했다", ["한빛전자"]),
        ("한빛전자는", ["한빛전자"]),
        ("㈜한빛전자의 견적", ["한빛전자"]),
        ("한빛전 자", []),
    ],
)
def test_korean_terms_match_with_particles(
    projects: DictionaryRecognizer, text: str, expected: list[str]
) -> None:
    assert _found(projects, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clone git.corp.example.com/repo", ["git.corp.example.com"]),
        ("a.b.corp.example.com에서 배포", ["a.b.corp.example.com"]),
        ("https://WIKI.Corp.Example.com/page", ["WIKI.Corp.Example.com"]),
        ("see ci.corp.example.com.", ["ci.corp.example.com"]),
        ("corp.example.com", []),
        ("notcorp.example.com", []),
        ("x.corp.example.com.evil.org", []),
        ("x.corp.example.community", []),
        ("mail bob@mx.corp.example.com", ["mx.corp.example.com"]),
    ],
)
def test_domain_globs(projects: DictionaryRecognizer, text: str, expected: list[str]) -> None:
    assert _found(projects, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("host 10.20.3.4 is down", ["10.20.3.4"]),
        ("10.20.255.255.", ["10.20.255.255"]),
        ("서버 192.168.7.12에 접속", ["192.168.7.12"]),
        ("10.21.0.1 and 192.168.8.1", []),
        ("version 1.10.20.3.4", []),
        ("10.20.3.45678", []),
        ("010.20.1.1", []),
        ("10.20.1.256", []),
    ],
)
def test_cidr_ranges(projects: DictionaryRecognizer, text: str, expected: list[str]) -> None:
    assert _found(projects, text) == expected


def test_case_sensitive_terms() -> None:
    recognizer = DictionaryRecognizer(
        "CODE_NAME", ["Apollo", "*.Corp.Example.com"], case_sensitive=True
    )
    assert _found(recognizer, "Apollo apollo APOLLO") == ["Apollo"]
    # Host names stay case-insensitive even then.
    assert _found(recognizer, "GIT.CORP.EXAMPLE.COM") == ["GIT.CORP.EXAMPLE.COM"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STRASSE", ["STRASSE"]),  # casefolded "strasse"
        ("ß Straße und STRASSE", ["Straße", "STRASSE"]),
        ("ﬀ Straße", ["Straße"]),  # "ﬀ" expands to "ff" before the hit
        ("Ｐｈｏｅｎｉｘ 보고", ["Ｐｈｏｅｎｉｘ"]),  # fullwidth, NFKC
        ("ﬁ ﬁ Phoenix", ["Phoenix"]),
        ("e\u0301 Phoenix", ["Phoenix"]),  # composes to one character
        ("😀Phoenix😀", ["Phoenix"]),
    ],
)
def test_offsets_index_the_original_text(
    projects: DictionaryRecognizer, text: str, expected: list[str]
) -> None:
    assert _found(projects, text) == expected


def test_composed_and_decomposed_forms_match() -> None:
    recognizer = DictionaryRecognizer("CUSTOMER", ["Café Noir"])
    text = "at Cafe\u0301 Noir today"
    assert _found(recognizer, text) == ["Cafe\u0301 Noir"]


def test_analyzer_engine_path(analyzer: AnalyzerEngine) -> None:
    text = "Phoenix 배포: git.corp.example.com (10.20.1.9)"
    results = analyzer.analyze(text=text, language="en", entities=["PROJECT_NAME"])
    assert sorted((text[r.start : r.end], r.score) for r in results) == [
        ("10.20.1.9", 0.9),
        ("Phoenix", 0.9),
        ("git.corp.example.com", 0.9),
    ]


def test_other_entities_are_not_answered(projects: DictionaryRecognizer) -> None:
    assert projects.analyze("Phoenix", entities=["EMAIL_ADDRESS"]) == []
    assert projects.analyze("", entities=[]) == []


def test_counts(projects: DictionaryRecognizer) -> None:
    assert (projects.term_count, projects.domain_count, projects.network_count) == (5, 1, 2)


@pytest.mark.parametrize("entity", ["project", "1PROJECT", "PROJECT-NAME", "", "PROJ ECT"])
def test_entity_name_is_validated(entity: str) -> None:
    with pytest.raises(ValueError, match="entity name"):
        DictionaryRecognizer(entity, ["x"])


@pytest.mark.parametrize("term", ["corp.*.com", "*corp.example.com", "*.", "2001:db8::/32"])
def test_unsupported_patterns_are_rejected(term: str) -> None:
    with pytest.raises(ValueError):
        DictionaryRecognizer("HOSTS", [term])


@pytest.mark.parametrize("score", [0.0, -0.1, 1.5])
def test_score_is_validated(score: float) -> None:
    with pytest.raises(ValueError, match="score"):
        DictionaryRecognizer("HOSTS", ["x"], score=score)


def test_hundred_thousand_terms() -> None:
    """Correctness with a realistic list size (speed is measured in the module docstring)."""
    ascii_terms = [f"proj{i:05d}" for i in range(50_000)]
    korean_terms = [f"고객{i:05d}사" for i in range(49_000)]
    globs = [f"*.site{i}.example.net" for i in range(500)]
    ranges = [f"10.{i}.0.0/16" for i in range(250)] + [f"172.16.{i}.0/24" for i in range(250)]
    recognizer = DictionaryRecognizer(
        "CUSTOMER", [*ascii_terms, *korean_terms, *globs, *ranges], score=0.8
    )
    assert recognizer.term_count == 99_000
    text = (
        "proj49999 and proj00000x, 고객12345사와 고객99999사; "
        "api.site499.example.net vs api.site500.example.net; "
        "10.249.1.1 10.250.1.1 172.16.249.9 172.16.250.9 PROJ00042"
    )
    assert _found(recognizer, text) == [
        "proj49999",
        "고객12345사",
        "api.site499.example.net",
        "10.249.1.1",
        "172.16.249.9",
        "PROJ00042",
    ]
    results = recognizer.analyze(text, entities=["CUSTOMER"])
    assert {r.score for r in results} == {0.8}
