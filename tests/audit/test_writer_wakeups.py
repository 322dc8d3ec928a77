"""The writer wakes only when it must, yet no record waits longer than the linger and no
flush waits for it (``gateway/audit/handoff.py``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from gateway.audit import SQLiteAuditStore
from tests.audit.test_sqlite_store import make_record, read_ids


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_a_record_nobody_flushes_reaches_an_idle_writer(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    store = SQLiteAuditStore(path, linger=0.05)
    store.start()
    try:
        store.append(make_record(1))
        assert _eventually(lambda: read_ids(path) == ["rec-1"])
    finally:
        store.close()


def test_a_record_after_a_commit_is_committed_without_a_flush(tmp_path: Path) -> None:
    """Right after a commit the writer lingers without being woken by records (a
    completion waits there for the next opening): it must still look when it ends."""
    path = tmp_path / "audit.db"
    store = SQLiteAuditStore(path, linger=0.05)
    store.start()

    async def opening_then_completion() -> None:
        store.append(make_record(1))
        await store.flush()
        store.append(make_record(2))

    try:
        asyncio.run(opening_then_completion())
        assert _eventually(lambda: read_ids(path) == ["rec-1", "rec-2"])
    finally:
        store.close()


def test_a_flush_does_not_wait_for_the_linger(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    store = SQLiteAuditStore(path, linger=60.0)  # longer than any flush below may take
    store.start()

    async def requests() -> None:
        for i in range(5):  # each flush lands while the writer lingers after the last commit
            store.append(make_record(i))
            await store.flush(timeout=5.0)
            assert read_ids(path) == [f"rec-{n}" for n in range(i + 1)]

    try:
        asyncio.run(requests())
    finally:
        store.close()


def test_a_full_batch_is_committed_without_waiting_for_the_linger(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    store = SQLiteAuditStore(path, linger=60.0, batch_size=10)
    store.start()
    try:
        for i in range(25):
            store.append(make_record(i))
        assert _eventually(lambda: len(read_ids(path)) >= 20)
    finally:
        store.close()
    assert read_ids(path) == [f"rec-{i}" for i in range(25)]  # the rest at close
