"""Usage from the audit log on SQLite and PostgreSQL: known records, known sums."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from zoneinfo import ZoneInfo

import orjson
import pytest

from gateway.audit import AuditFilter, AuditRecord
from gateway.audit.admin_event import ADMIN_DECISION
from gateway.audit.phases import COMPLETE
from gateway.audit.usage_report import parse_usage_dimensions, usage_report
from gateway.cli import main
from tests.audit.conftest import filled_store

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, 09:00 in Seoul
SEOUL = ZoneInfo("Asia/Seoul")


def rec(n: int, at: float, user: str | None, decision: str, **extra: object) -> AuditRecord:
    values: dict = {
        "record_id": f"r{n}", "time": at, "request_id": f"q{n}", "client_address": None,
        "user": user, "provider": "openai", "api": "chat", "model": "gpt-4o",
        "method": "POST", "path": "/v1/chat/completions", "decision": decision,
    }  # fmt: skip
    values.update(extra)
    return AuditRecord(**values)  # type: ignore[arg-type]


def done(n: int, at: float, user: str | None, usage: dict, cost: float | None, **extra: object):
    details = {"completes": f"r{n}", "outcome": "completed", "cost": {"currency": "USD"}}
    details["cost"]["amount"] = cost
    return rec(100 + n, at, user, COMPLETE, usage=usage, details=details, **extra)


ALICE = {"groups": ["eng", "seoul"]}
BOB = {"provider": "anthropic", "model": "claude-x"}
RECORDS = [
    # alice: two answered requests (one at 01:00 the next day in Seoul), one limited
    rec(1, T0, "alice", "allow", details={"phase": "open"}, **ALICE),
    done(1, T0 + 2, "alice", {"input_tokens": 100, "output_tokens": 50}, 0.00075, **ALICE),
    rec(2, T0 + 16 * 3600, "alice", "redact", details={"phase": "open"}, **ALICE),
    done(2, T0 + 16 * 3600 + 1, "alice", {"input_tokens": 10, "output_tokens": 5}, 0.000075,
         **ALICE),
    rec(3, T0 + 17 * 3600, "alice", "limited", status=429, rule_ids=["rpm"], **ALICE),
    # bob: an answer with no price, and a block
    rec(4, T0 + 60, "bob", "allow", details={"phase": "open"}, **BOB),
    done(4, T0 + 61, "bob", {"input_tokens": 200, "output_tokens": 100}, None, **BOB),
    rec(5, T0 + 120, "bob", "block", status=403, **BOB),
    # an admin action is not a request
    rec(6, T0 + 130, "root", ADMIN_DECISION),
]  # fmt: skip


@pytest.fixture
def store(store_url: str):
    with filled_store(store_url, RECORDS) as filled:
        yield filled


def test_by_user(store) -> None:
    rows = {r.keys["user"]: r.to_dict() for r in usage_report(store, AuditFilter(), ("user",))}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"] == {
        "keys": {"user": "alice"}, "requests": 3, "limited": 1, "blocked": 0,
        "input_tokens": 110, "output_tokens": 55, "cached_input_tokens": 0,
        "cost_usd": 0.000825, "unpriced": 0,
    }  # fmt: skip
    assert rows["bob"]["requests"] == 2 and rows["bob"]["blocked"] == 1
    assert rows["bob"]["input_tokens"] == 200 and rows["bob"]["cost_usd"] == 0
    assert rows["bob"]["unpriced"] == 1


def test_by_group_counts_each_group_and_the_groupless(store) -> None:
    rows = usage_report(store, AuditFilter(), ("group",))
    by = {r.keys["group"]: (r.requests, r.output_tokens) for r in rows}
    assert by == {"eng": (3, 55), "seoul": (3, 55), None: (2, 100)}


def test_by_provider_and_model(store) -> None:
    rows = usage_report(store, AuditFilter(), ("provider", "model"))
    by = {(r.keys["provider"], r.keys["model"]): r.input_tokens for r in rows}
    assert by == {("openai", "gpt-4o"): 110, ("anthropic", "claude-x"): 200}


def test_days_are_local(store) -> None:
    utc = usage_report(store, AuditFilter(), ("day",))
    assert [(r.keys["day"], r.requests) for r in utc] == [("2026-01-01", 5)]
    seoul = usage_report(store, AuditFilter(user="alice"), ("user", "day"), SEOUL)
    assert [(r.keys["day"], r.requests, r.input_tokens) for r in seoul] == [
        ("2026-01-01", 1, 100),
        ("2026-01-02", 2, 10),
    ]


def test_a_time_range_narrows(store) -> None:
    rows = usage_report(store, AuditFilter(start=T0 + 3600), ("user",))
    assert [(r.keys["user"], r.requests) for r in rows] == [("alice", 2)]


def test_dimensions_are_checked() -> None:
    assert parse_usage_dimensions("user, day") == ("user", "day")
    with pytest.raises(ValueError, match="choose from user, group, provider, model, day"):
        parse_usage_dimensions("decision")
    with pytest.raises(ValueError, match="distinct"):
        parse_usage_dimensions("user,user")


def test_cli_reports_the_same(store, store_url: str) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["usage", "--url", store_url, "--by", "user", "--json"]) == 0
    rows = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["keys"]["user"], r["requests"], r["cost_usd"]) for r in rows] == [
        ("alice", 3, 0.000825),
        ("bob", 2, 0.0),
    ]
    table = io.StringIO()
    with redirect_stdout(table):
        main(["usage", "--url", store_url, "--by", "provider,day", "--tz", "Asia/Seoul"])
    lines = table.getvalue().splitlines()
    assert lines[0].split()[:4] == ["provider", "day", "requests", "limited"]
    assert any(line.startswith("openai") and "2026-01-02" in line for line in lines)
