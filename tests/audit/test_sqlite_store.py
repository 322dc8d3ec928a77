"""The SQLite audit store: ordering, durability at flush, fail-closed health, lifecycle."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from gateway.audit import (
    AuditRecord,
    AuditStore,
    AuditStoreError,
    SQLiteAuditStore,
    open_audit_store,
)
from gateway.audit.sqlite import SCHEMA_VERSION


def make_record(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}",
        time=1_700_000_000.123456 + i,
        request_id=f"req-{i}",
        client_address="10.0.0.7" if i % 2 else None,
        user="alice" if i % 3 else None,
        provider="openai",
        api="chat",
        model="gpt-4o",
        method="POST",
        path="/v1/chat/completions",
        decision=("allow", "redact", "block", "error")[i % 4],
        status=200 if i % 4 != 2 else 403,
        upstream_status=200 if i % 4 != 2 else None,
        rule_ids=["pii.kr_rrn", "pii.email"] if i % 4 == 2 else [],
        monitored_rule_ids=["watch.card"] if i % 5 == 0 else [],
        entities={"KR_RRN": 1, "EMAIL_ADDRESS": i} if i % 4 else {},
        policy_version="v3",
        error="ConnectError" if i % 4 == 3 else None,
        timings_ms={"detect": 0.1 + i / 7, "total": 1.0 / 3 + i},
    )


def read_ids(path: Path) -> list[str]:
    """Read through a connection the store knows nothing about."""
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT record_id FROM audit_records ORDER BY seq")]
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path):
    s = SQLiteAuditStore(tmp_path / "audit" / "audit.db")
    s.start()
    yield s
    s.close()


def test_append_many_from_loop_then_flush_round_trips_in_order(store: SQLiteAuditStore) -> None:
    records = [make_record(i) for i in range(1_234)]

    async def scenario() -> None:
        for r in records:
            store.append(r)
        await store.flush()

    asyncio.run(scenario())
    assert store.tail(10_000) == records
    assert store.tail(3) == records[-3:]
    assert store.tail(0) == []
    assert store.healthy and store.last_error is None


def test_flush_returns_only_once_another_connection_can_read(store: SQLiteAuditStore) -> None:
    async def scenario() -> None:
        for i in range(5):
            store.append(make_record(i))
            await store.flush()
            assert read_ids(Path(store.path))[-1] == f"rec-{i}"

    asyncio.run(scenario())


def test_schema_is_wal_versioned_and_indexed(store: SQLiteAuditStore) -> None:
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(audit_records)")}
    finally:
        conn.close()
    assert {"audit_records_time", "audit_records_request_id", "audit_records_user_time"} <= indexes


def test_none_fields_are_stored_as_sql_null_and_a_required_one_is_refused(
    tmp_path: Path,
) -> None:
    """None binds as NULL (the writer registers an adapter for it), so ``IS NULL`` filters
    find it; a record missing a field the table requires is still refused, not defaulted."""
    store = SQLiteAuditStore(tmp_path / "audit.db")
    store.append_now(make_record(0))  # user, client_address and error are None
    conn = sqlite3.connect(store.path)
    try:
        kinds = conn.execute(
            'SELECT typeof("user"), typeof(client_address), typeof(error), typeof(usage), '
            "typeof(status) FROM audit_records"
        ).fetchone()
    finally:
        conn.close()
    assert kinds == ("null", "null", "null", "null", "integer")
    broken = make_record(1)
    broken.method = None  # type: ignore[assignment]
    with pytest.raises(sqlite3.IntegrityError):
        store.append_now(broken)


def test_append_does_no_io_on_the_caller(store: SQLiteAuditStore, monkeypatch) -> None:
    """With the writer held inside a write, appends still return and nothing lands yet."""
    entered, release = threading.Event(), threading.Event()
    real_write = store._write_batch

    def held_write(records: list[AuditRecord]) -> None:
        entered.set()
        assert release.wait(30)
        real_write(records)

    monkeypatch.setattr(store, "_write_batch", held_write)
    store.append(make_record(0))
    assert entered.wait(10)  # the writer is now stuck inside the first batch
    for i in range(1, 2_000):
        store.append(make_record(i))  # would hang here if append touched the writer's path
    assert read_ids(Path(store.path)) == []
    release.set()
    asyncio.run(store.flush(timeout=30))
    assert read_ids(Path(store.path)) == [f"rec-{i}" for i in range(2_000)]


def test_flush_times_out_while_the_writer_is_stuck(store: SQLiteAuditStore, monkeypatch) -> None:
    release = threading.Event()
    real_write = store._write_batch

    def held_write(records: list[AuditRecord]) -> None:
        release.wait(30)
        real_write(records)

    monkeypatch.setattr(store, "_write_batch", held_write)
    store.append(make_record(0))
    with pytest.raises(TimeoutError):
        asyncio.run(store.flush(timeout=0.05))
    release.set()
    asyncio.run(store.flush())
    assert [r.record_id for r in store.tail(5)] == ["rec-0"]


def test_start_raises_when_the_parent_is_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    s = SQLiteAuditStore(blocker / "audit.db")
    with pytest.raises(AuditStoreError, match="cannot open audit database"):
        s.start()
    assert not s.healthy
    s.close()


def test_a_later_write_failure_turns_unhealthy_and_fails_flush(store: SQLiteAuditStore) -> None:
    asyncio.run(_append_and_flush(store, 0))
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TABLE audit_records")
    conn.close()
    store.append(make_record(1))
    with pytest.raises(AuditStoreError, match="audit write failed"):
        asyncio.run(store.flush())
    assert not store.healthy
    assert store.last_error == "OperationalError:SQLITE_ERROR"
    assert "rec-1" not in store.last_error
    with pytest.raises(AuditStoreError):  # sticky: a lost record is never forgotten
        asyncio.run(store.flush())


def test_a_locked_database_is_retried_then_fails(tmp_path: Path) -> None:
    s = SQLiteAuditStore(tmp_path / "a.db", busy_timeout=0.01, busy_retries=2, retry_delay=0.01)
    s.start()
    blocker = sqlite3.connect(s.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        s.append(make_record(0))
        with pytest.raises(AuditStoreError):
            asyncio.run(s.flush(timeout=30))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert not s.healthy
    assert s.last_error is not None and s.last_error.startswith("OperationalError:SQLITE_BUSY")
    assert s.dropped == 1
    s.close()


def test_a_transient_lock_is_retried(store: SQLiteAuditStore, monkeypatch) -> None:
    real_write, calls = store._write_batch, []

    def busy_once(records: list[AuditRecord]) -> None:
        calls.append(len(records))
        if len(calls) == 1:
            exc = sqlite3.OperationalError("database is locked")
            exc.sqlite_errorname = "SQLITE_BUSY"  # type: ignore[attr-defined]
            raise exc
        real_write(records)

    monkeypatch.setattr(store, "_write_batch", busy_once)
    asyncio.run(_append_and_flush(store, 0))
    assert len(calls) == 2 and store.healthy
    assert [r.record_id for r in store.tail(5)] == ["rec-0"]


def test_close_is_idempotent_bounded_and_writes_what_is_queued(tmp_path: Path) -> None:
    s = SQLiteAuditStore(tmp_path / "a.db", close_timeout=5)
    s.start()
    for i in range(50):
        s.append(make_record(i))
    s.close()
    s.close()
    assert not s.healthy
    assert read_ids(tmp_path / "a.db") == [f"rec-{i}" for i in range(50)]
    s.append(make_record(99))  # after close: dropped, never raises
    assert s.dropped == 1
    with pytest.raises(AuditStoreError, match="closed"):
        asyncio.run(s.flush())
    assert len(s.tail(100)) == 50  # still readable for `haetae audit tail`


def test_close_returns_even_if_the_writer_is_stuck(tmp_path: Path, monkeypatch) -> None:
    s = SQLiteAuditStore(tmp_path / "a.db", close_timeout=0.05)
    s.start()
    release = threading.Event()
    monkeypatch.setattr(s, "_write_batch", lambda records: release.wait(30))
    s.append(make_record(0))
    s.close()  # returns after ~close_timeout, not after 30 s
    release.set()


def test_not_started_is_unhealthy_and_refuses_flush(tmp_path: Path) -> None:
    s = SQLiteAuditStore(tmp_path / "a.db")
    assert not s.healthy
    with pytest.raises(AuditStoreError, match="not started"):
        asyncio.run(s.flush())
    assert s.tail(10) == []  # no file yet, and tail doesn't create one
    assert not (tmp_path / "a.db").exists()


def test_a_full_backlog_fails_closed(tmp_path: Path) -> None:
    s = SQLiteAuditStore(tmp_path / "a.db", max_pending=3)  # not started: nothing drains
    for i in range(5):
        s.append(make_record(i))
    assert s.last_error == "BacklogFull" and s.dropped == 2


def test_reopening_keeps_earlier_records(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    for i in range(2):
        s = SQLiteAuditStore(path)
        s.start()
        asyncio.run(_append_and_flush(s, i))
        s.close()
    assert read_ids(path) == ["rec-0", "rec-1"]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(AuditStoreError, match=f"schema version {SCHEMA_VERSION + 1}"):
        SQLiteAuditStore(path).start()


def test_open_audit_store_urls(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rel = open_audit_store("sqlite:///data/rel.db")
    absolute = open_audit_store(f"sqlite:///{tmp_path}/abs/abs.db")
    assert isinstance(rel, SQLiteAuditStore) and isinstance(rel, AuditStore)
    assert rel.path == "data/rel.db"
    assert isinstance(absolute, SQLiteAuditStore) and absolute.path == f"{tmp_path}/abs/abs.db"
    for s in (rel, absolute):
        s.start()
        asyncio.run(_append_and_flush(s, 7))
        s.close()
    assert read_ids(tmp_path / "data" / "rel.db") == ["rec-7"]
    assert read_ids(tmp_path / "abs" / "abs.db") == ["rec-7"]


def test_in_memory_store(monkeypatch) -> None:
    s = open_audit_store("sqlite://:memory:")
    s.start()
    asyncio.run(_append_and_flush(s, 3))
    (stored,) = s.tail(5)
    assert (stored.seq, stored.prev_hash) == (1, "0" * 64)
    stored.seq = stored.prev_hash = stored.hash = None
    assert stored == make_record(3)
    s.close()


@pytest.mark.parametrize("url", ["mysql://user:secret@db/x", "nourl", "sqlite://"])
def test_unsupported_urls_name_the_schemes_and_hide_the_url(url: str) -> None:
    with pytest.raises(ValueError, match=r"sqlite:///") as info:
        open_audit_store(url)
    assert "secret" not in str(info.value)
    if "://" in url and not url.startswith("sqlite"):
        assert "postgresql" in str(info.value).lower()


async def _append_and_flush(store: AuditStore, i: int) -> None:
    store.append(make_record(i))
    await store.flush()
