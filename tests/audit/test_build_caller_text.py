"""build_record: the path, the model and locations never carry what the caller chose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.audit.build import build_record
from gateway.detect import SUPPORTED_ENTITIES, Finding
from gateway.exchange import Exchange
from gateway.policy import load_policy
from gateway.providers.dialect import Segment

ROOT = Path(__file__).resolve().parents[2]
RRN = "900101-1234568"


async def _receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


def _exchange(path: str) -> Exchange:
    policy = load_policy(ROOT / "policies" / "default.yaml", SUPPORTED_ENTITIES)
    return Exchange("q1", "POST", path, b"", [], None, _receive, policy)


def test_a_path_refused_before_it_was_scanned_keeps_only_word_like_segments() -> None:
    exchange = _exchange(f"/openai/v1/{RRN}/x/kim.minsu@example.com/gemini-2.0-flash:generate")
    exchange.upstream_path = exchange.path.removeprefix("/openai")
    exchange.model = f"gpt-4o {RRN}"  # read, but never scanned
    record = build_record(exchange, "error", 400, "invalid_request")
    assert record.path == "/v1/*/x/*/gemini-2.0-flash:generate"
    assert record.model is None


def test_an_unrouted_path_is_masked_too() -> None:
    record = build_record(_exchange(f"/{RRN}/v1/chat"), "error", 404, "unknown_provider")
    assert record.path == "/*/v1/chat"


def test_a_scanned_path_and_model_are_recorded_as_they_are_or_with_findings_replaced() -> None:
    exchange = _exchange("/openai/v1/chat/completions")
    exchange.upstream_path = "/v1/chat/completions"
    exchange.model = "gpt-4o"
    exchange.scanned = True
    record = build_record(exchange, "allow", 200, None)
    assert (record.path, record.model) == ("/v1/chat/completions", "gpt-4o")
    exchange.audit_path, exchange.audit_model = "/v1/<KR_RRN>/chat", "gpt-4o <KR_RRN>"
    record = build_record(exchange, "block", 403, None)
    assert (record.path, record.model) == ("/v1/<KR_RRN>/chat", "gpt-4o <KR_RRN>")


def test_a_plain_key_in_which_something_was_found_is_not_written() -> None:
    exchange = _exchange("/openai/v1/chat/completions")
    exchange.scanned = True
    exchange.segments = [
        Segment(("metadata", "KimMinsu"), "KimMinsu", "key", free_from=1),
        Segment(("metadata", "KimMinsu"), "call 010-1234-5678", free_from=1),
        Segment(("metadata", "note"), "call 010-1234-5678", free_from=1),
    ]
    exchange.findings = [
        [Finding("PERSON", 0, 8, 0.85, "name")],
        [Finding("PHONE_NUMBER", 5, 18, 0.9, "phone")],
        [Finding("PHONE_NUMBER", 5, 18, 0.9, "phone")],
    ]
    record = build_record(exchange, "block", 403, None)
    assert [(f.entity_type, f.location) for f in record.findings] == [
        ("PERSON", "metadata.*"),
        ("PHONE_NUMBER", "metadata.*"),
        ("PHONE_NUMBER", "metadata.note"),
    ]
