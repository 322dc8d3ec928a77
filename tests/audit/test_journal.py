"""The openings journal: an opening is durable by one append, committed later, replayed
after a crash; anything else still waits for its commit."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from gateway.audit import AuditRecord, open_audit_store
from gateway.audit.journal import OpeningJournal, journal_files, read_journal
from gateway.audit.phases import is_completion, is_opening, mark_opening
from gateway.audit.verify import verify_chain
from gateway.audit.writer import ThreadedAuditStore
from tests.audit.test_durable_records import request
from tests.support.polling import wait_for
from tests.support.stack import ROOT


def lingering_store(folder: Path) -> ThreadedAuditStore:
    """A journaling SQLite store whose writer commits nothing for a minute unless urged."""
    store = open_audit_store(
        f"sqlite:///{folder / 'audit.db'}", writers=str(folder / "w"), journal=True
    )
    store._linger = 60.0
    return store


def flush_within(
    store: ThreadedAuditStore, records: list[AuditRecord], seconds: float, leaving: bool = True
) -> None:
    async def scenario() -> None:
        for record in records:
            store.append(record)
        await asyncio.wait_for(store.flush(leaving=leaving), seconds)

    asyncio.run(scenario())


def journaled(folder: Path) -> list[dict[str, object]]:
    return [
        orjson.loads(line)
        for path in sorted(folder.glob("*.journal"))
        for line in path.read_bytes().splitlines()
    ]


def test_an_openings_flush_is_one_append_not_a_commit(tmp_path: Path) -> None:
    store = lingering_store(tmp_path)
    store.start()
    try:
        flush_within(store, [mark_opening(request(1)), mark_opening(request(2))], 1.0)
        # durable in the journal, while the writer still lingers with both in hand
        assert [r["record_id"] for r in journaled(tmp_path)] == ["open-1", "open-2"]
        assert store.tail(10) == []
    finally:
        store.close()
    # closing commits them and, the journal being all in the store, removes it
    stored = open_audit_store(f"sqlite:///{tmp_path / 'audit.db'}").tail(10)
    assert [r.record_id for r in stored] == ["open-1", "open-2"]
    assert list(tmp_path.glob("*.journal")) == []


def test_a_refusal_still_waits_for_its_commit(tmp_path: Path) -> None:
    store = lingering_store(tmp_path)
    store.start()
    try:
        # request(2): a refusal, whose flush does not let anything leave
        flush_within(store, [mark_opening(request(1)), request(2)], 5.0, leaving=False)
        assert [r.record_id for r in store.tail(10)] == ["open-1", "open-2"]
        assert journaled(tmp_path) == []
    finally:
        store.close()


def test_a_journal_that_fails_gives_way_to_the_commit(tmp_path: Path) -> None:
    store = lingering_store(tmp_path)
    store.start()

    def full_disk(records: list[AuditRecord], through: int) -> None:
        raise OSError(28, "No space left on device")

    assert store._journal is not None
    store._journal.append = full_disk  # type: ignore[method-assign]
    try:
        flush_within(store, [mark_opening(request(1))], 5.0)
        assert [r.record_id for r in store.tail(10)] == ["open-1"]  # committed, not lost
        assert store._journal is None and store.healthy
    finally:
        store.close()


_CRASH = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from gateway.audit import AuditRecord, open_audit_store
    from gateway.audit.phases import mark_opening

    folder = sys.argv[1]
    store = open_audit_store(f"sqlite:///{folder}/audit.db", writers=f"{folder}/w", journal=True)
    store._linger = 60.0
    store.start()

    async def forward() -> None:
        for i in range(3):
            store.append(mark_opening(AuditRecord(
                record_id=f"crash-{i}", time=time.time(), request_id=f"crash-req-{i}",
                client_address="10.0.0.1", user="kim", provider="openai", api="chat",
                model="gpt-4o", method="POST", path="/v1/chat/completions", decision="allow")))
            await store.flush(leaving=True)

    asyncio.run(forward())
    os._exit(0)  # as a crash: no commit, no close; the kernel drops the writer's lock
    """
)


def test_a_dead_processs_journal_is_stored_and_its_openings_closed_as_unknown(
    tmp_path: Path,
) -> None:
    subprocess.run([sys.executable, "-c", _CRASH, str(tmp_path)], cwd=ROOT, check=True, timeout=60)
    assert [r["record_id"] for r in journaled(tmp_path)] == ["crash-0", "crash-1", "crash-2"]
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    assert open_audit_store(url).tail(10) == []  # only the journal holds them
    store = open_audit_store(url, writers=str(tmp_path / "w"), journal=True)
    store.start()
    try:
        # replayed, then each opening closed (three openings, three completions)
        records = wait_for(lambda: store.tail(10) if len(store.tail(10)) == 6 else None, 10.0)
    finally:
        store.close()
    openings = [r.record_id for r in records if is_opening(r)]
    unknown = [r for r in records if is_completion(r)]
    assert openings == ["crash-0", "crash-1", "crash-2"]
    assert {r.details["outcome"] for r in unknown if r.details} == {"unknown"}
    assert journaled(tmp_path) == []
    again = open_audit_store(url)
    again.start()
    try:
        assert verify_chain(again.iter_chain()).ok
    finally:
        again.close()


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    journal = OpeningJournal(tmp_path / "w-1")
    journal.append([mark_opening(request(1))], 1)
    (path,) = journal_files(tmp_path / "w-1")
    with path.open("ab") as handle:
        handle.write(b'{"record_id": "open-2", "ti')  # the process died mid-write
    assert [r.record_id for batch in read_journal(tmp_path / "w-1", 10) for r in batch] == [
        "open-1"
    ]


def test_generations_go_once_the_store_has_them(tmp_path: Path) -> None:
    journal = OpeningJournal(tmp_path / "w-1", rotate_bytes=1)  # a generation per append
    for i in range(1, 4):
        journal.append([mark_opening(request(i))], i * 2)  # a completion between openings
    assert len(journal_files(tmp_path / "w-1")) == 3
    journal.committed(4)  # the first two openings are stored, the third is not
    left = [r.record_id for batch in read_journal(tmp_path / "w-1", 10) for r in batch]
    assert left == ["open-3"] and not journal.empty
    journal.committed(6)
    assert list(read_journal(tmp_path / "w-1", 10)) == [] and journal.empty
    journal.close()
    assert journal_files(tmp_path / "w-1") == []


@pytest.mark.parametrize("journal", [True, False])
def test_the_setting_chooses_the_journal_for_sqlite_only(tmp_path: Path, journal: bool) -> None:
    from gateway.audit.setup import configured_store
    from gateway.settings import load_settings

    settings = load_settings(
        environ={},
        overrides={
            "audit.url": f"sqlite:///{tmp_path / 'audit.db'}",
            "audit.journal": journal,
            "audit.signing_key_file": None,
        },
    )
    store = configured_store(settings.audit)
    store.start()
    try:
        assert (store._journal is not None) is journal
    finally:
        store.close()


def test_what_neither_the_store_nor_the_spool_took_stays_in_the_journal(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("")  # a file where the spool's folder should be
    store = open_audit_store(
        f"sqlite:///{tmp_path / 'audit.db'}",
        writers=str(tmp_path / "w"),
        journal=True,
        spool=str(tmp_path / "blocked" / "audit.spool"),
    )
    store._linger = 0.05
    store.start()
    with contextlib.closing(sqlite3.connect(tmp_path / "audit.db")) as conn:
        conn.execute("DROP TABLE audit_records")
    try:
        flush_within(store, [mark_opening(request(1))], 1.0)
        wait_for(lambda: not store.healthy or None, 5.0)  # the commit failed, then the spool
    finally:
        store.close()
    assert [r["record_id"] for r in journaled(tmp_path)] == ["open-1"]  # kept for a replay
