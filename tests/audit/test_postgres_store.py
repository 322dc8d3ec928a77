"""The PostgreSQL store against the real server: same contract as SQLite, plus replicas."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit import AuditRecord, AuditStoreError, FindingSummary, open_audit_store
from gateway.audit.chain import CheckpointSigner, record_hash
from gateway.audit.postgres import MIGRATIONS, PostgresAuditStore, split_schema
from gateway.audit.verify import verify_chain

KEY = Ed25519PrivateKey.generate()


def make(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"rec-{i}", time=1_700_000_000.123456 + i, request_id=f"req-{i}",
        client_address="10.0.0.1", user=f"user{i % 3}", provider="openai", api="chat",
        model="gpt-4o", method="POST", path="/v1/chat/completions", decision="allow",
        groups=["eng", "seoul"], timings_ms={"detect": 0.1 + i / 7, "total": 1.0},
        findings=[FindingSummary("EMAIL_ADDRESS", "messages[0].content", 2, 0.85, ["ab" * 16])],
        usage={"input_tokens": 12, "output_tokens": 3}, entities={"EMAIL_ADDRESS": 2},
    )  # fmt: skip


def run(store, records) -> None:
    async def scenario() -> None:
        for r in records:
            store.append(r)
        await store.flush()

    asyncio.run(scenario())


def execute(url: str, statement: str, *params: object) -> None:
    base, schema = split_schema(url)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(statement, params)


def test_round_trip_is_exact_and_chained(postgres_url: str) -> None:
    store = open_audit_store(postgres_url)
    assert isinstance(store, PostgresAuditStore)
    store.start()
    records = [make(i) for i in range(300)]
    run(store, records)
    assert store.healthy and store.last_error is None
    store.close()
    stored = store.tail(1000)
    assert stored == records  # floats, JSON and chain fields come back as written
    assert [r.seq for r in stored] == list(range(1, 301))
    assert all(r.hash == record_hash(r) for r in stored)
    assert verify_chain(store.iter_chain()).ok


def test_migrations_are_numbered_and_a_newer_schema_is_refused(postgres_url: str) -> None:
    store = open_audit_store(postgres_url)
    store.start()
    store.close()
    base, schema = split_schema(postgres_url)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        done = conn.execute("SELECT version FROM haetae_audit_migrations ORDER BY 1").fetchall()
        assert done == [(v,) for v, _ in MIGRATIONS]
        indexes = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,))}  # fmt: skip
        assert {"audit_records_user_time", "audit_records_time", "audit_records_rules"} <= indexes
        conn.execute("INSERT INTO haetae_audit_migrations VALUES (99, 0)")
    with pytest.raises(AuditStoreError, match="schema version 99"):
        open_audit_store(postgres_url).start()


def test_replicas_share_one_chain(postgres_url: str) -> None:
    one, two = open_audit_store(postgres_url), open_audit_store(postgres_url)
    one.start()
    two.start()

    async def scenario() -> None:
        for i in range(400):
            (one if i % 2 else two).append(make(i))
        await asyncio.gather(one.flush(), two.flush())

    asyncio.run(scenario())
    one.close()
    two.close()
    report = verify_chain(one.iter_chain())
    assert report.ok and report.records == 400


def test_tampering_in_postgres_is_found(postgres_url: str) -> None:
    signer = CheckpointSigner(KEY, every=10, interval=3600)
    store = PostgresAuditStore(postgres_url, signer=signer, batch_size=10)
    store.start()
    for start in range(0, 40, 10):
        run(store, [make(i) for i in range(start, start + 10)])
    store.close()

    def problems() -> list[tuple[int | None, str]]:
        report = verify_chain(store.iter_chain(), store.checkpoints(), KEY.public_key())
        return [(p.seq, p.kind) for p in report.problems]

    assert problems() == [] and len(store.checkpoints()) == 4
    execute(postgres_url, "UPDATE audit_records SET \"user\" = 'mallory' WHERE seq = 7")
    assert problems() == [(7, "modified")]
    execute(postgres_url, "DELETE FROM audit_records WHERE seq = 12")
    assert (13, "missing") in problems()
    execute(postgres_url, "UPDATE audit_checkpoints SET hash = repeat('0', 64) WHERE seq = 30")
    assert (30, "checkpoint") in problems()


@pytest.mark.slow
def test_an_unreachable_server_with_no_spool_refuses_to_start() -> None:
    store = open_audit_store("postgresql://postgres@127.0.0.1:9/test")  # discard port
    with pytest.raises(AuditStoreError, match="cannot open audit database") as info:
        store.start()
    assert "postgres@" not in str(info.value)
    assert not store.healthy


def test_nul_characters_never_reach_postgres(postgres_url: str) -> None:
    from gateway.audit.build import _clean

    store = open_audit_store(postgres_url)
    store.start()
    record = make(0)
    record.model = _clean("gpt\x00-4o")
    run(store, [record])
    assert store.healthy and store.tail(1)[0].model == "gpt\ufffd-4o"
    store.close()


def test_purge_in_postgres_keeps_the_chain_verifiable(postgres_url: str) -> None:
    store = open_audit_store(postgres_url)
    store.start()
    run(store, [make(i) for i in range(20)])
    store.close()
    result = store.purge(1_700_000_000.123456 + 10, actor="auditor")
    assert (result.deleted, result.through_seq, result.record.seq) == (10, 10, 21)
    report = verify_chain(store.iter_chain())
    assert report.ok and (report.first_seq, report.last_seq) == (11, 21)


def test_a_gateway_records_into_postgres(postgres_url: str, tmp_path: Path) -> None:
    import httpx
    import orjson

    from tests.support.stack import gateway_stack

    settings = {"audit.url": postgres_url, "audit.spool": "off"}
    with gateway_stack(tmp_path, settings=settings) as gateway:
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "id 900101-1234568"}]}
        reply = httpx.post(
            gateway.url("/openai/v1/chat/completions"), content=orjson.dumps(body), timeout=10
        )
        assert reply.status_code == 403
        request_id = reply.headers["x-haetae-request-id"]
        # Read while the gateway still runs: a refusal's record is committed first.
        store = open_audit_store(postgres_url)
        (record,) = [r for r in store.tail(10) if r.request_id == request_id]
        store.close()
    assert (record.decision, record.rule_ids) == ("block", ["pipa-resident-number"])


def test_after_reads_on_from_a_number(postgres_url: str) -> None:
    store = open_audit_store(postgres_url)
    store.start()
    run(store, [make(i) for i in range(5)])
    store.close()
    assert [r.seq for r in store.after(2)] == [3, 4, 5]
    assert [r.seq for r in store.after(2, limit=1)] == [3]
    assert store.after(5) == []
