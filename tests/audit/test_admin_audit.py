"""``/admin/v1/audit`` and ``/admin/v1/audit/stats`` over a real store, behind the token."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.admin import AdminAuth, build_admin_app, load_admin_tokens
from gateway.admin.audit import audit_router
from gateway.admin.journal import AdminJournal
from gateway.audit import AuditRecord, SQLiteAuditStore

TOKEN = "s3cret-admin-token-0001"
AUTH = {"authorization": f"Bearer {TOKEN}"}
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=T0 + i * 600.0, request_id=f"req-{i}", client_address=None,
        user="alice" if i % 2 else "bob", provider="openai", api="chat", model="gpt-4o",
        method="POST", path="/", decision="block" if i % 3 == 0 else "allow",
        rule_ids=["pipa-resident-number"] if i % 3 == 0 else [],
        details={"response": {"action": "mask", "entities": {"KR_RRN": 1}}} if i % 5 == 0 else None,
    )  # fmt: skip


@pytest.fixture
def http(tmp_path: Path):
    store = SQLiteAuditStore(tmp_path / "a.db")
    store.start()

    async def fill() -> None:
        for i in range(30):
            store.append(make(i))
        await store.flush()

    asyncio.run(fill())
    tokens = load_admin_tokens(env="T", file=None, environ={"T": f"auditor:{TOKEN}"})
    app = build_admin_app([audit_router(store)], AdminAuth(tokens), AdminJournal(store))
    with TestClient(app) as client:
        yield client
    store.close()


def test_search_filters_and_pages(http) -> None:
    reply = http.get("/admin/v1/audit", params={"user": "alice", "limit": 5}, headers=AUTH)
    assert reply.status_code == 200
    body = reply.json()
    assert [r["record_id"] for r in body["records"]] == [f"rec-{i}" for i in (29, 27, 25, 23, 21)]
    assert body["records"][0]["hash"] and body["records"][0]["schema_version"] == 2
    params = {"user": "alice", "limit": 5, "cursor": body["next_cursor"]}
    more = http.get("/admin/v1/audit", params=params, headers=AUTH).json()
    assert more["records"][0]["record_id"] == "rec-19"


def test_search_by_time_rule_and_order(http) -> None:
    params = {
        "start": "2026-01-01T01:00:00Z", "end": "2026-01-01T03:00:00Z",
        "rule": "pipa-resident-number", "order": "asc",
    }  # fmt: skip
    records = http.get("/admin/v1/audit", params=params, headers=AUTH).json()["records"]
    assert [r["record_id"] for r in records] == ["rec-6", "rec-9", "rec-12", "rec-15"]


def test_findings_in_answers_are_searched_and_counted(http) -> None:
    params = {"entity": "KR_RRN", "direction": "response", "limit": 100}
    records = http.get("/admin/v1/audit", params=params, headers=AUTH).json()["records"]
    assert [r["record_id"] for r in records] == [f"rec-{i}" for i in (25, 20, 15, 10, 5, 0)]
    params = {"by": "answer_action", "per": "day"}
    buckets = http.get("/admin/v1/audit/stats", params=params, headers=AUTH).json()["buckets"]
    assert [(b["key"], b["count"]) for b in buckets] == [("mask", 6)]


def test_stats_per_hour(http) -> None:
    reply = http.get(
        "/admin/v1/audit/stats", params={"by": "decision", "per": "hour"}, headers=AUTH
    )
    buckets = reply.json()["buckets"]
    assert buckets[:2] == [
        {"start": "2026-01-01T00:00:00Z", "key": "allow", "keys": {"decision": "allow"},
         "count": 4},
        {"start": "2026-01-01T00:00:00Z", "key": "block", "keys": {"decision": "block"},
         "count": 2},
    ]  # fmt: skip
    assert sum(b["count"] for b in buckets) == 30


def test_stats_top_keeps_the_largest_values_of_the_first_dimension(http) -> None:
    params = {"by": "user,decision", "per": "day"}
    every = http.get("/admin/v1/audit/stats", params=params, headers=AUTH).json()
    top = http.get("/admin/v1/audit/stats", params=params | {"top": "1"}, headers=AUTH).json()
    assert every["values"] == top["values"] == 2
    assert {b["keys"]["user"] for b in every["buckets"]} == {"alice", "bob"}
    assert {b["keys"]["user"] for b in top["buckets"]} == {"alice"}  # 15 each: by name
    assert top["totals"] == [t for t in every["totals"] if t["keys"]["user"] == "alice"]
    assert top["total"] == every["total"] == 30
    search = http.get("/admin/v1/audit", params={"total": "true"}, headers=AUTH).json()
    assert search["total"] == 30


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/admin/v1/audit", {"limit": "0"}, "limit must be a whole number"),
        ("/admin/v1/audit", {"start": "last tuesday"}, "start: 'last tuesday' is not a time"),
        ("/admin/v1/audit", {"cursor": "zzz"}, "cursor is not one this API returned"),
        ("/admin/v1/audit", {"usr": "alice"}, "unknown parameter 'usr'"),
        ("/admin/v1/audit", {"order": "up"}, "order must be"),
        ("/admin/v1/audit/stats", {"by": "colour"}, "by must be one of"),
        ("/admin/v1/audit/stats", {"per": "week"}, "per must be one of hour, day"),
        ("/admin/v1/audit/stats", {"top": "0"}, "top must be a whole number from 1"),
        ("/admin/v1/audit", {"direction": "sideways"}, "direction must be one of"),
    ],
)
def test_bad_parameters_are_400_with_a_sentence(http, path, params, message) -> None:
    reply = http.get(path, params=params, headers=AUTH)
    assert reply.status_code == 400
    assert message in reply.json()["error"]["message"]


def test_the_audit_log_needs_the_token(http) -> None:
    assert http.get("/admin/v1/audit").status_code == 401


def test_stats_top_counts_pairs_of_the_top_values_only(tmp_path: Path) -> None:
    """``top`` over user × provider: the users counted first, then the pairs of the top
    ones; a record without a user is a value like any other, and the total stays whole."""
    store = SQLiteAuditStore(tmp_path / "top.db")
    store.start()
    owners = ["carol"] * 3 + ["dave"] * 2 + [None]
    providers = ["openai", "anthropic", "openai", "openai", "gemini", "openai"]

    async def fill() -> None:
        for i, (user, provider) in enumerate(zip(owners, providers, strict=True)):
            record = make(i)
            record.user, record.provider = user, provider
            store.append(record)
        await store.flush()

    asyncio.run(fill())
    tokens = load_admin_tokens(env="T", file=None, environ={"T": f"auditor:{TOKEN}"})
    app = build_admin_app([audit_router(store)], AdminAuth(tokens), AdminJournal(store))
    params = {"by": "user,provider", "per": "all"}
    with TestClient(app) as client:
        two = client.get("/admin/v1/audit/stats", params=params | {"top": "2"}, headers=AUTH)
        three = client.get("/admin/v1/audit/stats", params=params | {"top": "3"}, headers=AUTH)
    store.close()
    cells = {(b["keys"]["user"], b["keys"]["provider"]): b["count"] for b in two.json()["buckets"]}
    assert cells == {
        ("carol", "openai"): 2, ("carol", "anthropic"): 1,
        ("dave", "openai"): 1, ("dave", "gemini"): 1,
    }  # fmt: skip
    assert two.json()["values"] == 3 and two.json()["total"] == 6
    assert {b["keys"]["user"] for b in three.json()["buckets"]} == {"carol", "dave", None}
