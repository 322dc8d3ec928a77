"""Tampering a database administrator can do without the signing key, caught by the witness.

Each case is done straight to a real SQLite file and a real PostgreSQL schema,
with the settings a default deployment has: a signing key made at start-up and
checkpoints copied to a witness file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.audit import AuditRecord
from gateway.audit.chain import chain_records, encode_entry, load_public_key
from gateway.audit.setup import configured_store
from gateway.audit.signing_key import public_key_path
from gateway.audit.sqlstore import SQLAuditStore
from gateway.audit.verify import VerifyReport, verify_chain
from gateway.audit.verify_store import StoreVerification
from gateway.audit.witness import FileWitness, open_witness
from gateway.settings import AuditSettings


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=1_767_225_600.0 + i, request_id=f"req-{i}",
        client_address="10.0.0.1", user=f"user{i % 3}", provider="openai", api="chat",
        model="gpt-4o", method="POST", path="/v1/chat/completions",
        decision="block" if i % 7 == 0 else "allow", entities={"KR_RRN": 1} if i % 7 == 0 else {},
    )  # fmt: skip


def write(store: SQLAuditStore, start: int, count: int) -> None:
    async def scenario() -> None:
        for i in range(start, start + count):
            store.append(make(i))
            if i % 5 == 4:
                await store.flush()
        await store.flush()

    asyncio.run(scenario())


@dataclass
class Trail:
    url: str
    settings: AuditSettings
    store: SQLAuditStore
    witness: FileWitness

    def verify(self, *, witness: bool = True) -> VerifyReport:
        assert self.settings.signing_key_file is not None
        key = load_public_key(public_key_path(self.settings.signing_key_file))
        entries = self.witness.entries() if witness else None
        return verify_chain(
            self.store.iter_chain(), self.store.checkpoints(), key, witnessed=entries
        )

    def sql(self, statement: str, *params: object) -> None:
        if self.url.startswith("sqlite:///"):
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            with conn:
                conn.execute(statement, params)
            conn.close()
            return
        import psycopg

        from gateway.audit.postgres import split_schema

        base, schema = split_schema(self.url)
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            conn.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]

    def rehash_from(self, seq: int, edit: object) -> None:
        """Rewrite records from ``seq`` on with ``edit`` and recompute the chain, as a DBA can."""
        records = [r for r in self.store.iter_chain() if (r.seq or 0) >= seq]
        before = next(r for r in self.store.iter_chain() if r.seq == seq - 1)
        for record in records:
            edit(record)  # type: ignore[operator]
        assert before.seq is not None and before.hash is not None
        chain_records(records, before.seq, before.hash)
        for record in records:
            self.sql(
                "UPDATE audit_records SET decision = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                record.decision, record.prev_hash, record.hash, record.seq,
            )  # fmt: skip


@pytest.fixture
def trail(store_url: str, tmp_path: Path) -> Trail:
    """100 records, checkpoints signed every 10 and witnessed in a file."""
    witness_file = tmp_path / "witness" / "audit.witness"
    settings, store = written(store_url, tmp_path, f"file:{witness_file}", 100)
    return Trail(store_url, settings, store, FileWitness(witness_file))


def written(
    url: str, tmp_path: Path, witness: str, records: int
) -> tuple[AuditSettings, SQLAuditStore]:
    """A trail of ``records``, signed every 10 with a key made in ``tmp_path``, witnessed."""
    settings = AuditSettings(
        url=url,
        signing_key_file=tmp_path / "keys" / "audit-signing.pem",
        witness=witness,
        checkpoint_every=10,
        checkpoint_seconds=3600,
    )
    store = configured_store(settings)
    store.start()
    write(store, 0, records)
    store.close()
    return settings, store


def kinds(report: VerifyReport) -> list[tuple[int | None, str]]:
    return [(p.seq, p.kind) for p in report.problems]


def test_an_untouched_trail_matches_its_witness(trail: Trail) -> None:
    report = trail.verify()
    assert report.ok, report.problems
    assert report.checkpoints == 10 and report.witnessed == 10
    assert report.last_witnessed_seq == 100 and report.unwitnessed == 0


def test_deleting_the_tail_with_its_checkpoints_is_named(trail: Trail) -> None:
    trail.sql("DELETE FROM audit_records WHERE seq > 65")
    trail.sql("DELETE FROM audit_checkpoints WHERE seq > 65")
    assert trail.verify(witness=False).ok  # the store alone still looks whole
    report = trail.verify()
    assert kinds(report) == [(66, "tail_deleted")]
    assert "records 66–100 were deleted together with their checkpoints" in str(report.problems[0])


def test_truncation_is_named(trail: Trail) -> None:
    trail.sql("DELETE FROM audit_records WHERE seq > 90")
    report = trail.verify()
    assert (91, "truncated") in kinds(report)
    trail.sql("DELETE FROM audit_records")
    trail.sql("DELETE FROM audit_checkpoints")
    report = trail.verify()
    assert kinds(report) == [(None, "truncated")]
    assert "the store holds no records, but the witness saw seq 100" in str(report.problems[0])


def test_a_block_rewritten_into_an_allow_and_rehashed_is_named(trail: Trail) -> None:
    def allow(record: AuditRecord) -> None:
        if record.seq == 43:
            assert record.decision == "block"
            record.decision = "allow"

    trail.rehash_from(43, allow)
    trail.sql("DELETE FROM audit_checkpoints WHERE seq >= 43")  # they would no longer match
    assert trail.verify(witness=False).ok
    report = trail.verify()
    assert kinds(report) == [(50, "rewritten")]
    assert "6 witnessed checkpoint(s) from seq 50 on do not match" in report.problems[0].message


def test_every_block_edited_and_the_whole_chain_rehashed_is_named(trail: Trail) -> None:
    def allow(record: AuditRecord) -> None:
        record.decision = "allow"

    trail.rehash_from(2, allow)
    trail.sql("DELETE FROM audit_checkpoints")
    assert trail.verify(witness=False).ok
    assert kinds(trail.verify()) == [(10, "rewritten")]


def test_a_forged_witness_entry_is_named(trail: Trail) -> None:
    genuine = next(e for e in trail.witness.entries() if e is not None)
    forged = encode_entry(genuine.__class__(200, "ab" * 32, genuine.time, genuine.key_id, "00"))
    with trail.witness.path.open("ab") as handle:
        handle.write(forged + b"\n" + b"not json\n")
    assert kinds(trail.verify()) == [(200, "witness"), (None, "witness")]


def test_the_live_tail_is_a_warning_not_a_failure(trail: Trail) -> None:
    store = configured_store(trail.settings)
    store.start()
    write(store, 100, 4)  # fewer than a checkpoint's worth, while the gateway runs
    report = trail.verify()
    assert report.ok and report.unwitnessed == 4 and report.last_witnessed_seq == 100
    store.close()  # a clean stop signs and witnesses the tail
    report = trail.verify()
    assert report.ok and report.unwitnessed == 0 and report.last_witnessed_seq == 104


def test_the_redis_witness_catches_a_deleted_tail(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    witness = f"{redis_url}?key={key_prefix}witness"
    settings, store = written(f"sqlite:///{tmp_path / 'audit.db'}", tmp_path, witness, 30)
    trail = Trail(settings.url, settings, store, FileWitness(tmp_path / "unused"))
    trail.sql("DELETE FROM audit_records WHERE seq > 15")
    trail.sql("DELETE FROM audit_checkpoints WHERE seq > 15")
    redis_witness = open_witness(witness, settings.url)
    assert redis_witness is not None and "key " in redis_witness.label
    assert "@" not in redis_witness.label
    entries = list(redis_witness.entries())
    assert [e.seq for e in entries if e is not None] == [10, 20, 30]
    key = load_public_key(public_key_path(tmp_path / "keys" / "audit-signing.pem"))
    report = verify_chain(store.iter_chain(), store.checkpoints(), key, witnessed=entries)
    assert kinds(report) == [(16, "tail_deleted")]


def test_a_failing_witness_does_not_stop_the_trail(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = AuditSettings(
        url=f"sqlite:///{tmp_path / 'audit.db'}",
        signing_key_file=tmp_path / "keys" / "audit-signing.pem",
        witness=f"file:{blocker / 'audit.witness'}",
        checkpoint_every=10,
    )
    store = configured_store(settings)
    store.start()
    write(store, 0, 20)
    store.close()
    assert store.healthy is False and store.last_error is None  # closed cleanly
    assert store._signer is not None and store._signer.witness_error in (
        "FileExistsError",
        "NotADirectoryError",
    )
    assert len(store.checkpoints()) == 2 and store.tail(1)[0].seq == 20


def test_a_rotated_key_is_trusted_once_named(tmp_path: Path) -> None:
    from gateway.audit.setup import verify_keys

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    witness = f"file:{tmp_path / 'witness' / 'w'}"
    old, _ = written(url, tmp_path / "old", witness, 20)
    new = AuditSettings(
        url=url, signing_key_file=tmp_path / "new" / "k.pem", witness=witness, checkpoint_every=10
    )
    store = configured_store(new)
    store.start()
    write(store, 20, 20)
    store.close()
    entries = list(FileWitness(tmp_path / "witness" / "w").entries())

    def check(settings: AuditSettings) -> VerifyReport:
        keys = verify_keys(settings)
        return verify_chain(store.iter_chain(), store.checkpoints(), keys, witnessed=entries)

    report = check(new)
    assert [p.kind for p in report.problems] == ["checkpoint"] * 2 + ["witness"] * 2
    assert "which is not one given to verify" in report.problems[0].message
    assert old.signing_key_file is not None
    rotated = new.model_copy(update={"verify_key_files": [old.signing_key_file]})
    report = check(rotated)
    assert report.ok and report.checkpoints == 4 and report.witnessed == 4


def test_a_second_database_witness_catches_a_deleted_tail(
    tmp_path: Path, postgres_url: str
) -> None:
    settings, store = written(f"sqlite:///{tmp_path / 'audit.db'}", tmp_path, postgres_url, 30)
    trail = Trail(settings.url, settings, store, FileWitness(tmp_path / "unused"))
    trail.sql("DELETE FROM audit_records WHERE seq > 12")
    trail.sql("DELETE FROM audit_checkpoints WHERE seq > 12")
    witness = open_witness(postgres_url, settings.url)
    assert witness is not None and witness.label.endswith("table haetae_audit_witness")
    entries = list(witness.entries())
    assert [e.seq for e in entries if e is not None] == [10, 20, 30]
    key = load_public_key(public_key_path(tmp_path / "keys" / "audit-signing.pem"))
    report = verify_chain(store.iter_chain(), store.checkpoints(), key, witnessed=entries)
    assert kinds(report) == [(13, "tail_deleted")]


def test_a_walk_stopped_at_max_problems_says_nothing_of_what_it_did_not_read(
    trail: Trail,
) -> None:
    trail.sql("UPDATE audit_records SET decision = 'error' WHERE seq <= 30")
    assert trail.settings.signing_key_file is not None
    key = load_public_key(public_key_path(trail.settings.signing_key_file))
    report = verify_chain(
        trail.store.iter_chain(),
        trail.store.checkpoints(),
        key,
        witnessed=trail.witness.entries(),
        max_problems=5,
    )
    assert report.stopped and {p.kind for p in report.problems} == {"modified"}


def verify_against(tmp_path: Path, url: str, spec: str) -> StoreVerification:
    """The store at ``url`` verified with the key ``written`` made and the witness ``spec``."""
    from gateway.audit.open import open_audit_store
    from gateway.audit.verify_store import verify_store

    key = load_public_key(public_key_path(tmp_path / "keys" / "audit-signing.pem"))
    store = open_audit_store(url)
    try:
        return verify_store(store, [key], open_witness(spec, url))
    finally:
        store.close()
