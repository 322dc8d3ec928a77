"""Never lose a record: a store that is down fills the spool, which replays when it is back."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gateway.audit import AuditRecord, AuditStoreError, SQLiteAuditStore, open_audit_store
from gateway.audit.postgres import split_schema
from gateway.audit.spool import Spool
from gateway.audit.verify import verify_chain
from tests.support.polling import wait_for
from tests.support.services import closed_port


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=1_700_000_000.0 + i, request_id=f"req-{i}",
        client_address=None, user="alice", provider="openai", api="chat", model=None,
        method="POST", path="/", decision="allow",
    )  # fmt: skip


def append_and_flush(store, numbers) -> None:
    async def scenario() -> None:
        for i in numbers:
            store.append(make(i))
        await store.flush()

    asyncio.run(scenario())


def disk_error(records: list[AuditRecord]) -> None:
    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorname = "SQLITE_IOERR"  # type: ignore[attr-defined]
    raise exc


def test_a_failing_store_spools_then_replays_in_order(tmp_path: Path, monkeypatch) -> None:
    spool = tmp_path / "spool.jsonl"
    store = SQLiteAuditStore(tmp_path / "a.db", spool=str(spool), replay_interval=0.05)
    store.start()
    append_and_flush(store, range(3))
    real_write = store._write_batch
    monkeypatch.setattr(store, "_write_batch", disk_error)
    append_and_flush(store, range(3, 8))  # flush succeeds: the records are fsync'd in the spool
    assert store.healthy and store.spool_depth == 5
    assert store.last_error == "OperationalError:SQLITE_IOERR"
    assert len(spool.read_text().splitlines()) == 5
    assert [r.record_id for r in store.tail(20)] == [f"rec-{i}" for i in range(3)]
    monkeypatch.setattr(store, "_write_batch", real_write)
    append_and_flush(store, range(8, 10))  # arrives while the spool is still waiting
    wait_for(lambda: store.spool_depth == 0)
    assert [r.record_id for r in store.tail(20)] == [f"rec-{i}" for i in range(10)]
    assert not spool.exists() and store.last_error is None
    assert verify_chain(store.iter_chain()).ok
    store.close()


def test_when_the_spool_fails_too_the_store_turns_unhealthy(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = SQLiteAuditStore(tmp_path / "a.db", spool=str(blocker / "spool.jsonl"))
    store.start()
    monkeypatch.setattr(store, "_write_batch", disk_error)
    store.append(make(0))
    with pytest.raises(AuditStoreError, match="SpoolFailed"):
        asyncio.run(store.flush())
    assert not store.healthy and store.dropped == 1
    store.close()


def test_a_replay_after_a_crash_does_not_duplicate(tmp_path: Path) -> None:
    """The store took a spooled batch but the spool was not yet cleared when we died."""
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append([make(0), make(1)])
    store = SQLiteAuditStore(tmp_path / "a.db", spool=str(spool.path), replay_interval=0.01)
    store.start()
    append_and_flush(store, [])  # nothing new; the writer replays on its first pass
    wait_for(lambda: store.spool_depth == 0)
    store.close()
    again = Spool(tmp_path / "spool.jsonl")
    again.append([make(1), make(2)])  # rec-1 is already stored
    store = SQLiteAuditStore(tmp_path / "a.db", spool=str(again.path), replay_interval=0.01)
    store.start()
    wait_for(lambda: store.spool_depth == 0)
    store.close()
    assert [r.record_id for r in store.tail(10)] == ["rec-0", "rec-1", "rec-2"]


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append([make(0)])
    with spool.path.open("ab") as out:
        out.write(b'{"record_id": "half')
    assert [r.record_id for batch in spool.batches(10) for r in batch] == ["rec-0"]


def test_postgres_down_at_start_spools_and_replays_when_back(tmp_path: Path, postgres_url) -> None:
    server = urlsplit(postgres_url).netloc.rpartition("@")[2]  # host:port of the live server
    down = postgres_url.replace(server, f"127.0.0.1:{closed_port()}", 1)  # refused
    store = open_audit_store(down, spool=str(tmp_path / "spool.jsonl"))
    store._replay_interval = 0.05
    store._connect_timeout = 1.0
    store.start()
    assert store.healthy and store.last_error is not None
    append_and_flush(store, range(4))
    assert store.spool_depth == 4
    # The server "comes back": point the store at the reachable address.
    store._conninfo = split_schema(postgres_url)[0]
    wait_for(lambda: store.spool_depth == 0)
    append_and_flush(store, [4])
    assert [r.record_id for r in store.tail(10)] == [f"rec-{i}" for i in range(5)]
    assert store.last_error is None
    store.close()


def test_workers_sharing_a_spool_lose_and_repeat_nothing(tmp_path: Path, monkeypatch) -> None:
    """Two gateway processes on one database and one spool; either may replay it."""
    spool = str(tmp_path / "spool.jsonl")
    one, two = (
        SQLiteAuditStore(tmp_path / "a.db", spool=spool, replay_interval=0.05) for _ in range(2)
    )
    for store in (one, two):
        store.start()
        monkeypatch.setattr(store, "_write_batch", disk_error)
    append_and_flush(one, range(0, 5))
    append_and_flush(two, range(5, 10))
    monkeypatch.undo()  # both stores are back
    wait_for(lambda: one.spool_depth == 0 and two.spool_depth == 0)
    one.close()
    two.close()
    assert sorted(r.record_id for r in one.tail(50)) == sorted(f"rec-{i}" for i in range(10))
    assert verify_chain(one.iter_chain()).ok
