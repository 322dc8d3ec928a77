"""DetectionEngine: generic entities, segment mapping, construction and offline behaviour."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gateway.detect as detect
from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine, Finding
from gateway.detect.recognizers import build_recognizers

ROOT = Path(__file__).resolve().parents[2]
RRN = "900101-1234568"  # checksum-valid
GITHUB = "ghp_" + "USZGi6HWGK10Zb0RLZ5TR9SPofbciO46Sm9V"


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine()


def _found(engine: DetectionEngine, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in engine.scan(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "홍길동의 메일은 gildong@example.co.kr 입니다",
            [("EMAIL_ADDRESS", "gildong@example.co.kr")],
        ),
        # A particle glued to the address is not part of the domain.
        ("gildong@example.co.kr로 보내 주세요", [("EMAIL_ADDRESS", "gildong@example.co.kr")]),
        ("이메일: a.b+tag@sub.example.com.", [("EMAIL_ADDRESS", "a.b+tag@sub.example.com")]),
        ("user@localhost 는 주소가 아님", []),
        ("build@host.notarealsuffix 도 아님", []),
        ("카드 4111 1111 1111 1111 로 결제", [("CREDIT_CARD", "4111 1111 1111 1111")]),
        ("카드번호는 4111-1111-1111-1111이고", [("CREDIT_CARD", "4111-1111-1111-1111")]),
        ("신용카드 5500000000000004입니다", [("CREDIT_CARD", "5500000000000004")]),
        ("카드 4111 1111 1111 1112 로 결제", []),  # fails Luhn
        ("합계 1234 5678 9012 3456 원", []),  # fails Luhn
    ],
)
def test_generic_entities(engine: DetectionEngine, text: str, expected: list) -> None:
    assert _found(engine, text) == expected


def test_mixed_korean_text_is_scanned_by_every_kind(engine: DetectionEngine) -> None:
    text = (
        f"고객 홍길동(주민번호 {RRN})의 메일은 gildong@example.co.kr이고 "
        f"카드는 4111111111111111, 배포 토큰은 {GITHUB}입니다."
    )
    findings = engine.scan(text)
    assert [f.entity_type for f in findings] == [
        "KR_RRN",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "SECRET_GITHUB_TOKEN",
    ]
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    assert all(isinstance(f, Finding) and f.recognizer for f in findings)


SEGMENT_CASES = [
    [f"system: 주민번호 {RRN}", "no pii here", f"mail gildong@example.co.kr, token {GITHUB}"],
    ["", f"{RRN}이고", ""],
    ["카드 4111 1111 1111 1111", "카드 4111 1111 1111 1111", "4111 1111 1111 1111"],
    ["-----BEGIN RSA PRIVATE KEY-----", "본문", "-----END RSA PRIVATE KEY-----"],
]


@pytest.mark.parametrize("segments", SEGMENT_CASES)
def test_scan_segments_matches_scanning_each_segment(
    engine: DetectionEngine, segments: list[str]
) -> None:
    assert engine.scan_segments(segments) == [engine.scan(s) for s in segments]


def test_scan_segments_maps_local_offsets(engine: DetectionEngine) -> None:
    segments = SEGMENT_CASES[0]
    result = engine.scan_segments(segments)
    assert [
        [(f.entity_type, segments[i][f.start : f.end]) for f in r] for i, r in enumerate(result)
    ] == [
        [("KR_RRN", RRN)],
        [],
        [("EMAIL_ADDRESS", "gildong@example.co.kr"), ("SECRET_GITHUB_TOKEN", GITHUB)],
    ]


@pytest.mark.parametrize(
    "segments",
    [
        ["900101-", "1234568"],  # RRN split across two messages
        ["900101", "-1234568"],
        ["카드 4111 1111", "1111 1111"],
        ["gildong@", "example.co.kr"],
        [GITHUB[:20], GITHUB[20:]],
    ],
)
def test_no_finding_spans_a_segment_boundary(engine: DetectionEngine, segments: list[str]) -> None:
    # the plain view never crosses; the joined view reports the value in two parts (half
    # a random token is still a bare token of its own: GENERIC_SECRET stays in its part)
    found = engine.scan_segments(segments, joined=False)
    assert [[f for f in part if f.entity_type != "GENERIC_SECRET"] for part in found] == [[], []]
    assert all(f.end <= len(text) for part, text in zip(found, segments, strict=True) for f in part)
    first, second = engine.scan_segments(segments)
    assert len(first) == len(second) == 1
    assert first[0].joined == second[0].joined != 0
    assert first[0].entity_type == second[0].entity_type
    whole = segments[0][first[0].start : first[0].end] + segments[1][: second[0].end]
    assert whole.replace(" ", "") in "".join(segments).replace(" ", "")
    assert first[0].end == len(segments[0]) and second[0].start == 0


def test_context_does_not_leak_between_segments(engine: DetectionEngine) -> None:
    bare = "2103154876540"  # date-valid, checksum-invalid, 13 digits
    [[], [alone]] = engine.scan_segments(["주민등록번호", bare])
    [together] = engine.scan(f"주민등록번호 {bare}")
    assert alone.score == pytest.approx(0.4)
    assert together.score == pytest.approx(0.75)


def test_scan_segments_empty_input_skips_presidio(
    engine: DetectionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> list:
        raise AssertionError("analyze must not be called")

    assert engine.analyzer is not None
    monkeypatch.setattr(engine.analyzer, "analyze", boom)
    assert engine.scan_segments([]) == []
    assert engine.scan_segments(["", ""]) == [[], []]
    assert engine.scan("") == []


def test_supported_entities() -> None:
    """Entity names are part of the policy interface: these must all exist."""
    assert DetectionEngine.supported_entities == SUPPORTED_ENTITIES
    assert {
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "PHONE_NUMBER",
        "KR_RRN",
        "KR_FRN",
        "KR_PASSPORT",
        "KR_DRIVER_LICENSE",
        "KR_BRN",
        "KR_CRN",
        "KR_BANK_ACCOUNT",
        "SECRET_AWS_ACCESS_KEY",
        "SECRET_AWS_SECRET_KEY",
        "SECRET_GITHUB_TOKEN",
        "SECRET_GITLAB_TOKEN",
        "SECRET_SLACK_TOKEN",
        "SECRET_SLACK_WEBHOOK",
        "SECRET_OPENAI_KEY",
        "SECRET_ANTHROPIC_KEY",
        "SECRET_GOOGLE_API_KEY",
        "SECRET_STRIPE_KEY",
        "SECRET_JWT",
        "SECRET_PRIVATE_KEY",
        "SECRET_DB_URL",
        "SECRET_AZURE_CONNECTION_STRING",
        "SECRET_GCP_SERVICE_ACCOUNT",
        "SECRET_NPM_TOKEN",
        "SECRET_HF_TOKEN",
        "SECRET_TELEGRAM_BOT_TOKEN",
        "SECRET_PASSWORD",
    } <= SUPPORTED_ENTITIES
    assert len({e for e in SUPPORTED_ENTITIES if e.startswith("SECRET_")}) >= 40
    assert set(detect.__all__) == {"DetectionEngine", "Finding", "SUPPORTED_ENTITIES"}


def test_only_requested_recognizers_are_built() -> None:
    engine = DetectionEngine(["EMAIL_ADDRESS", "KR_RRN"])
    assert engine.entities == {"EMAIL_ADDRESS", "KR_RRN"}
    assert engine.analyzer is not None
    assert len(list(engine.analyzer.registry.recognizers)) == 2
    assert engine.scan(f"gildong@example.co.kr {GITHUB} {RRN}")[-1].entity_type == "KR_RRN"
    # Every entity is reported by exactly one recognizer; the credential table serves
    # all of its entities from one instance.
    built = build_recognizers()
    served = {entity for recognizer in built for entity in recognizer.supported_entities}
    assert served == SUPPORTED_ENTITIES
    assert len(built) < len(SUPPORTED_ENTITIES)


def test_no_entities_means_no_analyzer() -> None:
    engine = DetectionEngine([])
    assert engine.analyzer is None
    assert engine.entities == frozenset()
    assert engine.scan(f"{RRN} gildong@example.co.kr") == []
    assert engine.scan_segments([RRN, GITHUB]) == [[], []]


@pytest.mark.parametrize(("entities", "threshold"), [(["NOT_AN_ENTITY"], 0.0), (None, 1.5)])
def test_bad_configuration_fails_fast(entities: list[str] | None, threshold: float) -> None:
    with pytest.raises(ValueError):
        DetectionEngine(entities, score_threshold=threshold)


def test_score_threshold_drops_weak_findings() -> None:
    text = "번호 2103154876540, 메일 gildong@example.co.kr"
    assert [f.entity_type for f in DetectionEngine(score_threshold=0.5).scan(text)] == [
        "EMAIL_ADDRESS"
    ]


def test_engine_builds_and_scans_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    engine = DetectionEngine()
    assert _found(engine, "메일은 gildong@example.co.kr 입니다") == [
        ("EMAIL_ADDRESS", "gildong@example.co.kr")
    ]
    assert attempts == []


# Fresh interpreters: the suffix list must be loaded from the bundled snapshot on first use,
# whichever of Presidio and gateway.detect is imported first.
_OFFLINE_SCRIPT = """
import socket, time
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args)
    raise OSError("network disabled by test")
socket.socket.connect = refuse
socket.getaddrinfo = refuse
started = time.perf_counter()
{first_import}
from gateway.detect import DetectionEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer
engine = DetectionEngine()
built = time.perf_counter() - started
found = [f.entity_type for f in engine.scan("메일은 gildong@example.co.kr 입니다")]
assert found == ["EMAIL_ADDRESS"], found
assert EmailRecognizer().validate_result("gildong@example.co.kr") is True
assert attempts == [], attempts
print(f"ok {{built:.2f}}")
"""


@pytest.mark.slow
@pytest.mark.parametrize("first_import", ["", "import presidio_analyzer"])
def test_offline_in_fresh_interpreter(first_import: str, tmp_path: Path) -> None:
    script = textwrap.dedent(_OFFLINE_SCRIPT.format(first_import=first_import))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def test_presidio_lemma_enhancer_is_blind_without_nlp() -> None:
    """Why WindowContextEnhancer exists: with NoOpNlpEngine the stock enhancer never boosts."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    from gateway.detect.offline import build_nlp_engine
    from gateway.detect.recognizers.kr import KrRrnRecognizer

    with pytest.warns(UserWarning, match="cannot use context words"):  # Presidio agrees
        stock = AnalyzerEngine(
            registry=RecognizerRegistry(
                recognizers=[KrRrnRecognizer()], supported_languages=["en"]
            ),
            nlp_engine=build_nlp_engine(),
            context_aware_enhancer=LemmaContextAwareEnhancer(),
        )
    [result] = stock.analyze("주민등록번호 2103154876540", language="en")
    assert result.score == pytest.approx(0.4)


@pytest.mark.parametrize(
    "text",
    [
        "a@example.com b@example.org",
        "메일:gildong@example.co.kr로, 또는 홍길동gildong@example.com\n끝",
        "x@y@example.com @ @@ user@sub.example.co.kr.",
        "(gildong@example.co.kr)\t<admin@example.net>",
    ],
)
def test_email_chunking_matches_full_text_scan(text: str) -> None:
    from presidio_analyzer import PatternRecognizer

    from gateway.detect.recognizers.generic import EmailAddressRecognizer

    recognizer = EmailAddressRecognizer()
    chunked = recognizer.analyze(text, ["EMAIL_ADDRESS"])
    full = PatternRecognizer.analyze(recognizer, text, ["EMAIL_ADDRESS"])
    assert sorted((r.start, r.end, r.score) for r in chunked) == sorted(
        (r.start, r.end, r.score) for r in full
    )
    assert chunked
