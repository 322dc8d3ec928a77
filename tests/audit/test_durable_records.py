"""Nothing forwarded without a durable record: openings, completions, dead writers, lost stores."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.audit import AuditRecord, AuditStore, open_audit_store
from gateway.audit.phases import (
    COMPLETE,
    completion,
    ended_request,
    is_completion,
    is_opening,
    mark_opening,
)
from gateway.audit.query import AuditFilter
from gateway.audit.verify import verify_chain
from tests.support.polling import wait_for
from tests.support.stack import gateway_stack

CHAT = "/openai/v1/chat/completions"
BODY = orjson.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]})


def request(i: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"open-{i}", time=time.time(), request_id=f"req-{i}",
        client_address="10.0.0.1", user="kim", provider="openai", api="chat", model="gpt-4o",
        method="POST", path="/v1/chat/completions", decision="allow",
    )  # fmt: skip


def write(store: AuditStore, records: list[AuditRecord]) -> None:
    async def scenario() -> None:
        for record in records:
            store.append(record)
        await store.flush()

    asyncio.run(scenario())


def test_a_completion_links_to_its_opening_and_requests_count_once(tmp_path: Path) -> None:
    store = open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}", writers=str(tmp_path / "w"))
    store.start()
    opening = mark_opening(request(1))
    write(store, [opening])
    done = completion(opening, record_id="done-1", status=200, upstream_status=200,
                      usage={"input_tokens": 3}, timings_ms={"total": 4.0})  # fmt: skip
    write(store, [done, request(2)])  # a refusal: one record
    store.close()

    first, second, refused = store.tail(10)
    assert is_opening(first) and first.status is None and refused.details is None
    assert first.details == {"phase": "open", "writer": store.writer_id}
    assert is_completion(second) and second.decision == COMPLETE
    assert second.details == {"completes": "open-1", "outcome": "completed"}
    assert (second.request_id, second.user, second.status) == ("req-1", "kim", 200)
    ended = ended_request(store.tail(10), "req-1")
    assert ended is not None and (ended.decision, ended.status, ended.usage) == (
        "allow", 200, {"input_tokens": 3},
    )  # fmt: skip
    rows = store.stats(AuditFilter(), by="decision", per="day")
    assert [(r.key, r.count) for r in rows] == [("allow", 2)]  # two requests, three records
    assert verify_chain(store.iter_chain()).ok


def test_a_restart_closes_what_a_dead_writer_left_open_and_leaves_the_living_alone(
    tmp_path: Path,
) -> None:
    url, writers = f"sqlite:///{tmp_path / 'audit.db'}", str(tmp_path / "audit.db.writer")
    dying = open_audit_store(url, writers=writers)
    dying.start()
    openings = [mark_opening(request(i)) for i in range(3)]
    write(dying, openings)
    write(dying, [completion(openings[0], record_id="done-0", status=200)])
    living = open_audit_store(url, writers=writers)
    living.start()
    in_flight = mark_opening(request(9))
    write(living, [in_flight])
    # Stopping with two requests open leaves its lock file unlocked, as a crash does.
    dying.close()

    restarted = open_audit_store(url, writers=writers)
    restarted.start()
    unknown = wait_for(
        lambda: (
            [r for r in restarted.tail(20) if (r.details or {}).get("outcome") == "unknown"] or None
        ),
        5.0,
    )
    assert sorted(r.request_id for r in unknown) == ["req-1", "req-2"]
    assert {r.error for r in unknown} == {"gateway_exited"}
    assert all(r.decision == COMPLETE and r.status is None for r in unknown)
    # the living writer's request is still in flight; the dead one's lock file is gone
    assert ended_request(restarted.tail(20), "req-9") is None
    expected = sorted(f"audit.db.writer-{s.writer_id}.lock" for s in (living, restarted))
    wait_for(lambda: locks(tmp_path) == expected, 5.0)
    write(living, [completion(in_flight, record_id="done-9", status=200)])
    living.close()
    restarted.close()
    again = open_audit_store(url, writers=writers)
    again.start()  # nothing left to close twice
    again.close()
    assert len(again.tail(50)) == 3 + 1 + 2 + 2  # openings, completion, living's two, unknowns
    assert verify_chain(again.iter_chain()).ok
    assert locks(tmp_path) == []  # every writer stopped with nothing open


def locks(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.lock"))


def _forward_in_background(url: str, headers: dict[str, str]) -> list[httpx.Response]:
    replies: list[httpx.Response] = []

    def call() -> None:
        replies.append(httpx.post(url, content=BODY, headers=headers, timeout=20))

    threading.Thread(target=call, daemon=True).start()
    return replies


def test_the_opening_is_durable_before_the_provider_sees_the_request(tmp_path: Path) -> None:
    with gateway_stack(tmp_path) as stack:
        replies = _forward_in_background(stack.url(CHAT), {"x-fake-delay-ms": "1500"})
        wait_for(lambda: stack.fake.received or None, 10.0)
        # The provider holds the request; its opening is already on disk: journaled,
        # or committed by the writer since (within its 20 ms linger).
        journaled = [
            orjson.loads(line)
            for path in tmp_path.glob("*.journal")
            for line in path.read_bytes().splitlines()
        ]
        stored = [r for r in stack.audit_tail(10) if is_opening(r)]
        assert len(journaled) + len(stored) >= 1
        assert all(r["details"]["phase"] == "open" for r in journaled)
        (opening,) = wait_for(lambda: [r for r in stack.audit_tail(10) if is_opening(r)], 5.0)
        assert opening.decision == "allow" and opening.status is None
        assert not any(is_completion(r) for r in stack.audit_tail(10))
        wait_for(lambda: replies or None, 10.0)
        record = stack.record(replies[0].headers["x-haetae-request-id"])
        assert (record.decision, record.status, record.upstream_status) == ("allow", 200, 200)


def _lose(database: Path, how: str) -> None:
    """Delete the store under the running gateway, or swap another file in its place."""
    other = database.with_name("other.db")
    if how == "replaced":
        sqlite3.connect(other).close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    if how == "replaced":
        shutil.move(other, database)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_sqlite_file_lost_under_the_gateway_sends_records_to_the_spool(
    tmp_path: Path, how: str
) -> None:
    with gateway_stack(tmp_path) as stack:
        database = tmp_path / "audit.db"
        assert httpx.post(stack.url(CHAT), content=BODY, timeout=10).status_code == 200
        _lose(database, how)
        reply = httpx.post(stack.url(CHAT), content=BODY, timeout=10)
        assert reply.status_code == 200  # its records are durable in the spool
        ready = httpx.get(stack.url("/readyz"), timeout=5).json()
        assert ready["status"] == "ready" and ready["audit_spool"] >= 1
        assert stack.app.audit.last_error == "StoreReplaced"
        spooled = [
            orjson.loads(line) for line in Path(f"{database}.spool").read_bytes().splitlines()
        ]
        assert reply.headers["x-haetae-request-id"] in {r["request_id"] for r in spooled}
        # nothing was written to whatever is at the path now
        assert open_audit_store(stack.audit_url).tail(10) == []


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_store_and_spool_both_failing_refuses_before_forwarding(tmp_path: Path, how: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool's folder should be")
    settings = {"audit.spool": str(blocker / "spool.jsonl")}
    with gateway_stack(tmp_path, settings=settings) as stack:
        assert httpx.post(stack.url(CHAT), content=BODY, timeout=10).status_code == 200
        stack.fake.reset()
        _lose(tmp_path / "audit.db", how)
        for language, words in (("ko", "감사 기록"), ("en", "audit log")):
            reply = httpx.post(
                stack.url(CHAT), content=BODY, headers={"accept-language": language}, timeout=10
            )
            assert reply.status_code == 503
            assert reply.headers["x-haetae-decision"] == "error"
            error = reply.json()["error"]
            assert error["code"] == "audit_unavailable" and words in error["message"]
        assert stack.fake.received == []  # nothing left without a record
        assert httpx.get(stack.url("/readyz"), timeout=5).status_code == 503


def test_a_failed_postgresql_connection_refuses_without_a_spool(
    tmp_path: Path, postgres_url: str
) -> None:
    import psycopg

    from gateway.audit.postgres import split_schema

    settings = {"audit.url": postgres_url, "audit.spool": "off"}
    with gateway_stack(tmp_path, settings=settings) as stack:
        assert httpx.post(stack.url(CHAT), content=BODY, timeout=10).status_code == 200
        stack.fake.reset()
        pool = stack.app.audit._pool  # type: ignore[attr-defined]
        held = [pool.getconn() for _ in range(pool.get_stats()["pool_size"])]
        pids = [conn.info.backend_pid for conn in held]
        for conn in held:
            pool.putconn(conn)
        with psycopg.connect(split_schema(postgres_url)[0], autocommit=True) as admin:
            for pid in pids:  # the writer's connections die under it
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        reply = httpx.post(stack.url(CHAT), content=BODY, timeout=10)
        assert reply.status_code == 503
        assert reply.json()["error"]["code"] == "audit_unavailable"
        assert stack.fake.received == []


def test_the_log_is_moved_into_the_database_file_by_the_checkpointer(tmp_path: Path) -> None:
    """The writer never checkpoints itself (a commit an opening waits for would pay two
    fsyncs): the checkpointer's thread moves the log's pages into the file instead."""
    database = tmp_path / "audit.db"
    store = open_audit_store(f"sqlite:///{database}")
    store.start()
    empty = database.stat().st_size
    for i in range(0, 400, 20):  # 20 commits: pages that only the log holds at first
        write(store, [mark_opening(request(j)) for j in range(i, i + 20)])
    wait_for(lambda: database.stat().st_size > empty, 5.0)
    store.close()
    assert len(store.tail(500)) == 400
