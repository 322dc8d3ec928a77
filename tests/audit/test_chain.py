"""Tamper evidence: each kind of edit made straight to the SQLite file is found, and where."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit import AuditRecord, SQLiteAuditStore
from gateway.audit.chain import GENESIS, CheckpointSigner, record_hash
from gateway.audit.verify import verify_chain
from tests.support.polling import wait_for

KEY = Ed25519PrivateKey.generate()


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=1_700_000_000.0 + i, request_id=f"req-{i}",
        client_address="10.0.0.1", user=f"user{i % 3}", provider="openai", api="chat",
        model="gpt-4o", method="POST", path="/v1/chat/completions",
        decision="block" if i % 5 == 0 else "allow", entities={"KR_RRN": 1} if i % 5 == 0 else {},
    )  # fmt: skip


def write(path: Path, count: int, *, every: int = 4, start: int = 0) -> SQLiteAuditStore:
    signer = CheckpointSigner(KEY, every=every, interval=3600)
    store = SQLiteAuditStore(path, signer=signer, batch_size=1)

    async def scenario() -> None:
        for i in range(start, start + count):
            store.append(make(i))
            await store.flush()  # one batch per record: checkpoints land at known places

    store.start()
    asyncio.run(scenario())
    store.close()
    return store


def verify(store: SQLiteAuditStore, key=KEY):
    return verify_chain(store.iter_chain(), store.checkpoints(), key.public_key() if key else None)


def sql(path: Path, statement: str, *params: object) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(statement, params)
    conn.close()


@pytest.fixture
def store(tmp_path: Path) -> SQLiteAuditStore:
    return write(tmp_path / "a.db", 10)


def kinds(report) -> list[tuple[int | None, str]]:
    return [(p.seq, p.kind) for p in report.problems]


def test_an_untouched_chain_verifies_with_its_checkpoints(store) -> None:
    report = verify(store)
    assert report.ok and report.records == 10 and (report.first_seq, report.last_seq) == (1, 10)
    # every 4 records, and the tail when the writer closed
    assert report.checkpoints == 3 and report.last_checkpoint_seq == 10 and report.unanchored == 0
    first, second = store.tail(10)[:2]
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    assert first.hash == record_hash(first)


def test_a_modified_record_is_named(store) -> None:
    sql(Path(store.path), "UPDATE audit_records SET decision = 'error' WHERE seq = 5")
    assert kinds(verify(store)) == [(5, "modified")]


def test_a_deleted_record_is_named(store) -> None:
    sql(Path(store.path), "DELETE FROM audit_records WHERE seq = 6")
    assert kinds(verify(store)) == [(7, "missing")]
    assert "6 are gone" in str(verify(store).problems[0])


def test_an_inserted_record_with_a_valid_hash_breaks_the_next_link(store) -> None:
    """The forger renumbers what follows and hashes the new record properly."""
    path = Path(store.path)
    sql(path, "UPDATE audit_records SET seq = seq + 1000 WHERE seq > 4")
    sql(path, "UPDATE audit_records SET seq = seq - 999 WHERE seq > 1000")
    forged = make(99)
    forged.seq, forged.prev_hash = 5, store.tail(10)[3].hash
    forged.hash = record_hash(forged)
    store._open()
    store._executemany(store._conn, store._insert, [store._to_row(forged)])
    store._close_backend()
    problems = kinds(verify(store))
    assert (6, "modified") in problems  # the next record's number changed under its hash


def test_reordered_records_are_found(store) -> None:
    path = Path(store.path)
    sql(path, "UPDATE audit_records SET seq = 100 WHERE seq = 3")
    sql(path, "UPDATE audit_records SET seq = 3 WHERE seq = 4")
    sql(path, "UPDATE audit_records SET seq = 4 WHERE seq = 100")
    assert {3, 4} <= {seq for seq, _ in kinds(verify(store))}


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoints(store) -> None:
    """Someone with write access edits a record and recomputes every hash after it."""
    records = store.tail(10)
    records[2].decision = "error"
    last = records[1].hash
    for record in records[2:]:
        record.prev_hash = last
        record.hash = last = record_hash(record)
    path = Path(store.path)
    for record in records[2:]:
        sql(path, "UPDATE audit_records SET decision = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            record.decision, record.prev_hash, record.hash, record.seq)  # fmt: skip
    assert verify(store, key=None).ok  # the chain alone now looks whole...
    assert kinds(verify(store)) == [(4, "checkpoint"), (8, "checkpoint"), (10, "checkpoint")]


def test_a_forged_checkpoint_signature_is_rejected(store) -> None:
    sql(Path(store.path), "UPDATE audit_checkpoints SET hash = ? WHERE seq = 4", "00" * 32)
    assert kinds(verify(store)) == [(4, "checkpoint")]
    other = Ed25519PrivateKey.generate()
    assert kinds(verify(store, key=other)) == [
        (4, "checkpoint"),
        (8, "checkpoint"),
        (10, "checkpoint"),
    ]


def test_a_truncated_tail_up_to_a_checkpoint_is_found(store) -> None:
    sql(Path(store.path), "DELETE FROM audit_records WHERE seq >= 8")
    assert kinds(verify(store)) == [(8, "checkpoint"), (10, "checkpoint")]


def test_a_deleted_prefix_needs_a_purge_record(store) -> None:
    sql(Path(store.path), "DELETE FROM audit_records WHERE seq <= 3")
    assert kinds(verify(store)) == [(4, "missing")]


def test_a_purge_keeps_the_chain_verifiable_and_is_itself_recorded(store) -> None:
    result = store.purge(1_700_000_000.0 + 5, actor="auditor")
    assert (result.deleted, result.through_seq) == (5, 5)
    records = store.tail(100)
    assert [r.seq for r in records] == [6, 7, 8, 9, 10, 11]
    purge = records[-1]
    assert (purge.decision, purge.user) == ("purge", "auditor")
    assert purge.details is not None and purge.details["through_seq"] == 5
    assert verify(store).ok
    write(Path(store.path), 2, start=20)  # writing carries on after the purge record
    assert verify(store).ok and store.tail(1)[0].seq == 13


def test_writers_in_two_stores_share_one_chain(tmp_path: Path) -> None:
    """Two gateway processes on one file: BEGIN IMMEDIATE serializes their batches."""
    path = tmp_path / "shared.db"
    one, two = SQLiteAuditStore(path), SQLiteAuditStore(path)
    one.start()
    two.start()

    async def scenario() -> None:
        for i in range(200):
            (one if i % 2 else two).append(make(i))
        await asyncio.gather(one.flush(), two.flush())

    asyncio.run(scenario())
    one.close()
    two.close()
    report = verify(one, key=None)
    assert report.ok and report.records == 200


def test_a_quiet_tail_is_signed_once_the_interval_is_up(tmp_path: Path) -> None:
    store = SQLiteAuditStore(
        tmp_path / "a.db", signer=CheckpointSigner(KEY, every=1000, interval=0.1)
    )
    store.start()

    async def scenario() -> None:
        for i in range(3):
            store.append(make(i))
        await store.flush()

    asyncio.run(scenario())
    wait_for(store.checkpoints, 10.0)
    store.close()
    assert [c.seq for c in store.checkpoints()] == [3]
    assert verify(store).unanchored == 0
