"""``/admin/v1/audit/export`` and ``/verify``, plus zones and totals, over a real store."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from gateway.admin import AdminAuth, build_admin_app, load_admin_tokens
from gateway.admin.audit import audit_router
from gateway.admin.audit_review import audit_review_router
from gateway.admin.journal import AdminJournal
from gateway.audit import AuditRecord
from gateway.audit.setup import configured_store, verify_keys
from gateway.audit.timezone import resolve_zone
from gateway.audit.witness import open_witness
from gateway.settings import AuditSettings

TOKEN = "s3cret-admin-token-0002"
AUTH = {"authorization": f"Bearer {TOKEN}"}
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=T0 + i * 3600.0, request_id=f"req-{i}", client_address=None,
        user="김민수" if i % 2 else "bob", provider="openai" if i % 3 else "deepseek", api="chat",
        model="gpt-4o", method="POST", path="/", decision="block" if i % 4 == 0 else "allow",
    )  # fmt: skip


@pytest.fixture
def trail(tmp_path: Path):
    settings = AuditSettings(
        url=f"sqlite:///{tmp_path / 'audit.db'}",
        signing_key_file=tmp_path / "keys" / "audit-signing.pem",
        checkpoint_every=8,
        timezone="Asia/Seoul",
    )
    store = configured_store(settings)
    store.start()

    async def fill() -> None:
        for i in range(48):
            store.append(make(i))
            if i % 4 == 3:
                await store.flush()

    asyncio.run(fill())
    zone = resolve_zone(settings.timezone)
    review = audit_review_router(
        store,
        public_keys=verify_keys(settings),
        witness=open_witness(settings.witness, settings.url),
        zone=zone,
    )
    tokens = load_admin_tokens(env="T", file=None, environ={"T": f"auditor:{TOKEN}"})
    app = build_admin_app(
        [audit_router(store, zone), review], AdminAuth(tokens), AdminJournal(store)
    )
    with TestClient(app) as client:
        yield client, tmp_path / "audit.db"
    store.close()


def test_verify_reports_an_intact_trail_then_names_a_deleted_tail(trail) -> None:
    http, database = trail
    body = http.get("/admin/v1/audit/verify", headers=AUTH).json()
    assert body["ok"] and body["records"] == 48 and body["checkpoints"] == 6
    assert body["witnessed"] == 6 and body["unwitnessed"] == 0 and body["problems"] == []
    conn = sqlite3.connect(database)
    with conn:
        conn.execute("DELETE FROM audit_records WHERE seq > 30")
        conn.execute("DELETE FROM audit_checkpoints WHERE seq > 30")
    conn.close()
    body = http.get("/admin/v1/audit/verify", headers=AUTH).json()
    assert not body["ok"]
    assert [(p["seq"], p["kind"]) for p in body["problems"]] == [(31, "tail_deleted")]


def test_export_csv_for_excel_in_the_configured_zone(trail) -> None:
    http, _ = trail
    reply = http.get("/admin/v1/audit/export", params={"user": "김민수"}, headers=AUTH)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert "haetae-audit.csv" in reply.headers["content-disposition"]
    assert reply.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert len(rows) == 24 and rows[0]["user"] == "김민수"
    assert (rows[0]["time"], rows[0]["utc_offset"]) == ("2026-01-01 10:00:00", "UTC+09:00")
    cp949 = http.get(
        "/admin/v1/audit/export",
        params={
            "encoding": "cp949",
            "tz": "UTC",
            "start": "2026-01-01T05:00",
            "end": "2026-01-01T08:00",
        },
        headers=AUTH,
    )
    assert cp949.status_code == 200 and cp949.headers["content-type"].endswith("cp949")
    rows = list(csv.DictReader(io.StringIO(cp949.content.decode("cp949"))))
    assert [r["seq"] for r in rows] == ["6", "7", "8"] and rows[0]["time"] == "2026-01-01 05:00:00"
    assert rows[0]["user"] == "김민수"  # Hangul is in CP949


def test_export_jsonl_is_every_record_as_stored(trail) -> None:
    http, _ = trail
    reply = http.get("/admin/v1/audit/export", params={"format": "jsonl"}, headers=AUTH)
    lines = [orjson.loads(line) for line in reply.content.splitlines()]
    assert [r["seq"] for r in lines] == list(range(1, 49)) and lines[0]["hash"]


def test_stats_cross_tab_in_the_zone_with_totals(trail) -> None:
    http, _ = trail
    body = http.get(
        "/admin/v1/audit/stats", params={"by": "user,provider", "per": "day"}, headers=AUTH
    ).json()
    assert body["by"] == "user,provider" and body["tz"] == "Asia/Seoul"
    assert {b["start"] for b in body["buckets"]} == {
        "2026-01-01T00:00:00+09:00", "2026-01-02T00:00:00+09:00", "2026-01-03T00:00:00+09:00",
    }  # fmt: skip
    assert body["total"] == 48 and sum(t["count"] for t in body["totals"]) == 48
    assert body["totals"][:2] == [
        {"keys": {"user": "bob", "provider": "openai"}, "count": 16},
        {"keys": {"user": "김민수", "provider": "openai"}, "count": 16},
    ]
    page = http.get("/admin/v1/audit", params={"total": "true", "limit": 1}, headers=AUTH).json()
    assert page["total"] == 48 and len(page["records"]) == 1


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/admin/v1/audit/export", {"format": "xlsx"}, "format must be 'csv'"),
        ("/admin/v1/audit/export", {"encoding": "euc-jp"}, "encoding must be one of"),
        ("/admin/v1/audit/export", {"tz": "Mars/Olympus"}, "tz: unknown time zone"),
        ("/admin/v1/audit/export", {"fingerprint": "xyz"}, "32 hex digits"),
        ("/admin/v1/audit/export", {"colour": "red"}, "unknown parameter 'colour'"),
        ("/admin/v1/audit/stats", {"by": "user,user"}, "distinct dimensions"),
        ("/admin/v1/audit", {"total": "yes"}, "total must be 'true'"),
        ("/admin/v1/audit/verify", {"deep": "1"}, "verify takes no parameters"),
    ],
)
def test_bad_parameters_are_400_with_a_sentence(trail, path, params, message) -> None:
    http, _ = trail
    reply = http.get(path, params=params, headers=AUTH)
    assert reply.status_code == 400, reply.text
    assert message in reply.json()["error"]["message"]


def test_review_endpoints_need_the_token(trail) -> None:
    http, _ = trail
    assert http.get("/admin/v1/audit/export").status_code == 401
    assert http.get("/admin/v1/audit/verify").status_code == 401
