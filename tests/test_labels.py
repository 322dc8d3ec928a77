"""Caller-chosen labels: what the record may hold of a path, an application, a method."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.audit.build import build_record
from gateway.detect import SUPPORTED_ENTITIES, DetectionEngine, Finding
from gateway.exchange import Exchange
from gateway.identity import Subject
from gateway.labels import LabelScan, application_name, masked, plain, recorded_method
from gateway.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
RRN = "900101-1234568"
AWS_KEY = "AKIAZ3MSK2PLQW7RTX4N"
GITHUB = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW11ySowm"
POLICY = load_policy(ROOT / "policies" / "default.yaml", SUPPORTED_ENTITIES)


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    return DetectionEngine(sorted(POLICY.scanned_entities))


async def _receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


def _exchange(path: str, *headers: tuple[bytes, bytes]) -> Exchange:
    """An exchange as Identify leaves it: labels named, the application taken raw."""
    exchange = Exchange("q1", "POST", path, b"", list(headers), None, _receive, POLICY)
    exchange.label_headers = (b"x-haetae-client", b"user-agent")
    raw = dict(headers)
    exchange.subject = Subject(
        application=application_name(raw.get(b"x-haetae-client"), raw.get(b"user-agent"))
    )
    return exchange


@pytest.mark.parametrize(
    ("label", "kept"),
    [
        ("v1", True),
        ("v1beta", True),
        ("chat", True),
        ("gemini-2.0-flash:generateContent", True),
        ("streamGenerateContent", True),
        ("openai-python", True),
        ("<KR_RRN>", True),  # what a scan left
        ("x<SECRET_GITHUB_TOKEN>y", True),
        (RRN, False),  # three digits in a row
        (AWS_KEY, False),  # twelve letters and digits, with digits
        (GITHUB, False),
        ("sk-proj-Qm9vTHeakTest7fa1c2b3", False),
        ("a" * 24, False),  # a run no word has
        ("kim.minsu@example.com", False),  # not word-like at all
        ("x" * 65, False),
        ("", False),
    ],
)
def test_what_is_plain_enough_to_record_unscanned(label: str, kept: bool) -> None:
    assert plain(label) is kept


def test_findings_are_replaced_by_their_entity_overlaps_merged() -> None:
    findings = [
        Finding("KR_RRN", 5, 19, 0.9, "rrn"),
        Finding("PHONE_NUMBER", 7, 12, 0.5, "phone"),  # inside the first
        Finding("EMAIL_ADDRESS", 20, 29, 0.9, "email"),
    ]
    text = "curl " + RRN + " a@b.co.kr!"
    assert text[20:29] == "a@b.co.kr"
    assert masked(text, findings) == "curl <KR_RRN> <EMAIL_ADDRESS>!"


@pytest.mark.parametrize(
    ("method", "recorded"),
    [("POST", "POST"), ("GET", "GET"), ("PROPFIND", "_OTHER"), (AWS_KEY, "_OTHER")],
)
def test_methods_outside_the_standard_ones_are_other(method: str, recorded: str) -> None:
    assert recorded_method(method) == recorded


def test_an_application_name_keeps_a_placeholder_as_it_is() -> None:
    assert application_name("<KR_RRN>", None) == "<KR_RRN>"
    assert application_name(None, "My-Tool<SECRET_AWS_ACCESS_KEY>/1.0") == (
        "my-tool<SECRET_AWS_ACCESS_KEY>"
    )
    assert application_name(None, "OpenAI/Python 1.52.0 <KR_RRN>") == "openai-python"


def test_a_refused_request_s_labels_are_scanned_before_its_record(engine) -> None:
    exchange = _exchange(
        f"/nope/{GITHUB}/v1/{RRN}",
        (b"user-agent", f"curl/8.5 {RRN}".encode()),
        (b"x-haetae-client", AWS_KEY.encode()),
    )
    LabelScan(engine)(exchange)
    record = build_record(exchange, "error", 404, "unknown_provider")
    assert record.path == "/nope/<SECRET_GITHUB_TOKEN>/v1/<KR_RRN>"
    assert record.client_application == "<SECRET_AWS_ACCESS_KEY>"
    assert record.method == "POST"


def test_a_user_agent_is_named_from_its_masked_text(engine) -> None:
    exchange = _exchange("/nope", (b"user-agent", RRN.encode()))
    LabelScan(engine)(exchange)
    assert build_record(exchange, "error", 404, None).client_application == "<KR_RRN>"
    sdk = _exchange("/nope", (b"user-agent", f"OpenAI/Python 1.52.0 {RRN}".encode()))
    LabelScan(engine)(sdk)
    assert build_record(sdk, "error", 404, None).client_application == "openai-python"


def test_what_the_policy_does_not_scan_for_is_still_not_recorded_when_token_shaped() -> None:
    nothing = DetectionEngine([])  # a policy that looks for no entity at all
    exchange = _exchange(f"/openai/v1/{GITHUB}/files", (b"x-haetae-client", AWS_KEY.encode()))
    exchange.upstream_path = f"/v1/{GITHUB}/files"
    LabelScan(nothing)(exchange)
    record = build_record(exchange, "block", 403, None)
    assert (record.path, record.client_application) == ("/v1/*/files", "*")


def test_a_label_scan_that_fails_leaves_only_what_is_safe_unscanned() -> None:
    class Broken:
        def scan_segments(self, texts: list[str]) -> list[list[Finding]]:
            raise RuntimeError(f"cannot scan {texts}")

    exchange = _exchange(f"/nope/{RRN}/v1", (b"user-agent", b"curl/8.5"))
    LabelScan(Broken())(exchange)  # type: ignore[arg-type]
    record = build_record(exchange, "error", 404, "unknown_provider")
    assert (record.path, record.client_application) == ("/nope/*/v1", None)


def test_a_long_label_is_scanned_only_as_far_as_it_is_recorded(engine) -> None:
    exchange = _exchange("/nope/" + "a/" * 5000 + RRN, (b"user-agent", b"x" * 100_000))
    LabelScan(engine)(exchange)
    record = build_record(exchange, "error", 404, None)
    assert len(record.path) <= 513 and RRN not in record.path
    assert record.client_application == "*"  # 64 x's: a run no word has


def test_a_label_s_findings_are_remembered_per_engine_within_a_bound(engine) -> None:
    class Counting(DetectionEngine):
        scans = 0

        def scan_segments(self, texts, language=None, **options):  # type: ignore[no-untyped-def]
            Counting.scans += len(texts)
            return super().scan_segments(texts, language, **options)

    counting = Counting(sorted(POLICY.scanned_entities))
    labels = LabelScan(counting)
    first = labels.findings(counting, [f"curl/8.5 {RRN}", "OpenAI/Python 1.52.0"])
    again = labels.findings(counting, [f"curl/8.5 {RRN}", "OpenAI/Python 1.52.0"])
    assert Counting.scans == 2 and first == again
    assert [f.entity_type for f in again[0]] == ["KR_RRN"] and again[1] == []
    again[0].clear()  # a caller's copy: the remembered findings stay whole
    assert labels.findings(counting, [f"curl/8.5 {RRN}"])[0] != []
    labels.findings(engine, [f"curl/8.5 {RRN}"])  # another policy's engine starts afresh
    labels.findings(counting, [f"curl/8.5 {RRN}"])
    assert Counting.scans == 3
    for index in range(1100):  # invented labels do not grow the memory
        labels.findings(counting, [f"tool-{index}"])
    assert len(labels._known) <= 1024
    labels.findings(counting, ["x" * 300, "x" * 300])  # long labels are not remembered
    assert "x" * 300 not in labels._known
