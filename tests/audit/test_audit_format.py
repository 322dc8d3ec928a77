"""The `haetae audit tail` line: every useful field, and nothing but record fields."""

from __future__ import annotations

from gateway.audit import AuditRecord, format_record_line


def record(**overrides: object) -> AuditRecord:
    values: dict[str, object] = {
        "record_id": "rec-1",
        "time": 1_700_000_000.5,
        "request_id": "req-42",
        "client_address": "10.1.2.3",
        "user": None,
        "provider": "openai",
        "api": "chat",
        "model": "gpt-4o",
        "method": "POST",
        "path": "/v1/chat/completions",
        "decision": "block",
        "status": 403,
        "rule_ids": ["pii.kr_rrn", "pii.email"],
        "entities": {"KR_RRN": 1, "EMAIL_ADDRESS": 2},
        "timings_ms": {"detect": 3.21, "total": 12.345},
    }
    values.update(overrides)
    return AuditRecord(**values)  # type: ignore[arg-type]


def test_line_has_every_field_in_order() -> None:
    line = format_record_line(record())
    assert line == (
        "2023-11-14T22:13:20.500Z  block   403  openai/chat/gpt-4o  rules=pii.kr_rrn,pii.email"
        "  KR_RRN×1 EMAIL_ADDRESS×2  client=10.1.2.3  req=req-42  12.3ms"
    )


def test_decisions_are_padded_to_one_width() -> None:
    status_columns = {
        format_record_line(record(decision=d)).index(" 403 ")
        for d in ("allow", "redact", "block", "error")
    }
    assert len(status_columns) == 1


def test_missing_values_show_as_dashes() -> None:
    empty: dict[str, object] = {"status": None, "provider": None, "api": None, "model": None}
    empty |= {"client_address": None, "rule_ids": [], "entities": {}, "timings_ms": {}}
    line = format_record_line(record(**empty))
    assert "  -  -/-/-  rules=-  client=-  req=req-42  -" in line
    assert "×" not in line


def test_what_was_found_in_the_answer_follows_answer() -> None:
    answer = {"response": {"action": "mask", "entities": {"CREDIT_CARD": 1}}}
    line = format_record_line(record(decision="allow", details=answer))
    assert "  answer=mask CREDIT_CARD×1  " in line
    assert "answer=" not in format_record_line(record())


def test_optional_fields_appear_only_when_set() -> None:
    line = format_record_line(
        record(decision="error", user="bob", error="ConnectError", monitored_rule_ids=["w.card"])
    )
    assert "user=bob" in line and "error=ConnectError" in line and "monitored=w.card" in line
    plain = format_record_line(record())
    assert "user=" not in plain and "error=" not in plain and "monitored=" not in plain


def test_line_holds_only_record_fields() -> None:
    """The path, method, record id, policy version and upstream status stay out; no raw text."""
    line = format_record_line(record(policy_version="v9", upstream_status=502))
    for absent in ("/v1/chat/completions", "POST", "rec-1", "v9", "502", "3.21"):
        assert absent not in line


def test_control_characters_cannot_break_the_line() -> None:
    line = format_record_line(record(user="eve\n\x1b[31mforged", model="m\tx"))
    assert "\n" not in line and "\x1b" not in line and "\t" not in line
    assert "user=eve\\n\\x1b[31mforged" in line and "/m\\tx" in line
