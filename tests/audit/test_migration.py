"""A version 1 database opens under version 2: rows kept, read as version 1, chained."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from gateway.audit import AuditRecord, SQLiteAuditStore
from gateway.audit.sqlite import _V1, SCHEMA_VERSION
from gateway.audit.verify import verify_chain

V1_ROW = (
    "INSERT INTO audit_records (record_id, time, request_id, client_address, user, provider, api,"
    " model, method, path, decision, status, upstream_status, rule_ids, monitored_rule_ids,"
    " entities, policy_version, error, timings_ms) VALUES (?, ?, ?, NULL, 'alice', 'openai',"
    " 'chat', 'gpt-4o', 'POST', '/v1/chat/completions', ?, 200, 200, ?, '[]', ?, 'v1', NULL,"
    " '{\"total\": 1.5}')"
)


def make_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(_V1)
    conn.execute("PRAGMA user_version=1")
    with conn:
        conn.execute(V1_ROW, ("old-1", 100.0, "q1", "allow", "[]", "{}"))
        conn.execute(V1_ROW, ("old-2", 200.0, "q2", "block", '["pipa"]', '{"KR_RRN": 1}'))
    conn.close()


def test_version_1_rows_survive_are_chained_and_new_ones_follow(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    make_v1(path)
    store = SQLiteAuditStore(path)
    store.start()

    async def scenario() -> None:
        store.append(AuditRecord(
            record_id="new", time=300.0, request_id="q3", client_address=None, user="bob",
            provider="openai", api="chat", model=None, method="POST", path="/", decision="allow",
            groups=["eng"],
        ))  # fmt: skip
        await store.flush()

    asyncio.run(scenario())
    store.close()
    old1, old2, new = store.tail(10)
    assert (old1.record_id, old1.schema_version, old1.seq) == ("old-1", 1, 1)
    assert (old2.rule_ids, old2.entities, old2.timings_ms) == (
        ["pipa"],
        {"KR_RRN": 1},
        {"total": 1.5},
    )
    assert (new.schema_version, new.seq, new.groups, new.prev_hash) == (2, 3, ["eng"], old2.hash)
    assert verify_chain(store.iter_chain()).ok
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_a_reader_of_an_unmigrated_file_sees_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    make_v1(path)
    assert [r.record_id for r in SQLiteAuditStore(path).tail(5)] == ["old-1", "old-2"]
